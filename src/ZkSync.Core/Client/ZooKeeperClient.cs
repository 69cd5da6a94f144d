using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ZkSync.Client.Internal;

namespace ZkSync.Client;

/// <summary>
/// A fully managed, asynchronous ZooKeeper client: one session, one connection at a time, many requests in flight.
/// </summary>
/// <remarks>
/// <para>
/// The client connects in the background as soon as it is constructed and keeps reconnecting (hosts in random order)
/// with the same session after a connection loss. Requests submitted while it is not connected wait (up to
/// <see cref="ZooKeeperClientOptions.RequestTimeout"/>) and are sent once it is. Requests in flight when a connection
/// is lost fail with <see cref="ZooKeeperErrorCode.ConnectionLoss"/>: their outcome is unknown.
/// </para>
/// <para>
/// Watch callbacks and <see cref="StateChanged"/> run one at a time, in order, on a dispatcher loop, never on the
/// socket's loop; keep them short and never block on a ZooKeeper call inside them.
/// </para>
/// <para>
/// A <see cref="CancellationToken"/> only abandons the wait: a request already sent may still be applied.
/// </para>
/// </remarks>
public sealed partial class ZooKeeperClient : IAsyncDisposable
{
    /// <summary>
    /// Creates a client and starts connecting in the background. Use <see cref="WaitForConnectedAsync"/> or
    /// <see cref="ConnectAsync"/> to wait for the session.
    /// </summary>
    /// <param name="options">The options; validated here (an invalid option throws <see cref="ArgumentException"/> naming it).</param>
    /// <param name="loggerFactory">Logging; null for none.</param>
    /// <param name="meterFactory">Metrics; null for a meter owned by the client.</param>
    public ZooKeeperClient(ZooKeeperClientOptions options, ILoggerFactory? loggerFactory = null, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _connectionString = Internal.ConnectionString.Parse(options.ConnectionString);
        _chroot = _connectionString.Chroot;
        _authInfo = [.. options.AuthInfo];
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("ZkSync.Client.ZooKeeperClient");
        _connectFailures = new ConnectFailureLog(_logger);
        _tls = options.Tls is { Enabled: true } tls ? new TlsConnector(tls) : null;
        _metrics = ZkClientMetrics.For(meterFactory);
        _metrics.Sessions.Add(1, new KeyValuePair<string, object?>("zksync.session.state", StateTag(ZooKeeperSessionState.Connecting)));
        _tracker = new Tracker(this);
        _dispatcher = new EventDispatcher(_logger);
        _requestedTimeoutMs = (int)options.SessionTimeout.TotalMilliseconds;
        _requestTimeoutMs = options.RequestTimeout == Timeout.InfiniteTimeSpan ? -1 : (long)options.RequestTimeout.TotalMilliseconds;
        _sessionLoop = Task.Run(RunSessionLoopAsync);
        StartWatchdog();
    }

