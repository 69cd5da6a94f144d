using ZkSync.Client;

namespace ZkSync.AspNetCore.Tests.Support;

/// <summary>
/// One test's ZooKeeper world: the real ensemble (<c>ZKSYNC_TEST_CONNECTION</c>), an admin session to inspect and
/// disturb it, and a lock root of its own (<c>/zksync-tests/aspnet-&lt;guid&gt;</c>) that is deleted on dispose.
/// </summary>
internal sealed class ZooKeeperTestEnvironment : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private ZooKeeperTestEnvironment(ZooKeeperClient admin, string lockRoot)
    {
        Admin = admin;
        LockRoot = lockRoot;
    }

    public static string ConnectionString => ZkSync.TestSupport.ZooKeeperEnsemble.ConnectionString;

    public ZooKeeperClient Admin { get; }

    /// <summary>The <c>ZkSync:Locks:RootPath</c> of this test's apps.</summary>
    public string LockRoot { get; }

    public static async Task<ZooKeeperTestEnvironment> CreateAsync()
    {
        ZooKeeperClient admin;
        try
        {
            using var cts = new CancellationTokenSource(Patience);
            admin = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectionString = ConnectionString, SessionTimeout = TimeSpan.FromSeconds(10) }, cancellationToken: cts.Token);
        }
        catch (OperationCanceledException ex)
        {
            throw new InvalidOperationException($"No ZooKeeper at '{ConnectionString}' within {Patience}. Start the test ensemble or set ZKSYNC_TEST_CONNECTION.", ex);
        }

        try
        {
            await admin.CreateAsync("/zksync-tests", ReadOnlyMemory<byte>.Empty);
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NodeExists)
        {
        }

        return new ZooKeeperTestEnvironment(admin, "/zksync-tests/aspnet-" + Guid.NewGuid().ToString("N"));
    }

    /// <summary>
    /// The lock nodes (holders and waiters) under a lock name, e.g. <c>orders/42</c>; empty when none. Read after a sync:
    /// the apps' sessions wrote them, perhaps through other members, and ZooKeeper orders reads after writes only within
    /// one session.
    /// </summary>
    public async Task<IReadOnlyList<string>> LockNodesAsync(string lockName)
    {
        var path = LockRoot + "/" + lockName;
        try
        {
            await Admin.SyncAsync(path);
            return await Admin.GetChildrenAsync(path);
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
        {
            return [];
        }
    }

    /// <summary>Waits (on children and exists watches) until the number of nodes under a lock name satisfies <paramref name="condition"/>.</summary>
    public async Task WaitForLockNodesAsync(string lockName, Func<int, bool> condition)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(Patience);
        var path = LockRoot + "/" + lockName;
        while (true)
        {
            var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            int count;
            try
            {
                count = (await Admin.GetChildrenAsync(path, _ => changed.TrySetResult(), timeout.Token)).Count;
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
            {
                if (condition(0))
                {
                    return;
                }

                await Admin.ExistsAsync(path, _ => changed.TrySetResult(), timeout.Token);
                await changed.Task.WaitAsync(timeout.Token);
                continue;
            }

            if (condition(count))
            {
                return;
            }

            await changed.Task.WaitAsync(timeout.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await DeleteRecursiveAsync(LockRoot);
        }
        finally
        {
            await Admin.DisposeAsync();
        }
    }

    private async Task DeleteRecursiveAsync(string path)
    {
        IReadOnlyList<string> children;
        try
        {
            children = await Admin.GetChildrenAsync(path);
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
        {
            return;
        }

        foreach (var child in children)
        {
            await DeleteRecursiveAsync(path + "/" + child);
        }

        try
        {
            await Admin.DeleteAsync(path);
        }
        catch (ZooKeeperException ex) when (ex.Code is ZooKeeperErrorCode.NoNode or ZooKeeperErrorCode.NotEmpty or ZooKeeperErrorCode.NoAuth)
        {
            // NoAuth/NotEmpty: containers of an authenticated identity (their ACL keeps us out); the server reaps them once empty.
        }
    }
}
