using ZkSync.Barriers;
using ZkSync.Client;

namespace ZkSync.Recipes.Tests.Barriers;

public sealed class DoubleBarrierTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static string ConnectionString =>
        ZkSync.TestSupport.ZooKeeperEnsemble.ConnectionString;

    [Fact]
    public async Task DoubleBarrier_NSessions_EnterTogetherAndLeaveTogether()
    {
        const int members = 4;
        var path = "/zksync-tests/double-" + Guid.NewGuid().ToString("N")[..12];
        var clients = new List<ZooKeeperClient>();
        try
        {
            for (var i = 0; i < members; i++)
            {
                using var cts = new CancellationTokenSource(Timeout);
                clients.Add(await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectionString = ConnectionString }, cancellationToken: cts.Token));
            }

            var barriers = clients.Select(c => new ZooKeeperDoubleBarrier(c, path, members)).ToList();

            // All but one enter: none may pass (their nodes exist once the children count says so).
            var entering = barriers.Take(members - 1).Select(b => b.EnterAsync(Timeout)).ToList();
            await WaitForChildrenAsync(clients[^1], path, members - 1);
            Assert.DoesNotContain(entering, t => t.IsCompleted);

            // The last one joins: everyone passes.
            Assert.True(await barriers[^1].EnterAsync(Timeout));
            Assert.All(await Task.WhenAll(entering).WaitAsync(Timeout), Assert.True);

            var children = await clients[0].GetChildrenAsync(path);
            Assert.Contains("ready", children);
            Assert.Equal(members + 1, children.Count);

            // Leaving: all must return, and the barrier is empty afterwards.
            var leaving = barriers.Select(b => b.LeaveAsync(Timeout)).ToList();
            Assert.All(await Task.WhenAll(leaving).WaitAsync(Timeout), Assert.True);
            // Empty, or already gone: the barrier node is a container the server reaps once empty.
            var stat = await clients[0].ExistsAsync(path);
            Assert.True(stat is null || stat.NumChildren == 0);
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task EnterAsync_SessionExpiresWhileWaiting_JoinsAgainAndTheGroupCompletes()
    {
        var path = "/zksync-tests/double-" + Guid.NewGuid().ToString("N")[..12];
        await using var a = await ConnectAsync(ConnectionString);
        await using var b = await ConnectAsync(ConnectionString);
        var enteringA = new ZooKeeperDoubleBarrier(a, path, 2).EnterAsync(Timeout);
        await WaitForChildrenAsync(b, path, 1);
        var oldSession = a.Session.SessionId;

        // A's node goes with its session; A must not wait on uncounted.
        await ZkSync.TestSupport.SessionKiller.ExpireAsync(a);
        await Locks.LockTestEnvironment.WaitForNewSessionAsync(a, oldSession);

        Assert.True(await new ZooKeeperDoubleBarrier(b, path, 2).EnterAsync(TimeSpan.FromSeconds(15)));
        Assert.True(await enteringA.WaitAsync(Timeout));
    }

    [Fact]
    public async Task EnterAsync_TimesOutWhileTheConnectionHangs_ReturnsFalseAndLeavesNoParticipant()
    {
        var path = "/zksync-tests/double-" + Guid.NewGuid().ToString("N")[..12];
        await using var proxy = new ZkSync.TestSupport.FaultProxy(ZkSync.TestSupport.ZooKeeperEnsemble.GetMemberEndPoint(1));
        await using var admin = await ConnectAsync(ConnectionString);
        await using var client = await ConnectAsync(proxy.Endpoint, TimeSpan.FromSeconds(10));
        var suspended = ZkSync.TestSupport.WaitHelper.WaitForEventAsync<ZooKeeperSessionStateChangedEventArgs>(
            h => client.StateChanged += h, h => client.StateChanged -= h, e => !e.Session.IsConnected, Timeout);

        var entering = new ZooKeeperDoubleBarrier(client, path, 2).EnterAsync(TimeSpan.FromSeconds(2));
        await WaitForChildrenAsync(admin, path, 1);

        // The timeout runs out while nothing gets through: the clean-up's delete is lost with the connection.
        proxy.Mode = ZkSync.TestSupport.FaultMode.Blackhole;
        var outcome = await Record.ExceptionAsync(async () => Assert.False(await entering.WaitAsync(Timeout)));
        await suspended;
        proxy.Mode = ZkSync.TestSupport.FaultMode.Pass;
        Assert.Null(outcome);

        // Same session after the reconnect: a participant left behind would count for the next group.
        await client.WaitForConnectedAsync().WaitAsync(Timeout);
        await ZkSync.TestSupport.WaitHelper.WaitUntilAsync(async () =>
        {
            await admin.SyncAsync("/");
            var stat = await admin.ExistsAsync(path); // the barrier's container goes with its last child
            return stat is null || stat.NumChildren == 0;
        }, Timeout);
        Assert.False(await new ZooKeeperDoubleBarrier(admin, path, 2).EnterAsync(TimeSpan.FromMilliseconds(500)));
    }

    [Fact]
    public async Task EnterAsync_TimesOut_LeavesNoWatchBehind()
    {
        var path = "/zksync-tests/double-" + Guid.NewGuid().ToString("N")[..12];
        await using var client = await ConnectAsync(ConnectionString);
        var baseline = client.WatchCount;

        Assert.False(await new ZooKeeperDoubleBarrier(client, path, 2).EnterAsync(TimeSpan.FromMilliseconds(500)));

        // Nothing will create 'ready' for this group: a watch on it would stay for the whole session.
        Assert.Equal(baseline, client.WatchCount);
    }

    private static async Task<ZooKeeperClient> ConnectAsync(string connectionString, TimeSpan? sessionTimeout = null)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var options = new ZooKeeperClientOptions { ConnectionString = connectionString, SessionTimeout = sessionTimeout ?? TimeSpan.FromSeconds(4) };
        return await ZooKeeperClient.ConnectAsync(options, cancellationToken: cts.Token);
    }

    private static async Task WaitForChildrenAsync(ZooKeeperClient client, string path, int count)
    {
        while (true)
        {
            var changed = new TaskCompletionSource();
            var stat = await client.ExistsAsync(path);
            if (stat is not null)
            {
                var children = await client.GetChildrenAsync(path, _ => changed.TrySetResult());
                if (children.Count >= count)
                {
                    return;
                }
            }
            else if (await client.ExistsAsync(path, _ => changed.TrySetResult()) is not null)
            {
                continue; // Created in between: list the children now.
            }

            await changed.Task.WaitAsync(Timeout);
        }
    }

    [Fact]
    public async Task DoubleBarrier_EnterTimesOut_LeavesNoNode()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using var client = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectionString = ConnectionString }, cancellationToken: cts.Token);
        var path = "/zksync-tests/double-" + Guid.NewGuid().ToString("N")[..12];
        var barrier = new ZooKeeperDoubleBarrier(client, path, 3);

        Assert.False(await barrier.EnterAsync(TimeSpan.FromMilliseconds(300)));

        var stat = await client.ExistsAsync(path);
        Assert.True(stat is null || stat.NumChildren == 0);
    }
}