    /// <summary>Creates a client and waits until it has a session.</summary>
    /// <param name="options">The options.</param>
    /// <param name="loggerFactory">Logging; null for none.</param>
    /// <param name="meterFactory">Metrics; null for a meter owned by the client.</param>
    /// <param name="cancellationToken">Abandons the wait; the client is then disposed.</param>
    /// <returns>The connected client.</returns>
    public static async Task<ZooKeeperClient> ConnectAsync(ZooKeeperClientOptions options, ILoggerFactory? loggerFactory = null,
        IMeterFactory? meterFactory = null, CancellationToken cancellationToken = default)
    {
        var client = new ZooKeeperClient(options, loggerFactory, meterFactory);
        try
        {
            await client.WaitForConnectedAsync(cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Creates a node.</summary>
    /// <param name="path">The path (for sequential modes, the prefix of the name).</param>
    /// <param name="data">The data; at most about 1 MB (the server's <c>jute.maxbuffer</c>).</param>
    /// <param name="mode">How the node is created.</param>
    /// <param name="acl">Its ACL; null for <see cref="ZooKeeperAcl.OpenUnsafe"/>.</param>
    /// <param name="ttl">For the TTL modes: the time to live.</param>
    /// <param name="cancellationToken">Abandons the wait.</param>
    /// <returns>The created path (with its sequence suffix) and the node's metadata.</returns>
    /// <exception cref="ZooKeeperException">NodeExists, NoNode (parent missing), NoAuth, NoChildrenForEphemerals, Unimplemented (TTL disabled)…</exception>
    public Task<ZooKeeperCreateResult> CreateAsync(string path, ReadOnlyMemory<byte> data, CreateMode mode = CreateMode.Persistent,
        IReadOnlyList<ZooKeeperAcl>? acl = null, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        Requests.ValidateCreate(path, mode, acl, ttl);
        return Submit(new CreateRequest(path, data, mode, acl, ttl), cancellationToken);
    }

    /// <summary>Deletes a node if its version matches.</summary>
    /// <param name="path">The path.</param>
    /// <param name="version">The expected version; -1 for any.</param>
    /// <param name="cancellationToken">Abandons the wait.</param>
    /// <returns>A task that completes when the node was deleted.</returns>
    /// <exception cref="ZooKeeperException">NoNode, BadVersion, NotEmpty, NoAuth…</exception>
    public Task DeleteAsync(string path, int version = -1, CancellationToken cancellationToken = default)
    {
        ZkPath.Validate(path);
        return Submit(new DeleteRequest(path, version), cancellationToken);
    }

    /// <summary>Returns a node's metadata, or null when it does not exist; optionally leaves a one-shot watch.</summary>
    /// <param name="path">The path.</param>
    /// <param name="watcher">Called once on the next change: NodeCreated if the node is missing, else NodeDataChanged or NodeDeleted.</param>
    /// <param name="cancellationToken">Abandons the wait.</param>
    /// <returns>The metadata, or null.</returns>
    public Task<ZooKeeperStat?> ExistsAsync(string path, Action<ZooKeeperWatchEvent>? watcher = null, CancellationToken cancellationToken = default)
    {
        ZkPath.Validate(path);
        return Submit(new ExistsRequest(path, watcher), cancellationToken);
    }

    /// <summary>Returns a node's data and metadata; optionally leaves a one-shot watch (NodeDataChanged or NodeDeleted).</summary>
    /// <param name="path">The path.</param>
    /// <param name="watcher">Called once on the next change of the node.</param>
    /// <param name="cancellationToken">Abandons the wait.</param>
    /// <returns>The data and metadata.</returns>
    /// <exception cref="ZooKeeperException">NoNode, NoAuth…</exception>
    public Task<ZooKeeperNodeData> GetDataAsync(string path, Action<ZooKeeperWatchEvent>? watcher = null, CancellationToken cancellationToken = default)
    {
        ZkPath.Validate(path);
        return Submit(new GetDataRequest(path, watcher), cancellationToken);
    }

    /// <summary>Sets a node's data if its version matches.</summary>
    /// <param name="path">The path.</param>
    /// <param name="data">The new data.</param>
    /// <param name="version">The expected version; -1 for any.</param>
    /// <param name="cancellationToken">Abandons the wait.</param>
    /// <returns>The node's new metadata.</returns>
    /// <exception cref="ZooKeeperException">NoNode, BadVersion, NoAuth…</exception>
    public Task<ZooKeeperStat> SetDataAsync(string path, ReadOnlyMemory<byte> data, int version = -1, CancellationToken cancellationToken = default)
    {
        ZkPath.Validate(path);
        return Submit(new SetDataRequest(path, data, version), cancellationToken);
    }

    /// <summary>Returns a node's child names; optionally leaves a one-shot watch (NodeChildrenChanged or NodeDeleted).</summary>
    /// <param name="path">The path.</param>
    /// <param name="watcher">Called once on the next change of the children.</param>
    /// <param name="cancellationToken">Abandons the wait.</param>
    /// <returns>The child names.</returns>
    /// <exception cref="ZooKeeperException">NoNode, NoAuth…</exception>
    public Task<IReadOnlyList<string>> GetChildrenAsync(string path, Action<ZooKeeperWatchEvent>? watcher = null, CancellationToken cancellationToken = default)
    {
        ZkPath.Validate(path);
        return Submit(new GetChildrenRequest(path, watcher), cancellationToken);
    }

    /// <summary>Returns a node's child names and its metadata (<c>getChildren2</c>).</summary>
    /// <param name="path">The path.</param>
    /// <param name="watcher">Called once on the next change of the children.</param>
    /// <param name="cancellationToken">Abandons the wait.</param>
    /// <returns>The child names and the parent's metadata.</returns>
    public Task<ZooKeeperChildren> GetChildrenWithStatAsync(string path, Action<ZooKeeperWatchEvent>? watcher = null, CancellationToken cancellationToken = default)
    {
        ZkPath.Validate(path);
        return Submit(new GetChildren2Request(path, watcher), cancellationToken);
    }

    /// <summary>Returns the number of all descendants of a node (not counting the node). Needs ZooKeeper 3.6 or later.</summary>
    /// <param name="path">The path.</param>
    /// <param name="cancellationToken">Abandons the wait.</param>
    /// <returns>The count.</returns>
    public Task<int> GetAllChildrenNumberAsync(string path, CancellationToken cancellationToken = default)
    {
        ZkPath.Validate(path);
        return Submit(new GetAllChildrenNumberRequest(path), cancellationToken);
    }

    /// <summary>Waits until the server this client is connected to has caught up with the leader on <paramref name="path"/>.</summary>
    /// <param name="path">The path.</param>
    /// <param name="cancellationToken">Abandons the wait.</param>
    /// <returns>A task that completes when synced.</returns>
    public Task SyncAsync(string path, CancellationToken cancellationToken = default)
    {
        ZkPath.Validate(path);
        return Submit(new SyncRequest(path), cancellationToken);
    }

    /// <summary>Returns a node's ACL.</summary>
    /// <param name="path">The path.</param>
    /// <param name="cancellationToken">Abandons the wait.</param>
    /// <returns>The ACL and metadata.</returns>
    public Task<ZooKeeperAclResult> GetAclAsync(string path, CancellationToken cancellationToken = default)
    {
        ZkPath.Validate(path);
        return Submit(new GetAclRequest(path), cancellationToken);
    }

    /// <summary>Sets a node's ACL if its ACL version matches.</summary>
    /// <param name="path">The path.</param>
    /// <param name="acl">The new ACL (not empty).</param>
    /// <param name="aclVersion">The expected ACL version (<see cref="ZooKeeperStat.Aversion"/>); -1 for any.</param>
    /// <param name="cancellationToken">Abandons the wait.</param>
    /// <returns>The node's new metadata.</returns>
    public Task<ZooKeeperStat> SetAclAsync(string path, IReadOnlyList<ZooKeeperAcl> acl, int aclVersion = -1, CancellationToken cancellationToken = default)
    {
        ZkPath.Validate(path);
        ArgumentNullException.ThrowIfNull(acl);
        if (acl.Count == 0)
        {
            throw new ArgumentException("The ACL must not be empty.", nameof(acl));
        }

        return Submit(new SetAclRequest(path, acl, aclVersion), cancellationToken);
    }

    /// <summary>
    /// Runs operations as one transaction: all are applied or none. On failure throws a <see cref="ZooKeeperException"/>
    /// with the failing operation's code and path, <see cref="ZooKeeperException.FailedOperationIndex"/> and the per-operation results.
    /// </summary>
    /// <param name="operations">Create, delete, setData and check operations (at least one).</param>
    /// <param name="cancellationToken">Abandons the wait.</param>
    /// <returns>One result per operation.</returns>
    public Task<IReadOnlyList<ZooKeeperOpResult>> MultiAsync(IReadOnlyList<ZooKeeperOp> operations, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operations);
        if (operations.Count == 0)
        {
            throw new ArgumentException("A multi needs at least one operation.", nameof(operations));
        }

        for (var i = 0; i < operations.Count; i++)
        {
            var op = operations[i] ?? throw new ArgumentException($"Operation {i} is null.", nameof(operations));
            op.Validate();
        }

        return Submit(new MultiRequest([.. operations]), cancellationToken);
    }

    /// <summary>
    /// Adds a persistent watch: <paramref name="watcher"/> is called for every event on <paramref name="path"/> (and, when
    /// recursive, its descendants, without NodeChildrenChanged) until <see cref="RemoveWatchesAsync"/> removes it or the
    /// session ends. Re-registered after every reconnect. Needs ZooKeeper 3.6 or later: an older server answers
    /// <see cref="ZooKeeperErrorCode.Unimplemented"/> (the error names the version needed) and closes the connection,
    /// after which this client fails such calls at once without sending them.
    /// </summary>
    /// <param name="path">The path.</param>
    /// <param name="mode">Persistent or persistent recursive.</param>
    /// <param name="watcher">The callback.</param>
    /// <param name="cancellationToken">Abandons the wait.</param>
    /// <returns>A task that completes when the watch is registered.</returns>
    public Task AddWatchAsync(string path, AddWatchMode mode, Action<ZooKeeperWatchEvent> watcher, CancellationToken cancellationToken = default)
    {
        ZkPath.Validate(path);
        ArgumentNullException.ThrowIfNull(watcher);
        if (!Enum.IsDefined(mode))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown AddWatchMode.");
        }

        return Submit(new AddWatchRequest(path, mode, watcher), cancellationToken);
    }

    /// <summary>Removes this client's watches of <paramref name="type"/> on <paramref name="path"/>, on the server and locally.</summary>
    /// <param name="path">The path.</param>
    /// <param name="type">Which watches.</param>
    /// <param name="cancellationToken">Abandons the wait.</param>
    /// <returns>A task that completes when removed.</returns>
    /// <exception cref="ZooKeeperException">NoWatcher when there was no such watch.</exception>
    public Task RemoveWatchesAsync(string path, ZooKeeperWatcherType type, CancellationToken cancellationToken = default)
    {
        ZkPath.Validate(path);
        return Submit(new RemoveWatchesRequest(path, type), cancellationToken);
    }

    /// <summary>
    /// Returns the paths of this session's ephemeral nodes that start with <paramref name="prefixPath"/> (a plain string
    /// prefix). Needs ZooKeeper 3.6 or later.
    /// </summary>
    /// <param name="prefixPath">The prefix; "/" for all.</param>
    /// <param name="cancellationToken">Abandons the wait.</param>
    /// <returns>The paths.</returns>
    public Task<IReadOnlyList<string>> GetEphemeralsAsync(string prefixPath = "/", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefixPath);
        if (!prefixPath.StartsWith('/'))
        {
            throw new ArgumentException($"Invalid prefix '{prefixPath}': it must start with '/'.", nameof(prefixPath));
        }

        return Submit(new GetEphemeralsRequest(prefixPath), cancellationToken);
    }

