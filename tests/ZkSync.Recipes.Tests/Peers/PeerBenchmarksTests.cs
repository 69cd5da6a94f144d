using System.Globalization;
using Xunit;
using ZkSync.Client;
using ZkSync.TestSupport;
using ZkSync.TestSupport.Peers;

namespace ZkSync.Recipes.Tests.Peers;

/// <summary>
/// Smoke runs of the peer benchmark drivers with tiny parameters: they check that every row comes out and
/// parses, never how fast anything is.
/// </summary>
[Collection(PeerScenario.Collection)]
public sealed class PeerBenchmarksTests
{
    private static readonly PeerBenchmarkOptions Tiny = new()
    {
        Duration = TimeSpan.FromSeconds(0.5),
        Warmup = TimeSpan.Zero,
        InFlight = 50,
        Iterations = 20,
        Sessions = 2,
        Callers = 4,
    };

    [Fact]
    public void Parse_LatencyRow_ReadsAllFields()
    {
        var result = PeerBenchmarkResult.Parse(
            """{"peer":"curator","benchmark":"mutex-uncontended","params":{"iterations":20},"operations":20,"seconds":0.5,"opsPerSecond":40.0,"errors":0,"p50Ms":1.5,"p99Ms":9.25}""");

        Assert.Equal(
            new PeerBenchmarkResult("curator", "mutex-uncontended", result.Parameters, 20, 0.5, 40.0, 0, 1.5, 9.25),
            result);
        Assert.Equal(20, result.Parameters["iterations"]);
    }

    [Fact]
    public void Parse_NotAResult_ThrowsFormatException()
    {
        Assert.Throws<FormatException>(() => PeerBenchmarkResult.Parse("""{"peer":"curator"}"""));
    }

    [Fact]
    public async Task RunJavaClientAsync_TinyRun_ReportsGetDataAndSetData()
    {
        var results = await PeerBenchmarks.RunJavaClientAsync(PeerScenario.ConnectionString, Root(), Tiny, TestContext.Current.CancellationToken);

        Assert.Equal(["getData", "setData"], results.Select(r => r.Benchmark));
        Assert.All(results, r => AssertRow("zookeeper-java", r));
    }

    [Fact]
    public async Task RunCuratorLockAsync_TinyRun_ReportsThreeLockRows()
    {
        var results = await PeerBenchmarks.RunCuratorLockAsync(PeerScenario.ConnectionString, Root(), Tiny, TestContext.Current.CancellationToken);

        AssertLockRows("curator", results);
    }

    [Fact]
    public async Task RunKazooLockAsync_TinyRun_ReportsThreeLockRows()
    {
        var results = await PeerBenchmarks.RunKazooLockAsync(PeerScenario.ConnectionString, Root(), Tiny, TestContext.Current.CancellationToken);

        AssertLockRows("kazoo", results);
    }

    [Fact]
    public async Task RunCuratorQueueAsync_TinyRun_MarksTheWindowAndReportsTheWaits()
    {
        var marks = new List<string>();
        var result = await PeerBenchmarks.RunCuratorQueueAsync(PeerScenario.ConnectionString, Root(), Tiny with { Warmup = TimeSpan.FromSeconds(0.5) },
            mark => { lock (marks) { marks.Add(mark); } }, TestContext.Current.CancellationToken);

        AssertQueueRow("curator", result, marks);
    }

    [Fact]
    public async Task RunKazooQueueAsync_TinyRun_MarksTheWindowAndReportsTheWaits()
    {
        var marks = new List<string>();
        var result = await PeerBenchmarks.RunKazooQueueAsync(PeerScenario.ConnectionString, Root(), Tiny with { Warmup = TimeSpan.FromSeconds(0.5) },
            mark => { lock (marks) { marks.Add(mark); } }, TestContext.Current.CancellationToken);

        AssertQueueRow("kazoo", result, marks);
    }

