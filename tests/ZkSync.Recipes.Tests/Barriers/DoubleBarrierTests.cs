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