    /// <summary>
    /// Returns the identities the server associates with this session. Needs ZooKeeper 3.7 or later: an older server answers
    /// Unimplemented and closes the connection, after which this client fails the call at once without sending it.
    /// </summary>
    /// <param name="cancellationToken">Abandons the wait.</param>
    /// <returns>The identities.</returns>
    public Task<IReadOnlyList<ZooKeeperClientIdentity>> WhoAmIAsync(CancellationToken cancellationToken = default) =>
        Submit(new WhoAmIRequest(), cancellationToken);

    /// <summary>True when credentials were configured or added (the session then has an authenticated identity).</summary>
    internal bool IsAuthenticated
    {
        get
        {
            lock (_authInfo)
            {
                return _authInfo.Count > 0;
            }
        }
    }

    /// <summary>The identities in use, without secrets, for error messages: <c>digest:alice</c>, or <c>anonymous</c>.</summary>
    internal string Identity
    {
        get
        {
            lock (_authInfo)
            {
                return _authInfo.Count == 0 ? "anonymous (no credentials)" : string.Join(", ", _authInfo.Select(a => a.Identity).Distinct());
            }
        }
    }

    /// <summary>
    /// Adds credentials to the session now and remembers them: they are sent again before any request on every reconnect.
    /// Wrong credentials end the client in <see cref="ZooKeeperSessionState.AuthFailed"/>.
    /// </summary>
    /// <param name="authInfo">The credentials.</param>
    /// <param name="cancellationToken">Abandons the wait.</param>
    /// <returns>A task that completes when the server accepted them.</returns>
    public Task AddAuthAsync(ZooKeeperAuthInfo authInfo, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(authInfo);
        ThrowIfTerminal();
        lock (_authInfo)
        {
            _authInfo.Add(authInfo);
        }

        var waiter = new AuthWaiter();
        _outgoing.Writer.TryWrite(new AuthRequest(authInfo, waiter));
        return cancellationToken.CanBeCanceled ? waiter.Task.WaitAsync(cancellationToken) : waiter.Task;
    }

