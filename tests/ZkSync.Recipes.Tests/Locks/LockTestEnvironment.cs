using System.Buffers.Binary;
using System.Globalization;
using System.Net.Sockets;
using ZkSync.Client;
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

    /// <summary>
    /// Ends a live session from outside, as ZooKeeper's own tests do: a second connection with the same session id and
    /// password (the server drops the client's connection), then closeSession on it, sent in one write. The client's own
    /// reconnect can still take the session back before the closeSession is handled, so this repeats until the server
    /// answers a connect with "expired". The session's ephemerals are deleted at once.
    /// </summary>
    public static async Task ExpireSessionAsync(ZooKeeperClient client)
    {
        var (sessionId, password, server) = Credentials(client);
        using var cts = new CancellationTokenSource(Patience);
        while (await TakeOverAsync(server, sessionId, password, closeSession: true, cts.Token))
        {
            // The session was still alive and has just been closed: ask again.
        }
    }

    /// <summary>
    /// Drops the client's connection but not its session: a second connection takes the session over (the server closes
    /// the client's connection) and lets go; the client reconnects with the same session.
    /// </summary>
    public static async Task DropConnectionAsync(ZooKeeperClient client)
    {
        var (sessionId, password, server) = Credentials(client);
        using var cts = new CancellationTokenSource(Patience);
        await TakeOverAsync(server, sessionId, password, closeSession: false, cts.Token);
    }

    private static (long SessionId, byte[] Password, string Server) Credentials(ZooKeeperClient client) =>
        (client.Session.SessionId, client.SessionPassword.ToArray(),

            // The member the client is connected to: in an ensemble, a takeover through another member does not close
            // the client's connection (the old member only learns of the move on the client's next write).
            client.Session.ConnectedServer ?? throw new InvalidOperationException("The client is not connected."));

    /// <summary>Connects with the session's id and password (and closes the session if asked); false when the server says it has expired.</summary>
    private static async Task<bool> TakeOverAsync(string server, long sessionId, byte[] password, bool closeSession, CancellationToken cancellationToken)
    {
        var colon = server.LastIndexOf(':');
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server[..colon], int.Parse(server[(colon + 1)..], CultureInfo.InvariantCulture), cancellationToken);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var frames = new byte[49 + 12];
        BinaryPrimitives.WriteInt32BigEndian(frames, 45);                     // ConnectRequest length
        BinaryPrimitives.WriteInt32BigEndian(frames.AsSpan(16), 4000);        // timeOut
        BinaryPrimitives.WriteInt64BigEndian(frames.AsSpan(20), sessionId);   // sessionId
        BinaryPrimitives.WriteInt32BigEndian(frames.AsSpan(28), 16);          // passwd length
        password.CopyTo(frames.AsSpan(32));                                   // passwd; readOnly = false
        BinaryPrimitives.WriteInt32BigEndian(frames.AsSpan(49), 8);           // closeSession frame length
        BinaryPrimitives.WriteInt32BigEndian(frames.AsSpan(53), 1);           // xid
        BinaryPrimitives.WriteInt32BigEndian(frames.AsSpan(57), -11);         // closeSession
        await stream.WriteAsync(closeSession ? frames : frames.AsMemory(0, 49), cancellationToken);

        // ConnectResponse: length, protocolVersion, timeOut (0 = expired), … EOF: the client took the session back first.
        var response = new byte[41];
        var read = await stream.ReadAtLeastAsync(response, response.Length, throwOnEndOfStream: false, cancellationToken);
        var alive = read < 12 || BinaryPrimitives.ReadInt32BigEndian(response.AsSpan(8)) > 0;
        if (closeSession)
        {
            var buffer = new byte[256];
            while (await stream.ReadAsync(buffer, cancellationToken) > 0)
            {
                // Drain until the server closes the connection.
            }
        }

        return alive;
    }

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
