using System.Globalization;
using ZkSync.Client;
using ZkSync.TestSupport;
using ZkSync.Locks;

namespace ZkSync.Recipes.Tests.Locks;

/// <summary>
/// One test's world: its own root (<c>/zksync-tests/locks-&lt;guid&gt;</c>), an admin client to inspect it, and
/// contender clients (one ZooKeeper session each). Disposing deletes the root's tree and closes every client.
/// </summary>
internal sealed class LockTestEnvironment : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private readonly List<ZooKeeperClient> _clients = [];

    private LockTestEnvironment(ZooKeeperClient admin, string root)
    {
        Admin = admin;
        Root = root;
    }

    public static string ConnectionString =>
        ZkSync.TestSupport.ZooKeeperEnsemble.ConnectionString;

    public ZooKeeperClient Admin { get; }

    /// <summary>The provider root of this test (created on demand by the providers, as a container).</summary>
    public string Root { get; }

    public static async Task<LockTestEnvironment> CreateAsync()
    {
        var admin = await ConnectAsync(TimeSpan.FromSeconds(10));
        try
        {
            await admin.CreateAsync("/zksync-tests", ReadOnlyMemory<byte>.Empty);
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NodeExists)
        {
        }

        return new LockTestEnvironment(admin, "/zksync-tests/locks-" + Guid.NewGuid().ToString("N"));
    }

    public static async Task<ZooKeeperClient> ConnectAsync(TimeSpan sessionTimeout)
    {
        var options = new ZooKeeperClientOptions { ConnectionString = ConnectionString, SessionTimeout = sessionTimeout };
        using var cts = new CancellationTokenSource(Patience);
        return await ZooKeeperClient.ConnectAsync(options, cancellationToken: cts.Token);
    }

    /// <summary>A new session and a provider on it.</summary>
    public async Task<(ZooKeeperClient Client, ZooKeeperLockProvider Provider)> NewContenderAsync(
        Action<ZooKeeperLockOptions>? configure = null, TimeSpan? sessionTimeout = null)
    {
        var client = await ConnectAsync(sessionTimeout ?? TimeSpan.FromSeconds(10));
        lock (_clients)
        {
            _clients.Add(client);
        }

        return (client, NewProvider(client, configure));
    }

    public ZooKeeperLockProvider NewProvider(ZooKeeperClient client, Action<ZooKeeperLockOptions>? configure = null)
    {
        var options = new ZooKeeperLockOptions { RootPath = Root };
        configure?.Invoke(options);
        return new ZooKeeperLockProvider(client, options);
    }

    /// <summary>
    /// Reads through the admin session after a sync, so that writes made by other sessions (possibly through other
    /// members of the ensemble) are visible: ZooKeeper reads are only sequentially consistent per session.
    /// </summary>
    public async Task<IReadOnlyList<string>> ChildrenAsync(string path)
    {
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

    /// <summary>The node's metadata after a sync (see <see cref="ChildrenAsync"/>), or null.</summary>
    public async Task<ZooKeeperStat?> ExistsAsync(string path)
    {
        await Admin.SyncAsync(path);
        return await Admin.ExistsAsync(path);
    }

    /// <summary>The node's data after a sync (see <see cref="ChildrenAsync"/>).</summary>
    public async Task<ZooKeeperNodeData> GetDataAsync(string path)
    {
        await Admin.SyncAsync(path);
        return await Admin.GetDataAsync(path);
    }

    /// <summary>Waits (on child watches, not by polling) until <paramref name="path"/>'s children satisfy <paramref name="condition"/>.</summary>
    public async Task<IReadOnlyList<string>> WaitForChildrenAsync(string path, Func<IReadOnlyList<string>, bool> condition, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Patience);
        while (true)
        {
            var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            IReadOnlyList<string> children;
            try
            {
                children = await Admin.GetChildrenAsync(path, _ => changed.TrySetResult());
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
            {
                children = [];
                if (await Admin.ExistsAsync(path, _ => changed.TrySetResult()) is not null)
                {
                    continue;
                }
            }

            if (condition(children))
            {
                return children;
            }

            await changed.Task.WaitAsync(cts.Token);
        }
    }

    /// <summary>Waits until <paramref name="path"/> does not exist (exists watch).</summary>
    public async Task WaitForDeletionAsync(string path, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (await Admin.ExistsAsync(path, _ => changed.TrySetResult()) is null)
            {
                return;
            }

            await changed.Task.WaitAsync(cts.Token);
        }
    }

    /// <summary>Every znode below the root (paths), deepest first.</summary>
    public async Task<List<string>> DescendantsAsync(string? path = null)
    {
        var result = new List<string>();
        foreach (var child in await ChildrenAsync(path ?? Root))
        {
            var childPath = (path ?? Root) + "/" + child;
            result.AddRange(await DescendantsAsync(childPath));
            result.Add(childPath);
        }

        return result;
    }

    /// <summary>Ends a live session from outside (see <see cref="SessionKiller.ExpireAsync"/>); its ephemerals go at once.</summary>
    public static Task ExpireSessionAsync(ZooKeeperClient client) => SessionKiller.ExpireAsync(client);

    /// <summary>Drops the client's connection but not its session (see <see cref="SessionKiller.DropConnectionAsync"/>).</summary>
    public static Task DropConnectionAsync(ZooKeeperClient client) => SessionKiller.DropConnectionAsync(client);

    /// <summary>A task that completes when <paramref name="token"/> is cancelled (e.g. a handle's Lost).</summary>
    public static Task WhenCancelled(CancellationToken token)
    {
        var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        token.Register(() => fired.TrySetResult());
        return fired.Task;
    }

    /// <summary>Waits (on <see cref="ZooKeeperClient.StateChanged"/>) until the client is connected with a session other than <paramref name="oldSessionId"/>.</summary>
    public static async Task WaitForNewSessionAsync(ZooKeeperClient client, long oldSessionId)
    {
        var renewed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnStateChanged(object? sender, ZooKeeperSessionStateChangedEventArgs e)
        {
            if (e.Session.IsConnected && e.Session.SessionId != oldSessionId)
            {
                renewed.TrySetResult();
            }
        }

        client.StateChanged += OnStateChanged;
        try
        {
            if (client.Session is { IsConnected: true } session && session.SessionId != oldSessionId)
            {
                return;
            }

            await renewed.Task.WaitAsync(Patience);
        }
        finally
        {
            client.StateChanged -= OnStateChanged;
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<ZooKeeperClient> clients;
        lock (_clients)
        {
            clients = [.. _clients];
        }

        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }

        foreach (var path in await DescendantsAsync())
        {
            await DeleteQuietlyAsync(path);
        }

        await DeleteQuietlyAsync(Root);
        await Admin.DisposeAsync();
    }

    private async Task DeleteQuietlyAsync(string path)
    {
        try
        {
            await Admin.DeleteAsync(path);
        }
        catch (ZooKeeperException ex) when (ex.Code is ZooKeeperErrorCode.NoNode or ZooKeeperErrorCode.NotEmpty or ZooKeeperErrorCode.NoAuth)
        {
            // NoAuth: a container another identity created (ACL tests); the server reaps it once it is empty.
        }
    }
}