    private Task<T> Submit<T>(ZkRequest<T> request, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<T>(cancellationToken);
        }

        var terminal = GetTerminalException();
        if (terminal is not null)
        {
            return Task.FromException<T>(terminal);
        }

        if (_serverFeatures.IsRefused(request.OpCode))
        {
            // Sending it again would cost the connection (and every lock) once more: see ServerFeatures.
            return Task.FromException<T>(ServerFeatures.Unsupported(request.OpCode, request.Path));
        }

        request.Tracker = _tracker;
        request.StartTimestamp = Stopwatch.GetTimestamp();
        if (_requestTimeoutMs > 0)
        {
            request.Deadline = Environment.TickCount64 + _requestTimeoutMs;
        }

        if (ZkSyncDiagnostics.ActivitySource.HasListeners())
        {
            // StartActivity makes the span current; this method is not async, so nothing would undo that for the
            // caller: its next span would be parented to this one (stopped on the read loop), and requests pipelined
            // from one flow would nest. Restore the caller's current activity: the request span is a child, not a scope.
            var caller = Activity.Current;
            // Named after the operation, as OpenTelemetry's database conventions ask ({db.operation.name}); the path is
            // an attribute, never part of the name (unbounded cardinality).
            var activity = ZkSyncDiagnostics.ActivitySource.StartActivity(OpName(request.OpCode), ActivityKind.Client);
            Activity.Current = caller;
            if (activity is not null)
            {
                activity.SetTag("db.system.name", "zookeeper");
                activity.SetTag("db.operation.name", OpName(request.OpCode));
                if (request.Path is not null)
                {
                    activity.SetTag("zookeeper.path", request.Path);
                }

                request.Activity = activity;
            }
        }

