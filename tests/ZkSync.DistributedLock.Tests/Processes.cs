using Medallion.Threading;
using ZkSync.Client;
using ZkSync.Locks;
using ZkSync.Semaphores;
using ZkSync.TestSupport;

namespace ZkSync.DistributedLock.Tests;

/// <summary>
/// Two "processes" on the real ensemble: each its own ZooKeeper session and <see cref="ZkSyncDistributedLockProvider"/>,
/// both on lock and semaphore roots of this test's own.
/// </summary>
internal sealed class Processes : IAsyncDisposable
{
    private Processes(string root, ZooKeeperClient first, ZooKeeperClient second)
    {
        Root = root;
        FirstClient = first;
        SecondClient = second;
        First = Create(first);
        Second = Create(second);
    }

    public string Root { get; }

    public string LockRoot => Root + "/locks";

    public ZooKeeperClient FirstClient { get; }

    public ZooKeeperClient SecondClient { get; }

    public ZkSyncDistributedLockProvider First { get; }

    public ZkSyncDistributedLockProvider Second { get; }

    public static async Task<Processes> StartAsync(string root)
    {
        var first = await ConnectAsync();
        var second = await ConnectAsync();
        return new Processes(root, first, second);
    }

    public static Task<ZooKeeperClient> ConnectAsync()
    {
        using var cts = new CancellationTokenSource(WaitHelper.DefaultTimeout);
        return ZooKeeperClient.ConnectAsync(
            new ZooKeeperClientOptions { ConnectionString = ZooKeeperEnsemble.ConnectionString, SessionTimeout = TimeSpan.FromSeconds(6) },
            cancellationToken: cts.Token);
    }

    /// <summary>The number of contender nodes (holders and waiters) of a DistributedLock name.</summary>
    public async Task<int> ContendersAsync(string name)
    {
        try
        {
            return (await FirstClient.GetChildrenAsync(LockRoot + "/" + ZkSyncDistributedLockNames.ToZkSyncName(name))).Count;
        }
        catch (ZooKeeperException e) when (e.Code == ZooKeeperErrorCode.NoNode)
        {
            return 0;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await FirstClient.DisposeAsync();
        await SecondClient.DisposeAsync();
    }

    private ZkSyncDistributedLockProvider Create(ZooKeeperClient client) => new(
        client,
        new ZooKeeperLockProvider(client, new ZooKeeperLockOptions { RootPath = LockRoot }),
        new ZooKeeperSemaphoreOptions { RootPath = Root + "/semaphores" });
}

internal static class HandleAssertions
{
    public static async Task<IDistributedSynchronizationHandle> Held(this ValueTask<IDistributedSynchronizationHandle?> attempt) =>
        await attempt ?? throw new Xunit.Sdk.XunitException("Expected the lock to be acquired, but the attempt returned null.");
}
