using ZkSync.TestSupport;

namespace ZkSync.DistributedLock.Tests;

/// <summary>The documented name rule: any string becomes one valid, distinct ZkSync name.</summary>
public sealed class NameTests
{
    public static TheoryData<string, string> Documented => new()
    {
        { "orders/42", "orders%2F42" },
        { "déjà vu", "d%C3%A9j%C3%A0%20vu" },
        { "..", "%2E." },
        { ".", "%2E" },
        { "_c_x", "%5Fc_x" },
        { "", "%" },
        { "batch-0000000042", "batch-000000004%32" },
        { "Report_2026.v2", "Report_2026.v2" },
        { "100%", "100%25" },
    };

    public static TheoryData<string> Awkward => new(AwkwardNames);

    internal static readonly string[] AwkwardNames =
    [
        "", "/", "//", ".", "..", "../x", "/zksync/locks", "_c_guid-lock-0000000001", "x-lock-0000000001", "x__lock__0000000001",
        "x__rlock__-000000001", "0000000001", "zookeeper", "a\0b", "\u0001", "tab\there", "line\nbreak", "🔒 lock", "\uFFFF",
        "名前/ключ", new string('x', 5000), new string('é', 300), "%", "%2F", "~", "a b", "orders/42", "ORDERS/42",
    ];

    [Theory]
    [MemberData(nameof(Documented))]
    public void Name_MapsAsDocumented(string name, string expected) =>
        Assert.Equal(expected, ZkSyncDistributedLockNames.ToZkSyncName(name));

    [Theory]
    [MemberData(nameof(Awkward))]
    public void AwkwardName_IsOneValidComponent(string name)
    {
        var mapped = ZkSyncDistributedLockNames.ToZkSyncName(name);

        Assert.DoesNotContain('/', mapped);
        Assert.InRange(mapped.Length, 1, ZkSyncDistributedLockNames.MaxLength);
        Assert.All(mapped, c => Assert.InRange(c, '!', '~'));
        Assert.NotEqual(".", mapped);
        Assert.NotEqual("..", mapped);
        Assert.False(mapped.StartsWith("_c_", StringComparison.Ordinal), mapped);
    }

    [Fact]
    public void DifferentNames_MapToDifferentNames()
    {
        var longA = new string('x', 4000) + "a";
        var longB = new string('x', 4000) + "b";
        string[] names = [.. AwkwardNames, longA, longB, "x-lock-000000001", "batch-000000004%32", "%2E.", "%", "ab", "aB"];

        var mapped = names.Distinct().ToDictionary(name => name, ZkSyncDistributedLockNames.ToZkSyncName);

        var collisions = mapped.GroupBy(pair => pair.Value).Where(group => group.Count() > 1).Select(group => group.Key).ToList();
        Assert.Empty(collisions);
    }

    [Fact]
    public void LongName_KeepsAReadablePrefixAndAHash()
    {
        var mapped = ZkSyncDistributedLockNames.ToZkSyncName("reports/" + new string('q', 1000));

        Assert.StartsWith("reports%2Fqqq", mapped, StringComparison.Ordinal);
        Assert.Contains('~', mapped);
        Assert.True(mapped.Length <= ZkSyncDistributedLockNames.MaxLength, mapped);
    }

    [Fact]
    public void Null_IsRefused() =>
        Assert.Throws<ArgumentNullException>(() => ZkSyncDistributedLockNames.ToZkSyncName(null!));

    /// <summary>ZkSync's own name rules (an ArgumentException otherwise) accept every mapped name, as a lock and as a semaphore.</summary>
    [Fact]
    public async Task AwkwardNames_AreLocksAndSemaphoresOnTheEnsemble()
    {
        await using var processes = await Processes.StartAsync(TestPaths.Unique());
        foreach (var name in AwkwardNames)
        {
            var distributedLock = processes.First.CreateLock(name);
            Assert.Equal(name, distributedLock.Name);
            await using var handle = await distributedLock.TryAcquireAsync().Held();
            Assert.Null(await processes.Second.CreateLock(name).TryAcquireAsync());
            await using var ticket = await processes.First.CreateSemaphore(name, 1).TryAcquireAsync().Held();
        }
    }
}