        if (_metrics.InFlight.Enabled)
        {
            _metrics.InFlight.Add(1);
        }

        if (cancellationToken.CanBeCanceled)
        {
            request.CancellationRegistration = cancellationToken.UnsafeRegister(
                static (state, token) => ((ZkRequest)state!).Cancel(token), request);
        }

        if (request.Deadline != long.MaxValue)
        {
            _deadlines.Enqueue(request);
        }

        if (!_outgoing.Writer.TryWrite(request))
        {
            request.Fail(GetTerminalException() ?? new ObjectDisposedException(nameof(ZooKeeperClient)));
        }

        return request.Task;
    }

    internal static string OpName(OpCode opCode) => opCode switch
    {
        OpCode.Create or OpCode.Create2 => "create",
        OpCode.CreateContainer => "createContainer",
        OpCode.CreateTtl => "createTTL",
        OpCode.Delete => "delete",
        OpCode.Exists => "exists",
        OpCode.GetData => "getData",
        OpCode.SetData => "setData",
        OpCode.GetAcl => "getACL",
        OpCode.SetAcl => "setACL",
        OpCode.GetChildren => "getChildren",
        OpCode.GetChildren2 => "getChildren2",
        OpCode.Sync => "sync",
        OpCode.Multi => "multi",
        OpCode.AddWatch => "addWatch",
        OpCode.RemoveWatches => "removeWatches",
        OpCode.GetEphemerals => "getEphemerals",
        OpCode.GetAllChildrenNumber => "getAllChildrenNumber",
        OpCode.WhoAmI => "whoAmI",
        OpCode.CloseSession => "closeSession",
        _ => opCode.ToString(),
    };

    private sealed class Tracker(ZooKeeperClient client) : RequestTracker
    {
        public override void Completed(ZkRequest request, Exception? exception)
        {
            request.CancellationRegistration.Dispose();
            if (exception is ZooKeeperException { Code: ZooKeeperErrorCode.Unimplemented })
            {
                client._serverFeatures.Refused(request.OpCode);
            }

            var metrics = client._metrics;
            if (metrics.InFlight.Enabled)
            {
                metrics.InFlight.Add(-1);
            }

            var activity = request.Activity;
            if (!metrics.Duration.Enabled && activity is null)
            {
                return;
            }

            // OpenTelemetry database client conventions. Replies that answer the question asked (NoNode, NodeExists,
            // BadVersion, NotEmpty, ...) are outcomes, not errors: they carry db.response.status_code only.
            var code = (exception as ZooKeeperException)?.Code;
            var errorType = exception switch
            {
                null => null,
                ZooKeeperException zk when IsExpectedReply(zk.Code) => null,
                ZooKeeperException zk => zk.Code.ToString(),
                _ => exception.GetType().FullName,
            };
            var operation = OpName(request.OpCode);
            var server = request.SentTo;
            if (metrics.Duration.Enabled)
            {
                var tags = new TagList { { "db.system.name", "zookeeper" }, { "db.operation.name", operation } };
                if (errorType is not null)
                {
                    tags.Add("error.type", errorType);
                }

                if (code is { } status)
                {
                    tags.Add("db.response.status_code", ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture));
                }

                if (server is not null)
                {
                    tags.Add("server.address", server.Host);
                    tags.Add("server.port", server.Port);
                }

                metrics.Duration.Record(Stopwatch.GetElapsedTime(request.StartTimestamp).TotalSeconds, tags);
            }

            if (activity is not null)
            {
                if (server is not null)
                {
                    activity.SetTag("server.address", server.Host);
                    activity.SetTag("server.port", server.Port);
                }

                if (code is { } status)
                {
                    activity.SetTag("db.response.status_code", ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture));
                }

                if (errorType is not null)
                {
                    activity.SetTag("error.type", errorType);
                    activity.SetStatus(ActivityStatusCode.Error, exception!.Message);
                }

                activity.Dispose();
            }
        }

        /// <summary>Replies that answer the question asked rather than report a failure.</summary>
        private static bool IsExpectedReply(ZooKeeperErrorCode code) => code is ZooKeeperErrorCode.NoNode or ZooKeeperErrorCode.NodeExists
            or ZooKeeperErrorCode.BadVersion or ZooKeeperErrorCode.NotEmpty or ZooKeeperErrorCode.NoChildrenForEphemerals;
    }
}
