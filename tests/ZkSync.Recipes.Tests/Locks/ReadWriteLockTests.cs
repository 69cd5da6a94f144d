using ZkSync.Client;
using ZkSync.Internal.Recipes;
using ZkSync.Locks;

namespace ZkSync.Recipes.Tests.Locks;

public sealed class ReadWriteLockTests : LockTestBase
{
    private static readonly ZooKeeperLockRequest Read = new() { Mode = ZooKeeperLockMode.Shared };
    private static readonly ZooKeeperLockRequest Write = new() { Mode = ZooKeeperLockMode.Write };

    [Fact]
    public async Task Readers_Overlap_WritersExcluded()
    {
        var a = await ProviderAsync();
        var b = await ProviderAsync();

        await using var r1 = await a.AcquireAsync("rw", Read, Timeout);
        await using var r2 = await b.AcquireAsync("rw", Read, Timeout);
        Assert.Null(await b.TryAcquireAsync("rw", Write));
        Assert.Contains("__READ__", r1.NodePath, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Writer_Held_ExcludesReadersAndWriters()
    {
        var a = await ProviderAsync();
        var b = await ProviderAsync();

        await using var w = await a.AcquireAsync("rw", Write, Timeout);

        Assert.Null(await b.TryAcquireAsync("rw", Read));
        Assert.Null(await b.TryAcquireAsync("rw", Write));
        Assert.Contains("__WRIT__", w.NodePath, StringComparison.Ordinal);
    }

    /// <summary>The zk gem's documented example: [ex00, sh01, sh02, sh03, ex04, ex05, sh06, sh07].</summary>
    [Fact]
    public async Task ZkGemOrdering_IsGrantedAsDocumented()
    {
        var observer = await ConnectAsync();
        var modes = new[] { Write, Read, Read, Read, Write, Write, Read, Read };
        var providers = new List<ZooKeeperLockProvider>();
        var pending = new List<Task<ZooKeeperLockHandle>>();
        for (var i = 0; i < modes.Length; i++)
        {
            providers.Add(await ProviderAsync());
            pending.Add(providers[i].AcquireAsync("gem", modes[i], Timeout).AsTask());
            await LockTests.WaitForContendersAsync(observer, Root + "/gem", i + 1);
        }

        async Task<int[]> GrantedAsync(params int[] expected)
        {
            await Task.WhenAll(expected.Select(i => pending[i])).WaitAsync(Timeout);
            return [.. Enumerable.Range(0, modes.Length).Where(i => pending[i].IsCompletedSuccessfully && !Released.Contains(i))];
        }

        Assert.Equal(new[] { 0 }, await GrantedAsync(0));
        await ReleaseAsync(0);
        Assert.Equal(new[] { 1, 2, 3 }, await GrantedAsync(1, 2, 3));
        await ReleaseAsync(1, 2, 3);
        Assert.Equal(new[] { 4 }, await GrantedAsync(4));
        await ReleaseAsync(4);
        Assert.Equal(new[] { 5 }, await GrantedAsync(5));
        await ReleaseAsync(5);
        Assert.Equal(new[] { 6, 7 }, await GrantedAsync(6, 7));
        await ReleaseAsync(6, 7);

        async Task ReleaseAsync(params int[] indexes)
        {
            foreach (var i in indexes)
            {
                Released.Add(i);
                await (await pending[i]).DisposeAsync();
            }
        }
    }

    private HashSet<int> Released { get; } = [];

    [Fact]
    public void SortAndRules_MatchCurator()
    {
        var children = new[] { "_c_b-__WRIT__0000000004", "_c_a-__READ__0000000001", "foreign", "_c_c-__READ__0000000002" };

        var sorted = LockNodeNames.Sort(children, LockNodeNames.ReadToken, LockNodeNames.WriteToken);

        Assert.Equal(["_c_a-__READ__0000000001", "_c_c-__READ__0000000002", "_c_b-__WRIT__0000000004", "foreign"], sorted);
        Assert.Equal((true, null), ZooKeeperLockProvider.SharedRule(sorted, 1));
        Assert.Equal((false, "_c_c-__READ__0000000002"), ZooKeeperLockProvider.ExclusiveRule(sorted, 2));
        var withWriterFirst = new[] { "_c_w-__WRIT__0000000000", "_c_r-__READ__0000000001" };
        Assert.Equal((false, "_c_w-__WRIT__0000000000"), ZooKeeperLockProvider.SharedRule(withWriterFirst, 1));
    }

    [Theory]
    [InlineData("", "must not be empty")]
    [InlineData("/orders/1", "must not start or end with '/'")]
    [InlineData("orders//1", "empty segment")]
    [InlineData("orders/..", "'.' and '..'")]
    [InlineData("orders/\u0001", "control characters")]
    public void LockPath_InvalidName_NamesTheRule(string name, string rule)
    {
        var ex = Assert.Throws<ArgumentException>(() => LockNodeNames.LockPath("/zksync/locks", name));

        Assert.Contains(rule, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LockPath_MapsUnderRoot() =>
        Assert.Equal("/zksync/locks/orders/42", LockNodeNames.LockPath("/zksync/locks", "orders/42"));
}