    [Theory]
    [InlineData("curator")]
    [InlineData("kazoo")]
    public async Task PeerScaleDriver_HoldReleaseAndNames_HoldsEveryLockUntilReleased(string library)
    {
        var ct = TestContext.Current.CancellationToken;
        var root = $"/zksync-tests/peer-scale-{Guid.NewGuid():N}";
        await using var client = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectionString = PeerScenario.ConnectionString }, cancellationToken: ct);
        try
        {
            await using var driver = library == "curator"
                ? await PeerScaleDriver.StartCuratorAsync(PeerScenario.ConnectionString, ct)
                : await PeerScaleDriver.StartKazooAsync(PeerScenario.ConnectionString, ct);

            await driver.HoldAsync(root + "/held", 5, 2, ct);

            // The driver's session created the locks, perhaps through another member: sync before reading them.
            await client.SyncAsync(root + "/held", ct);
            for (var i = 0; i < 5; i++)
            {
                Assert.Single(await client.GetChildrenAsync(root + "/held/lock-" + i.ToString(CultureInfo.InvariantCulture), cancellationToken: ct));
            }

            Assert.True(await driver.MemoryAsync(ct) > 0);
            await driver.ReleaseAsync(5, ct);
            Assert.Equal(0, await LockNodesAsync(client, root + "/held"));

            await driver.TakeNamesAsync(root + "/names", 0, 10, 4, ct);
            Assert.Equal(0, await LockNodesAsync(client, root + "/names"));
            await Assert.ThrowsAsync<PeerCommandException>(() => driver.ReleaseAsync(5, ct));
        }
        finally
        {
            await ZooKeeperTree.DeleteAsync(client, root, CancellationToken.None);
        }
    }

    // The lock nodes under each name of a parent (a Curator parent the container reaper removed counts none), after a
    // sync: the driver's session created and deleted them.
    private static async Task<int> LockNodesAsync(ZooKeeperClient client, string parent)
    {
        await client.SyncAsync(parent, TestContext.Current.CancellationToken);
        var count = 0;
        foreach (var name in await ChildrenAsync(client, parent))
        {
            count += (await ChildrenAsync(client, parent + "/" + name)).Count;
        }

        return count;
    }

    private static async Task<IReadOnlyList<string>> ChildrenAsync(ZooKeeperClient client, string path)
    {
        try
        {
            return await client.GetChildrenAsync(path, cancellationToken: TestContext.Current.CancellationToken);
        }
        catch (ZooKeeperException e) when (e.Code == ZooKeeperErrorCode.NoNode)
        {
            return [];
        }
    }

    private static void AssertQueueRow(string peer, PeerBenchmarkResult result, List<string> marks)
    {
        Assert.Equal(["window-start", "window-end"], marks);
        Assert.Equal("mutex-queue", result.Benchmark);
        Assert.Equal(2, result.Parameters["sessions"]);
        AssertRow(peer, result);
        Assert.True(result.P99Milliseconds >= result.P50Milliseconds);
    }

    // The drivers delete their own child of this root; the root itself is a container-free leaf left empty.
    private static string Root() => "/zksync-tests/peer-benchmarks";

    private static void AssertLockRows(string peer, IReadOnlyList<PeerBenchmarkResult> results)
    {
        Assert.Equal(["mutex-uncontended", "mutex-handoff", "mutex-distinct"], results.Select(r => r.Benchmark));
        Assert.All(results, r => AssertRow(peer, r));
        Assert.NotNull(results[0].P50Milliseconds);
        Assert.True(results[0].P99Milliseconds >= results[0].P50Milliseconds);
        Assert.Equal(2, results[1].Parameters["sessions"]);
        Assert.Equal(4, results[2].Parameters["callers"]);
    }

    private static void AssertRow(string peer, PeerBenchmarkResult result)
    {
        Assert.Equal(peer, result.Peer);
        Assert.True(result.Operations > 0, $"{result.Benchmark}: no operations");
        Assert.Equal(0, result.Errors);
        Assert.True(result.Seconds > 0);
    }
}
