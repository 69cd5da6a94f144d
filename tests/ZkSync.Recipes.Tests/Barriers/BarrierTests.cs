using ZkSync.Barriers;
using ZkSync.Client;

namespace ZkSync.Recipes.Tests.Barriers;

public sealed class BarrierTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private static string ConnectionString =>
        ZkSync.TestSupport.ZooKeeperEnsemble.ConnectionString;

    private static async Task<ZooKeeperClient> ConnectAsync()
    {
        using var cts = new CancellationTokenSource(Timeout);
        return await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectionString = ConnectionString }, cancellationToken: cts.Token);
    }

    [Fact]
    public async Task Barrier_SetWaitedOnAndRemovedByDifferentSessions_ReleasesWaiter()
    {
        await using var setter = await ConnectAsync();
        await using var waiter = await ConnectAsync();
        await using var remover = await ConnectAsync();
        var path = "/zksync-tests/barrier-" + Guid.NewGuid().ToString("N")[..12] + "/migrations";

        Assert.True(await new ZooKeeperBarrier(setter, path).SetAsync());
        Assert.False(await new ZooKeeperBarrier(setter, path).SetAsync());

        // The setter's session created the node, perhaps through another member: sync the waiter's session, so that its
        // member has the node before it looks (ZooKeeper orders reads after writes only within one session).
        await waiter.SyncAsync(path);
        var waiting = new ZooKeeperBarrier(waiter, path).WaitAsync(Timeout);
        Assert.True(await new ZooKeeperBarrier(waiter, path).IsSetAsync());
        Assert.False(waiting.IsCompleted);

        Assert.True(await new ZooKeeperBarrier(remover, path).RemoveAsync());

        Assert.True(await waiting.WaitAsync(Timeout));
        Assert.False(await new ZooKeeperBarrier(remover, path).RemoveAsync());
    }

    [Fact]
    public async Task WaitAsync_ClearBarrierOrAbandonedWait_LeavesNoWatchBehind()
    {
        await using var client = await ConnectAsync();
        var path = "/zksync-tests/barrier-" + Guid.NewGuid().ToString("N")[..12];
        var baseline = client.WatchCount;

        // Clear: nothing may ever set it again, so no watch must stay on it.
        Assert.True(await new ZooKeeperBarrier(client, path).WaitAsync(Timeout));
        Assert.Equal(baseline, client.WatchCount);

        // Set for long, and waits that give up: each would leave a watcher until it is removed.
        Assert.True(await new ZooKeeperBarrier(client, path).SetAsync());
        for (var i = 0; i < 5; i++)
        {
            Assert.False(await new ZooKeeperBarrier(client, path).WaitAsync(TimeSpan.FromMilliseconds(100)));
        }

        Assert.Equal(baseline, client.WatchCount);
        Assert.True(await new ZooKeeperBarrier(client, path).RemoveAsync());
    }

    [Fact]
    public async Task Barrier_SetterSessionCloses_StaysSet()
    {
        await using var observer = await ConnectAsync();
        var path = "/zksync-tests/barrier-" + Guid.NewGuid().ToString("N")[..12];
        await using (var setter = await ConnectAsync())
        {
            await new ZooKeeperBarrier(setter, path).SetAsync();
        }

        var barrier = new ZooKeeperBarrier(observer, path);
        await observer.SyncAsync(path);
        Assert.True(await barrier.IsSetAsync());
        Assert.False(await barrier.WaitAsync(TimeSpan.FromMilliseconds(200)));
        await barrier.RemoveAsync();
        Assert.True(await barrier.WaitAsync(TimeSpan.Zero));
    }

    [Fact]
    public async Task Barrier_NotSet_WaitReturnsAtOnce()
    {
        await using var client = await ConnectAsync();

        Assert.True(await new ZooKeeperBarrier(client, "/zksync-tests/never-" + Guid.NewGuid().ToString("N")).WaitAsync(TimeSpan.Zero));
    }

    [Fact]
    public async Task Barrier_InvalidPath_NamesRule()
    {
        await using var client = await ConnectAsync();

        var ex = Assert.Throws<ArgumentException>(() => new ZooKeeperBarrier(client, "deploy/migrations"));

        Assert.Contains("must start with '/'", ex.Message, StringComparison.Ordinal);
    }
}
