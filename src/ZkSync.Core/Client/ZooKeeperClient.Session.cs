using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using ZkSync.Client.Internal;

namespace ZkSync.Client;

public sealed partial class ZooKeeperClient : IConnectionOwner
{
    private static readonly CancellationToken CanceledToken = new(canceled: true);
    private readonly ZooKeeperClientOptions _options;
    private readonly ConnectionString _connectionString;
    private readonly string? _chroot;
    private readonly List<ZooKeeperAuthInfo> _authInfo;
    private readonly ILogger _logger;
    private readonly ConnectFailureLog _connectFailures;
    private readonly ZkClientMetrics _metrics;
    private readonly TlsConnector? _tls;
    private string? _lastConnectionError;
    private string? _authFailure;
    private readonly Tracker _tracker;
    private readonly EventDispatcher _dispatcher;
    private readonly WatchRegistry _watches = new();
    private readonly ServerFeatures _serverFeatures = new();
    private readonly Channel<ZkRequest> _outgoing = Channel.CreateUnbounded<ZkRequest>(new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = true });
    private readonly ConcurrentQueue<ZkRequest> _deadlines = new();
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Lock _stateGate = new();
    private readonly Task _sessionLoop;
    private readonly int _requestedTimeoutMs;
    private readonly long _requestTimeoutMs;
    private ZooKeeperSessionState _state = ZooKeeperSessionState.Connecting;
    private ZooKeeperSessionInfo _info = new(ZooKeeperSessionState.Connecting, 0, TimeSpan.Zero, null, 0);
    private long _sessionId;
    private byte[] _password = new byte[16];
    private int _negotiatedTimeoutMs;
    private long _lastZxid;
    private long _lastHeard = Environment.TickCount64;
    private ZkConnection? _connection;
    private ZkConnection? _trusted; // the connection of the current Connected/Reconnected state
    private CancellationTokenSource? _connectionCts;
    private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _closing;
    private int _disposed;

    /// <summary>Raised, in order and on the event dispatcher, whenever <see cref="State"/> changes.</summary>
    public event EventHandler<ZooKeeperSessionStateChangedEventArgs>? StateChanged;

    /// <summary>The current state.</summary>
    public ZooKeeperSessionState State => Volatile.Read(ref _info).State;

    /// <summary>A snapshot of the session: state, id, negotiated timeout, connected server, last zxid.</summary>
    public ZooKeeperSessionInfo Session
    {
        get
        {
            var info = Volatile.Read(ref _info);
            return info with { LastZxid = Interlocked.Read(ref _lastZxid) };
        }
    }

    /// <summary>The chroot of the connection string, or null.</summary>
    public string? Chroot => _chroot;

    /// <summary>
    /// A token cancelled when the current connection ends (suspended, expired, closed or auth failed). Already cancelled
    /// when the client is not connected. Take it while connected to tie work to "nothing has gone wrong since".
    /// </summary>
    /// <remarks>
    /// <para>
    /// The bound: it is cancelled no later than (the send time of the newest request or ping whose reply has arrived) +
    /// 2/3 of the negotiated session timeout + the watchdog's wake-up latency (a dedicated thread, about a millisecond),
    /// on the monotonic clock. ZooKeeper cannot expire the session before that send time + the session timeout, so the
    /// token fires at least a third of the session timeout before anyone else can be granted what this session held.
    /// A one-way partition does not defeat it: notifications never extend the trust, only acknowledged requests do.
    /// </para>
    /// <para>
    /// Callbacks registered on it run synchronously on the client's watchdog thread: keep them short and never block in
    /// them (signal other work instead).
    /// </para>
    /// </remarks>
    public CancellationToken ConnectionLostToken
    {
        get
        {
            lock (_stateGate)
            {
                return _connectionCts?.Token ?? CanceledToken;
            }
        }
    }

    /// <summary>
    /// Why the most recent connection attempt or connection failed (null while none has failed since the last
    /// successful handshake). Shows e.g. TLS, refused-connection and no-quorum problems while the client keeps retrying.
    /// </summary>
    public string? LastConnectionError => Volatile.Read(ref _lastConnectionError);

    /// <summary>Number of requests sent and awaiting their reply on the current connection.</summary>
    internal int PendingCount => _connection?.PendingCount ?? 0;

    /// <summary>The session password (for tests that take over or expire the session from a second connection).</summary>
    internal ReadOnlySpan<byte> SessionPassword => _password;

    /// <summary>Number of registered watches.</summary>
    internal int WatchCount => _watches.Count;

    /// <summary>
    /// Forgets a one-shot watcher that a recipe no longer waits on (an abandoned wait), so that it neither piles up on a
    /// node that stays unchanged nor is re-sent after a reconnect. No request: a watch the server still holds for the
    /// path fires into nothing, at most once.
    /// </summary>
    /// <param name="path">The watched path.</param>
    /// <param name="watcher">The watcher passed to the request that set the watch.</param>
    internal void ForgetWatcher(string path, Action<ZooKeeperWatchEvent> watcher) => _watches.Forget(path, watcher);

    int IConnectionOwner.MaxFrameSize => _options.MaxFrameSize;

    int IConnectionOwner.MaxRequestSize => _options.MaxRequestSize;

    WatchRegistry IReplyContext.Watches => _watches;

    string? IReplyContext.Chroot => _chroot;

    /// <summary>Waits until the client is connected (state Connected or Reconnected).</summary>
    /// <param name="cancellationToken">Abandons the wait.</param>
    /// <returns>A task that completes when connected.</returns>
    /// <exception cref="ZooKeeperException">AuthFailed, or SessionExpired when the session expired and is not renewed.</exception>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public Task WaitForConnectedAsync(CancellationToken cancellationToken = default)
    {
        Task task;
        lock (_stateGate)
        {
            task = _connected.Task;
        }

        return cancellationToken.CanBeCanceled ? task.WaitAsync(cancellationToken) : task;
    }

    string IReplyContext.StripChroot(string serverPath) => StripChroot(serverPath);

    private string StripChroot(string serverPath)
    {
        if (_chroot is null)
        {
            return serverPath;
        }

        if (serverPath.Length == _chroot.Length && serverPath == _chroot)
        {
            return "/";
        }

        return serverPath.Length > _chroot.Length && serverPath.StartsWith(_chroot, StringComparison.Ordinal) && serverPath[_chroot.Length] == '/'
            ? serverPath[_chroot.Length..]
            : serverPath;
    }

    void IConnectionOwner.OnNotification(ZooKeeperEventType type, string serverPath)
    {
        var path = StripChroot(serverPath);
        var watchers = _watches.Materialize(type, path);
        if (watchers.Count == 0)
        {
            return;
        }

        var watchEvent = new ZooKeeperWatchEvent(type, path, ZooKeeperSessionState.Connected);
        foreach (var watcher in watchers)
        {
            _dispatcher.Post(watcher, watchEvent);
        }
    }

    void IConnectionOwner.OnZxid(long zxid)
    {
        var current = Interlocked.Read(ref _lastZxid);
        while (zxid > current)
        {
            var seen = Interlocked.CompareExchange(ref _lastZxid, zxid, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    private Exception? GetTerminalException()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return new ObjectDisposedException(nameof(ZooKeeperClient));
        }

        return State switch
        {
            ZooKeeperSessionState.AuthFailed => AuthFailedException(),
            ZooKeeperSessionState.Expired when !_options.RenewExpiredSession => new ZooKeeperException(ZooKeeperErrorCode.SessionExpired),
            ZooKeeperSessionState.Closed => new ObjectDisposedException(nameof(ZooKeeperClient)),
            _ => null,
        };
    }

    /// <summary>The error of every call after the server refused the client: which server, as whom (never a secret), why.</summary>
    private ZooKeeperException AuthFailedException() => new(ZooKeeperErrorCode.AuthFailed, null,
        Volatile.Read(ref _authFailure) ?? "The ZooKeeper server refused this client's credentials; the client is stopped.");

    private void ThrowIfTerminal()
    {
        if (GetTerminalException() is { } exception)
        {
            throw exception;
        }
    }

    /// <summary>Moves to <paramref name="next"/> and tells everyone (in order, on the dispatcher).</summary>
    /// <param name="next">The new state.</param>
    /// <param name="connection">The connection of a connected state.</param>
    /// <param name="onlyIfTrusted">When set, the change happens only while this is still the trusted connection (the
    /// watchdog's suspension must never hit a newer connection).</param>
    /// <returns>False when nothing changed.</returns>
    private bool SetState(ZooKeeperSessionState next, ZkConnection? connection = null, ZkConnection? onlyIfTrusted = null)
    {
        ZooKeeperSessionState previous;
        ZooKeeperSessionInfo info;
        CancellationTokenSource? lostConnection = null;
        lock (_stateGate)
        {
            previous = _state;
            if (previous == next || previous is ZooKeeperSessionState.Closed or ZooKeeperSessionState.AuthFailed
                || (onlyIfTrusted is not null && !ReferenceEquals(_trusted, onlyIfTrusted)))
            {
                return false;
            }

            _state = next;
            var connected = next is ZooKeeperSessionState.Connected or ZooKeeperSessionState.Reconnected;
            info = new ZooKeeperSessionInfo(next, Interlocked.Read(ref _sessionId),
                connected || next == ZooKeeperSessionState.Suspended ? TimeSpan.FromMilliseconds(_negotiatedTimeoutMs) : TimeSpan.Zero,
                connected ? connection?.Server : null, Interlocked.Read(ref _lastZxid));
            Volatile.Write(ref _info, info);
            if (connected)
            {
                _connectionCts = new CancellationTokenSource();
                Volatile.Write(ref _trusted, connection);
                _connected.TrySetResult();
            }
            else
            {
                lostConnection = _connectionCts;
                _connectionCts = null;
                Volatile.Write(ref _trusted, null);
                if (_connected.Task.IsCompleted)
                {
                    _connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                var terminal = next switch
                {
                    ZooKeeperSessionState.Closed => new ObjectDisposedException(nameof(ZooKeeperClient)),
                    ZooKeeperSessionState.AuthFailed => AuthFailedException(),
                    ZooKeeperSessionState.Expired when !_options.RenewExpiredSession => (Exception)new ZooKeeperException(ZooKeeperErrorCode.SessionExpired),
                    _ => null,
                };
                if (terminal is not null)
                {
                    _connected.TrySetException(terminal);
                    _ = _connected.Task.Exception; // observed: waiters see it; nobody waiting is fine.
                }
            }
        }

        if (lostConnection is not null)
        {
            // Cancelled on the watchdog thread, at once: never on the socket loop, never waiting for the thread pool.
            CancelOnWatchdog(lostConnection);
        }

        // Deltas always, so that a listener attached later still sums to the right counts.
        _metrics.Sessions.Add(-1, new KeyValuePair<string, object?>("zksync.session.state", StateTag(previous)));
        if (next != ZooKeeperSessionState.Closed)
        {
            _metrics.Sessions.Add(1, new KeyValuePair<string, object?>("zksync.session.state", StateTag(next)));
        }

        Log.SessionStateChanged(_logger, previous, next, info.SessionId, info.ConnectedServer, (int)info.NegotiatedTimeout.TotalMilliseconds);
        var args = new ZooKeeperSessionStateChangedEventArgs(previous, info);
        _dispatcher.Post(static state =>
        {
            var (client, eventArgs) = ((ZooKeeperClient, ZooKeeperSessionStateChangedEventArgs))state!;
            client.StateChanged?.Invoke(client, eventArgs);
        }, (this, args));
        return true;
    }

    internal static string StateTag(ZooKeeperSessionState state) => state switch
    {
        ZooKeeperSessionState.Connecting => "connecting",
        ZooKeeperSessionState.Connected => "connected",
        ZooKeeperSessionState.Suspended => "suspended",
        ZooKeeperSessionState.Reconnected => "reconnected",
        ZooKeeperSessionState.Expired => "expired",
        ZooKeeperSessionState.AuthFailed => "auth_failed",
        _ => "closed",
    };

    private int NegotiatedOrRequestedTimeoutMs => _negotiatedTimeoutMs > 0 ? _negotiatedTimeoutMs : _requestedTimeoutMs;

    private async Task RunSessionLoopAsync()
    {
        var hosts = _connectionString.Hosts.ToArray();
        Random.Shared.Shuffle(hosts);
        var hostIndex = 0;
        var failuresInRow = 0;
        var token = _shutdown.Token;
        while (!_closing)
        {
            try
            {
                var delay = 0;
                if (failuresInRow > 0)
                {
                    // Exponential (doubling once per round of the hosts), jittered and capped, even after an instant refusal, so a
                    // down ensemble never becomes a tight loop; never past the session's local expiry, so Expired is reported on time.
                    var alive = Interlocked.Read(ref _sessionId) != 0 ? _negotiatedTimeoutMs : 0;
                    delay = ReconnectBackoff.NextDelayMs(failuresInRow, hosts.Length, ReconnectBackoff.CapMs(alive), Random.Shared);
                    if (alive > 0)
                    {
                        delay = (int)Math.Min(delay, MsUntilLocalExpiry());
                    }

                    if (delay > 0)
                    {
                        await Task.Delay(delay, token).ConfigureAwait(false);
                    }
                }

                if (Interlocked.Read(ref _sessionId) != 0 && State == ZooKeeperSessionState.Suspended && IsLocallyExpired())
                {
                    ExpireSession("no server answered within 4/3 of the negotiated session timeout");
                    if (!_options.RenewExpiredSession)
                    {
                        return;
                    }
                }

                var (host, port) = hosts[hostIndex++ % hosts.Length];
                var attempt = await ConnectOnceAsync(host, port, failuresInRow + 1, delay, token).ConfigureAwait(false);
                if (attempt == AttemptOutcome.Failed)
                {
                    failuresInRow++;
                }
                else if (attempt == AttemptOutcome.Stop)
                {
                    return;
                }
                else
                {
                    failuresInRow = 0;
                    _connectFailures.Recovered();
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The session loop must survive anything one connection attempt throws.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.ConnectFailed(_logger, "(session loop)", ex.ToString());
                failuresInRow++;
            }
        }
    }

    private enum AttemptOutcome
    {
        Failed,
        Ran,
        Stop,
    }

    private bool IsLocallyExpired() => MsUntilLocalExpiry() <= 0;

    /// <summary>Milliseconds until a session not heard from is expired locally (4/3 of its timeout); 0 or less once due.</summary>
    private long MsUntilLocalExpiry() =>
        Volatile.Read(ref _lastHeard) + NegotiatedOrRequestedTimeoutMs * 4L / 3 + 1 - Environment.TickCount64;

    private async Task<AttemptOutcome> ConnectOnceAsync(string host, int port, int attempt, int delayMs, CancellationToken token)
    {
        var server = FormattableString.Invariant($"{host}:{port}");
        Log.Connecting(_logger, server, attempt, delayMs);
        ZkConnection? connection = null;
        long connectedAt;
        try
        {
            using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(token))
            {
                // A session to resume is given up at its local expiry even while a silent host keeps this attempt waiting.
                var resuming = Interlocked.Read(ref _sessionId) != 0;
                var untilExpiry = resuming ? Math.Max(0, MsUntilLocalExpiry()) : long.MaxValue;
                var cutByExpiry = untilExpiry < (long)_options.ConnectTimeout.TotalMilliseconds;
                connectTimeout.CancelAfter(cutByExpiry ? TimeSpan.FromMilliseconds(untilExpiry) : _options.ConnectTimeout);
                try
                {
                    connection = await ZkConnection.OpenAsync(this, host, port, _tls, connectTimeout.Token).ConfigureAwait(false);
                    var sessionId = Interlocked.Read(ref _sessionId);
                    var response = await connection.HandshakeAsync(Interlocked.Read(ref _lastZxid), _requestedTimeoutMs, sessionId,
                        _password, connectTimeout.Token).ConfigureAwait(false);
                    if (response.TimeoutMs <= 0)
                    {
                        // Expired, unknown or wrong-password session (ZooKeeperServer.processConnectRequest).
                        ExpireSession("the server reported the session expired");
                        return _options.RenewExpiredSession ? AttemptOutcome.Ran : AttemptOutcome.Stop;
                    }

                    var reconnected = sessionId != 0 && response.SessionId == sessionId;
                    Interlocked.Exchange(ref _sessionId, response.SessionId);
                    _password = response.Password;
                    _negotiatedTimeoutMs = response.TimeoutMs;
                    Volatile.Write(ref _lastHeard, Environment.TickCount64);
                    if (reconnected)
                    {
                        _metrics.Reconnects.Add(1);
                    }

                    _connection = connection;
                    Volatile.Write(ref _lastConnectionError, null);
                    SetState(reconnected ? ZooKeeperSessionState.Reconnected : ZooKeeperSessionState.Connected, connection);
                }
                catch (OperationCanceledException) when (!token.IsCancellationRequested)
                {
                    RecordError(server, cutByExpiry
                        ? "no answer before the session's local expiry (4/3 of the session timeout since a server was last heard)"
                        : FormattableString.Invariant($"connect timed out after {_options.ConnectTimeout.TotalMilliseconds} ms"));
                    return AttemptOutcome.Failed;
                }

                connectedAt = Environment.TickCount64;
            }

            List<ZooKeeperAuthInfo> auth;
            lock (_authInfo)
            {
                auth = [.. _authInfo];
            }

            var watches = _watches.Snapshot();
            if (!watches.IsEmpty)
            {
                Log.RestoringWatches(_logger, watches.Data.Count + watches.Exist.Count + watches.Child.Count + watches.Persistent.Count + watches.PersistentRecursive.Count,
                    server, Interlocked.Read(ref _lastZxid));
            }

            var failure = await connection.RunAsync(_outgoing.Reader, auth, watches, Interlocked.Read(ref _lastZxid)).ConfigureAwait(false);
            _connection = null;
            // Local expiry counts from what the server last acknowledged (as a TickCount64 time).
            Volatile.Write(ref _lastHeard, Environment.TickCount64 - (long)System.Diagnostics.Stopwatch.GetElapsedTime(connection.LastAcknowledged).TotalMilliseconds);
            if (_closing)
            {
                return AttemptOutcome.Stop;
            }

            _metrics.ConnectionsLost.Add(1);

            // One that died before it lived a ping interval (a server that accepts the handshake and then closes, e.g. on
            // a request it does not know) counts as a failed attempt: back-off and the rate-limited warning (F10).
            var lived = Environment.TickCount64 - connectedAt;
            var shortLived = lived < ReconnectBackoff.StableAfterMs(_negotiatedTimeoutMs);
            switch (failure)
            {
                case SessionExpiredSignal:
                    ExpireSession("the server reported the session expired");
                    return _options.RenewExpiredSession ? AttemptOutcome.Ran : AttemptOutcome.Stop;
                case AuthFailedSignal:
                    Volatile.Write(ref _authFailure, $"ZooKeeper server {server} refused this client ({Identity}): {failure.Message} The client is stopped.");
                    Log.AuthFailed(_logger, server, Identity, failure.Message);
                    FailEverything(ZooKeeperErrorCode.AuthFailed, ZooKeeperSessionState.AuthFailed);
                    SetState(ZooKeeperSessionState.AuthFailed);
                    return AttemptOutcome.Stop;
                case ZkProtocolException:
                    Log.ProtocolError(_logger, server, failure);
                    break;
                default:
                    if (shortLived)
                    {
                        RecordError(server, FormattableString.Invariant($"the connection ended {lived} ms after the session handshake: {failure.Message}"));
                    }
                    else
                    {
                        Log.ConnectionLost(_logger, server, failure.Message);
                        Volatile.Write(ref _lastConnectionError, server + ": " + failure.Message);
                    }

                    break;
            }

            SetState(ZooKeeperSessionState.Suspended);
            return shortLived ? AttemptOutcome.Failed : AttemptOutcome.Ran;
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or ZkProtocolException or ObjectDisposedException)
        {
            RecordError(server, ex.Message);
            return AttemptOutcome.Failed;
        }
        finally
        {
            _connection = null;
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private void RecordError(string server, string reason)
    {
        Volatile.Write(ref _lastConnectionError, server + ": " + reason);
        _connectFailures.Failed(server, reason, Environment.TickCount64);
    }

    private void ExpireSession(string reason)
    {
        var sessionId = Interlocked.Exchange(ref _sessionId, 0);

        // A new session starts from zxid 0, like a new Java handle: the last zxid only guards the reads of one session.
        // Kept, it makes every server of a rebuilt or restored ensemble (older zxids) refuse the handshake for ever.
        Interlocked.Exchange(ref _lastZxid, 0);
        _password = new byte[16];
        _negotiatedTimeoutMs = 0;
        Log.SessionExpired(_logger, sessionId, reason);
        _metrics.Expirations.Add(1);
        FailEverything(ZooKeeperErrorCode.SessionExpired, ZooKeeperSessionState.Expired);
        SetState(ZooKeeperSessionState.Expired);
        if (_options.RenewExpiredSession && !_closing)
        {
            SetState(ZooKeeperSessionState.Connecting);
        }
    }

    /// <summary>Fails queued requests and ends every watch with a final <see cref="ZooKeeperEventType.None"/> event.</summary>
    private void FailEverything(ZooKeeperErrorCode code, ZooKeeperSessionState endState)
    {
        // No connection is running here, so nobody else reads the queue.
        while (_outgoing.Reader.TryRead(out var request))
        {
            if (request is PingRequest)
            {
                continue; // Internal: nobody awaits it, so it must not carry an unobserved exception.
            }

            if (request is AuthRequest auth)
            {
                auth.Waiter.Fail(new ZooKeeperException(code));
                continue;
            }

            request.Fail(code == ZooKeeperErrorCode.Ok
                ? new ObjectDisposedException(nameof(ZooKeeperClient))
                : new ZooKeeperException(code, request.Path));
        }

        foreach (var (watcher, path) in _watches.Clear())
        {
            _dispatcher.Post(watcher, new ZooKeeperWatchEvent(ZooKeeperEventType.None, path, endState));
        }
    }

    /// <summary>
    /// Closes the session (ZooKeeper deletes its ephemeral nodes at once), stops the connection and fails anything
    /// still queued. Idempotent; bounded in time even when no server answers.
    /// </summary>
    /// <returns>A task that completes when closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            await _sessionLoop.ConfigureAwait(false);
            return;
        }

        var sessionId = Interlocked.Read(ref _sessionId);
        if (_connection is not null && State is ZooKeeperSessionState.Connected or ZooKeeperSessionState.Reconnected)
        {
            Log.ClosingSession(_logger, sessionId);
            var close = new CloseSessionRequest { Tracker = _tracker, StartTimestamp = System.Diagnostics.Stopwatch.GetTimestamp() };
            if (_metrics.InFlight.Enabled)
            {
                _metrics.InFlight.Add(1);
            }

            _closing = true;

            // Whatever happens to it after we stop waiting, its failure is observed here.
            _ = close.Task.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            _outgoing.Writer.TryWrite(close);
            try
            {
                var wait = TimeSpan.FromMilliseconds(Math.Clamp(NegotiatedOrRequestedTimeoutMs / 2, 500, 5000));
                await close.Task.WaitAsync(wait).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException or ZooKeeperException or ObjectDisposedException)
            {
                Log.CloseSessionFailed(_logger, sessionId, ex.Message);
            }
        }

        _closing = true;
        _outgoing.Writer.TryComplete();
        _connection?.Abort(new ObjectDisposedException(nameof(ZooKeeperClient)));
        await _shutdown.CancelAsync().ConfigureAwait(false);
        await _sessionLoop.ConfigureAwait(false);
        await StopWatchdogAsync().ConfigureAwait(false);
        FailEverything(ZooKeeperErrorCode.Ok, ZooKeeperSessionState.Closed);
        while (_deadlines.TryDequeue(out var request))
        {
            request.Fail(new ObjectDisposedException(nameof(ZooKeeperClient)));
        }

        if (State == ZooKeeperSessionState.AuthFailed)
        {
            // AuthFailed stays the client's state after disposal (its calls keep failing with AuthFailed), but a
            // disposed client is no longer counted in any state.
            _metrics.Sessions.Add(-1, new KeyValuePair<string, object?>("zksync.session.state", StateTag(ZooKeeperSessionState.AuthFailed)));
        }

        SetState(ZooKeeperSessionState.Closed);
        await _dispatcher.CompleteAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        _shutdown.Dispose();
        _tls?.Dispose();
    }
}
