using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Threading.Channels;

namespace ZkSync.Client.Internal;

/// <summary>What a connection reports to its session.</summary>
internal interface IConnectionOwner : IReplyContext
{
    int MaxFrameSize { get; }

    int MaxRequestSize { get; }

    void OnNotification(ZooKeeperEventType type, string serverPath);

    void OnZxid(long zxid);
}

/// <summary>The server's answer to a ConnectRequest.</summary>
internal readonly record struct ConnectResponse(int TimeoutMs, long SessionId, byte[] Password, bool ReadOnly);

/// <summary>
/// One TCP connection to one server: a read loop that matches replies strictly in order, a single writer that drains the
/// session's request queue in batches, and nothing else. Owned and driven by the session loop in
/// <see cref="ZooKeeperClient"/>; never reused after it fails.
/// </summary>
internal sealed class ZkConnection : IAsyncDisposable
{
    private const int MaxBatchBytes = 64 * 1024;
    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly PipeReader _reader;
    private readonly IConnectionOwner _owner;
    private readonly ConcurrentQueue<ZkRequest> _pending = new();
    private readonly ConcurrentQueue<AuthWaiter?> _authWaiters = new();
    private readonly CancellationTokenSource _cts = new();
    private Exception? _failure;
    private int _xid;
    private long _lastAcknowledged;
    private long _pingSentAt;
    private long _primingSentAt;
    private volatile bool _pingOutstanding;
    private volatile bool _pingQueued;
    private int _disposed;

    private ZkConnection(Socket socket, Stream stream, string host, int port, IConnectionOwner owner)
    {
        Host = host;
        Port = port;
        _socket = socket;
        _stream = stream;
        _owner = owner;
        Server = FormattableString.Invariant($"{host}:{port}");
        _reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 4096, leaveOpen: true));
    }

    public string Server { get; }

    /// <summary>The server's host as configured (for <c>server.address</c>).</summary>
    public string Host { get; }

    /// <summary>The server's port (for <c>server.port</c>).</summary>
    public int Port { get; }

    public int PendingCount => _pending.Count;

    public bool PingOutstanding => _pingOutstanding;

    /// <summary>
    /// Set by the session when it queues a ping for this connection, cleared when this connection's writer takes one:
    /// per connection, so a ping dropped with a dead connection's queue never stops the next connection's pings.
    /// </summary>
    public bool PingQueued
    {
        get => _pingQueued;
        set => _pingQueued = value;
    }

    /// <summary>
    /// The <see cref="System.Diagnostics.Stopwatch"/> timestamp at which the newest request, ping or handshake whose reply
    /// has arrived was sent (taken before its bytes were written, so never later than the server received it). The
    /// server received something of this session no earlier than this, so it cannot expire the session before this
    /// plus the session timeout. Notifications and anything else the server sends unasked never move it.
    /// </summary>
    public long LastAcknowledged => Volatile.Read(ref _lastAcknowledged);

    /// <summary>The first failure, once the connection has failed.</summary>
    public Exception? Failure => Volatile.Read(ref _failure);

    public static async Task<ZkConnection> OpenAsync(IConnectionOwner owner, string host, int port, TlsConnector? tls, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
            Stream stream = new NetworkStream(socket, ownsSocket: true);
            if (tls is not null)
            {
                stream = await tls.AuthenticateAsync(stream, host, cancellationToken).ConfigureAwait(false);
            }

            return new ZkConnection(socket, stream, host, port, owner);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends the ConnectRequest and reads the ConnectResponse. Nothing else is written until it arrives.</summary>
    public async Task<ConnectResponse> HandshakeAsync(long lastZxid, int timeoutMs, long sessionId, byte[] password, CancellationToken cancellationToken)
    {
        long sentAt;
        using (var buffer = new PooledBufferWriter(64))
        {
            WriteConnectRequest(buffer, lastZxid, timeoutMs, sessionId, password);
            sentAt = System.Diagnostics.Stopwatch.GetTimestamp();
            await _stream.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        }

        while (true)
        {
            var result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (TryReadFrame(ref buffer, _owner.MaxFrameSize, out var frame))
            {
                var response = ParseConnectResponse(frame);
                _reader.AdvanceTo(buffer.Start);
                Acknowledge(sentAt); // the server (re)opened the session on receiving our ConnectRequest
                return response;
            }

            _reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                // A server without quorum, or one behind our lastZxid, closes without answering (ZOOKEEPER.md §2).
                throw new IOException("The server closed the connection during the session handshake (it has no quorum, it is behind the client's last zxid, " +
                    "or the port expects TLS while Tls.Enabled is false).");
            }
        }
    }

    private static void WriteConnectRequest(PooledBufferWriter buffer, long lastZxid, int timeoutMs, long sessionId, byte[] password)
    {
        var writer = new JuteWriter(buffer);
        var start = writer.BeginFrame();
        writer.WriteInt32(0); // protocolVersion
        writer.WriteInt64(lastZxid);
        writer.WriteInt32(timeoutMs);
        writer.WriteInt64(sessionId);
        writer.WriteBuffer(password);
        writer.WriteBool(false); // readOnly: a read-only server is not acceptable
        writer.EndFrame(start);
    }

    private static ConnectResponse ParseConnectResponse(ReadOnlySequence<byte> frame)
    {
        var bytes = frame.ToArray();
        var reader = new JuteReader(bytes);
        _ = reader.ReadInt32(); // protocolVersion
        var timeout = reader.ReadInt32();
        var sessionId = reader.ReadInt64();
        var password = reader.ReadBuffer();
        var readOnly = reader.Remaining >= 1 && reader.ReadBool();
        return new ConnectResponse(timeout, sessionId, password, readOnly);
    }

    /// <summary>
    /// Runs the connection until it fails or is aborted: first the priming frames (auth, then SetWatches), then queued
    /// requests. Returns the failure; every request still pending has been failed by then.
    /// </summary>
    public async Task<Exception> RunAsync(ChannelReader<ZkRequest> queue, IReadOnlyList<ZooKeeperAuthInfo> auth, WatchSnapshot watches, long relativeZxid)
    {
        var token = _cts.Token;
        try
        {
            using var buffer = new PooledBufferWriter();
            WritePriming(buffer, auth, watches, relativeZxid);
            if (buffer.WrittenCount > 0)
            {
                _primingSentAt = System.Diagnostics.Stopwatch.GetTimestamp();
                await _stream.WriteAsync(buffer.WrittenMemory, token).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            Abort(ex);
        }

        var read = ReadLoopAsync(token);
        var write = WriteLoopAsync(queue, token);
        var first = await Task.WhenAny(read, write).ConfigureAwait(false);
        Abort(first.Exception?.GetBaseException() ?? new IOException(first == read
            ? "The server closed the connection."
            : "The request queue was completed."));
        try
        {
            await Task.WhenAll(read, write).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Both loops' exceptions are observed here; the first one is the reported failure.
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        var failure = Failure!;
        FailPending(failure);
        return failure;
    }

    /// <summary>Fails the connection with <paramref name="reason"/> (first reason wins) and stops its loops.</summary>
    public void Abort(Exception reason)
    {
        if (Interlocked.CompareExchange(ref _failure, reason, null) is null)
        {
            try
            {
                _cts.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }

            try
            {
                _socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }
        }
    }

    /// <summary>Queues an auth request's waiter; the writer sends it with xid -4.</summary>
    public void ExpectAuthReply(AuthWaiter waiter) => _authWaiters.Enqueue(waiter);

    private void WritePriming(PooledBufferWriter buffer, IReadOnlyList<ZooKeeperAuthInfo> auth, WatchSnapshot watches, long relativeZxid)
    {
        var writer = new JuteWriter(buffer);
        foreach (var info in auth)
        {
            WriteAuthFrame(ref writer, info);
            _authWaiters.Enqueue(null);
        }

        if (watches.IsEmpty)
        {
            return;
        }

        // Batches of at most ~128 KB of path characters (ZOOKEEPER-706), SetWatches2 only when persistent watches exist.
        var chroot = _owner.Chroot;
        var opCode = watches.HasPersistent ? OpCode.SetWatches2 : OpCode.SetWatches;
        var lists = new[] { watches.Data, watches.Exist, watches.Child, watches.Persistent, watches.PersistentRecursive };
        var indexes = new int[lists.Length];
        while (true)
        {
            var remaining = false;
            for (var i = 0; i < lists.Length; i++)
            {
                remaining |= indexes[i] < lists[i].Count;
            }

            if (!remaining)
            {
                break;
            }

            var budget = 128 * 1024;
            var batch = new List<string>[lists.Length];
            for (var i = 0; i < lists.Length; i++)
            {
                batch[i] = [];
                while (indexes[i] < lists[i].Count && budget > 0)
                {
                    var path = lists[i][indexes[i]++];
                    budget -= path.Length + (chroot?.Length ?? 0);
                    batch[i].Add(path);
                }
            }

            var start = writer.BeginFrame();
            writer.WriteInt32(Xids.SetWatches);
            writer.WriteInt32((int)opCode);
            writer.WriteInt64(relativeZxid);
            var count = opCode == OpCode.SetWatches2 ? 5 : 3;
            for (var i = 0; i < count; i++)
            {
                writer.WriteInt32(batch[i].Count);
                foreach (var path in batch[i])
                {
                    writer.WritePath(chroot, path);
                }
            }

            writer.EndFrame(start);
        }
    }

    private static void WriteAuthFrame(ref JuteWriter writer, ZooKeeperAuthInfo info)
    {
        var start = writer.BeginFrame();
        writer.WriteInt32(Xids.Auth);
        writer.WriteInt32((int)OpCode.Auth);
        writer.WriteInt32(0);
        writer.WriteString(info.Scheme);
        writer.WriteBuffer(info.Credentials);
        writer.EndFrame(start);
    }

    private async Task WriteLoopAsync(ChannelReader<ZkRequest> queue, CancellationToken cancellationToken)
    {
        using var buffer = new PooledBufferWriter(MaxBatchBytes + 4096);
        while (await queue.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            buffer.Clear();
            FillBatch(buffer, queue);
            if (buffer.WrittenCount > 0)
            {
                await _stream.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
            }

            buffer.Trim(4 * 1024 * 1024);
        }
    }

    private void FillBatch(PooledBufferWriter buffer, ChannelReader<ZkRequest> queue)
    {
        var writer = new JuteWriter(buffer);
        var chroot = _owner.Chroot;

        // Before the bytes are written: an acknowledgement must never be dated later than the server's receipt.
        var sentAt = System.Diagnostics.Stopwatch.GetTimestamp();
        while (buffer.WrittenCount < MaxBatchBytes && !_cts.IsCancellationRequested && queue.TryRead(out var request))
        {
            if (request is PingRequest)
            {
                _pingQueued = false;
                if (_pingOutstanding)
                {
                    continue; // At most one ping in flight: its reply carries no xid of its own.
                }

                var pingStart = writer.BeginFrame();
                writer.WriteInt32(Xids.Ping);
                writer.WriteInt32((int)OpCode.Ping);
                writer.EndFrame(pingStart);
                _pingSentAt = sentAt;
                _pingOutstanding = true;
                continue;
            }

            if (request is AuthRequest auth)
            {
                if (auth.IsCompleted)
                {
                    continue;
                }

                WriteAuthFrame(ref writer, auth.Info);
                _authWaiters.Enqueue(auth.Waiter);
                continue;
            }

            if (request.IsCompleted)
            {
                continue; // Cancelled or timed out before it was sent: it is never sent.
            }

            var xid = Interlocked.Increment(ref _xid);
            if (xid == int.MaxValue)
            {
                _xid = 0;
            }

            request.Xid = xid;
            request.SentAt = sentAt;
            request.SentTo = this;
            var start = writer.BeginFrame();
            writer.WriteInt32(xid);
            writer.WriteInt32((int)request.OpCode);
            request.WriteBody(ref writer, chroot);
            writer.EndFrame(start);
            var size = buffer.WrittenCount - start - 4;
            if (size > _owner.MaxRequestSize)
            {
                // Never sent: a frame over the server's jute.maxbuffer makes it close the connection (F11).
                buffer.Truncate(start);
                request.Fail(RequestTooLarge(request, size, _owner.MaxRequestSize));
                continue;
            }

            // Pending before the bytes leave, so the reader always finds it.
            _pending.Enqueue(request);
        }
    }

    private static ZooKeeperException RequestTooLarge(ZkRequest request, int size, int limit)
    {
        var what = request is MultiRequest multi
            ? FormattableString.Invariant($"The multi of {multi.Operations.Count} operations (first path '{multi.Operations[0].Path}')")
            : FormattableString.Invariant($"The {ZooKeeperClient.OpName(request.OpCode)} request for '{request.Path}'");
        return new ZooKeeperException(ZooKeeperErrorCode.BadArguments, request.Path, FormattableString.Invariant(
            $"{what} is {size} bytes, more than MaxRequestSize ({limit} bytes); it was not sent. A server closes the connection for a request over its jute.maxbuffer (1 MiB by default), which would end every lock of this client."));
    }

    private async Task ReadLoopAsync(CancellationToken cancellationToken)
    {
        var maxFrame = _owner.MaxFrameSize;
        while (true)
        {
            var result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            try
            {
                while (TryReadFrame(ref buffer, maxFrame, out var frame))
                {
                    ProcessFrame(frame);
                }
            }
            finally
            {
                _reader.AdvanceTo(buffer.Start, buffer.End);
            }

            if (result.IsCompleted)
            {
                throw new IOException("The server closed the connection.");
            }
        }
    }

    /// <summary>Moves <see cref="LastAcknowledged"/> forward (only the read loop and the handshake call it).</summary>
    private void Acknowledge(long sentAt)
    {
        if (sentAt > Volatile.Read(ref _lastAcknowledged))
        {
            Volatile.Write(ref _lastAcknowledged, sentAt);
        }
    }

    internal static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, int maxFrame, out ReadOnlySequence<byte> frame)
    {
        frame = default;
        if (buffer.Length < 4)
        {
            return false;
        }

        Span<byte> prefix = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(prefix);
        var length = BinaryPrimitives.ReadInt32BigEndian(prefix);
        if (length < 0 || length > maxFrame)
        {
            throw new ZkProtocolException($"Frame length {length} is outside 0..{maxFrame} (MaxFrameSize).");
        }

        if (buffer.Length < 4L + length)
        {
            return false;
        }

        frame = buffer.Slice(4, length);
        buffer = buffer.Slice(4L + length);
        return true;
    }

    private void ProcessFrame(ReadOnlySequence<byte> frame)
    {
        if (frame.IsSingleSegment)
        {
            ProcessFrame(frame.FirstSpan);
            return;
        }

        var length = (int)frame.Length;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            frame.CopyTo(rented);
            ProcessFrame(rented.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private void ProcessFrame(ReadOnlySpan<byte> frame)
    {
        var reader = new JuteReader(frame);
        var xid = reader.ReadInt32();
        var zxid = reader.ReadInt64();
        var error = (ZooKeeperErrorCode)reader.ReadInt32();
        if (error == ZooKeeperErrorCode.SessionClosedRequireSaslAuth && xid is Xids.Ping or Xids.SetWatches or Xids.Auth)
        {
            // zookeeper.enforce.auth.enabled: the server answers any packet of a session without an identity of an
            // enforced scheme with -124 and closes the connection. Retrying with the same credentials cannot help.
            throw new AuthFailedSignal(authenticationRequired: true);
        }

        switch (xid)
        {
            case Xids.Notification:
                {
                    var type = (ZooKeeperEventType)reader.ReadInt32();
                    _ = reader.ReadInt32(); // state: always SyncConnected from the server
                    var path = reader.ReadRequiredString();
                    _owner.OnNotification(type, path);
                    return;
                }

            case Xids.Ping:
                if (_pingOutstanding)
                {
                    Acknowledge(_pingSentAt);
                    _pingOutstanding = false;
                }

                return;

            case Xids.Auth:
                {
                    _authWaiters.TryDequeue(out var waiter);
                    if (error == ZooKeeperErrorCode.AuthFailed)
                    {
                        waiter?.Fail(new ZooKeeperException(ZooKeeperErrorCode.AuthFailed));
                        throw new AuthFailedSignal();
                    }

                    if (error == ZooKeeperErrorCode.Ok)
                    {
                        waiter?.Succeed();
                    }
                    else
                    {
                        waiter?.Fail(new ZooKeeperException(error));
                    }

                    return;
                }

            case Xids.SetWatches:
                Acknowledge(_primingSentAt);
                return;
        }

        if (!_pending.TryDequeue(out var request))
        {
            throw new ZkProtocolException($"Reply with xid {xid} while no request is pending.");
        }

        if (request.Xid != xid)
        {
            // A server that does not know an opcode (3.5, 3.6) answers it at once, ahead of earlier replies, and then closes
            // the connection: the refused request learns why, so that it is not sent again; the others see ConnectionLoss.
            if (error == ZooKeeperErrorCode.Unimplemented && _pending.FirstOrDefault(p => p.Xid == xid) is { } refused)
            {
                refused.OnReply(error, ref reader, _owner);
            }

            request.Fail(new ZooKeeperException(ZooKeeperErrorCode.ConnectionLoss, request.Path, "Replies arrived out of order; the connection was dropped."));
            throw new ZkProtocolException($"Reply xid {xid} does not match the oldest pending request's xid {request.Xid}.");
        }

        if (zxid > 0)
        {
            _owner.OnZxid(zxid);
        }

        Acknowledge(request.SentAt);

        if (error is ZooKeeperErrorCode.SessionExpired)
        {
            request.Fail(new ZooKeeperException(error, request.Path));
            throw new SessionExpiredSignal();
        }

        if (error is ZooKeeperErrorCode.SessionClosedRequireSaslAuth)
        {
            var signal = new AuthFailedSignal(authenticationRequired: true);
            request.Fail(new ZooKeeperException(ZooKeeperErrorCode.AuthFailed, request.Path, signal.Message));
            throw signal;
        }

        try
        {
            request.OnReply(error, ref reader, _owner);
        }
        catch (Exception ex)
        {
            // Whatever went wrong decoding the reply, this request must not be left uncompleted.
            request.Fail(new ZooKeeperException(ZooKeeperErrorCode.ConnectionLoss, request.Path, "The server's reply was malformed; the connection was dropped.", ex));
            throw ex is ZkProtocolException ? ex : new ZkProtocolException("Malformed reply: " + ex.Message, ex);
        }
    }

    private void FailPending(Exception failure)
    {
        var error = failure switch
        {
            SessionExpiredSignal => ZooKeeperErrorCode.SessionExpired,
            AuthFailedSignal => ZooKeeperErrorCode.AuthFailed,
            _ => ZooKeeperErrorCode.ConnectionLoss,
        };
        while (_pending.TryDequeue(out var request))
        {
            request.Fail(new ZooKeeperException(error, request.Path, null, failure is ZooKeeperSignal ? null : failure));
        }

        while (_authWaiters.TryDequeue(out var waiter))
        {
            waiter?.Fail(new ZooKeeperException(error));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        Abort(new ObjectDisposedException(nameof(ZkConnection)));
        await _reader.CompleteAsync().ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
        _socket.Dispose();
        _cts.Dispose();
    }
}

/// <summary>Signals a session-level outcome from the read loop.</summary>
internal abstract class ZooKeeperSignal : Exception
{
    protected ZooKeeperSignal(string message) : base(message)
    {
    }
}

internal sealed class SessionExpiredSignal() : ZooKeeperSignal("The server reported that the session expired.");

/// <summary>The server refused the session's credentials (AuthFailed), or requires an identity it does not have (-124).</summary>
internal sealed class AuthFailedSignal(bool authenticationRequired = false) : ZooKeeperSignal(authenticationRequired
    ? "The server requires authentication with a scheme this client did not use (zookeeper.enforce.auth.enabled / enforce.auth.schemes) and closed the connection."
    : "The server rejected the credentials (an unknown scheme, or credentials its authentication provider refused).")
{
    /// <summary>True for -124: the server enforces authentication and the session lacks an accepted identity.</summary>
    public bool AuthenticationRequired { get; } = authenticationRequired;
}

/// <summary>Completes <see cref="ZooKeeperClient.AddAuthAsync"/> when its auth reply arrives.</summary>
internal sealed class AuthWaiter
{
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Task => _completion.Task;

    public void Succeed() => _completion.TrySetResult();

    public void Fail(Exception exception) => _completion.TrySetException(exception);
}

/// <summary>A queued addAuth (xid -4); not part of the pending FIFO.</summary>
internal sealed class AuthRequest(ZooKeeperAuthInfo info, AuthWaiter waiter) : ZkRequest<bool>(OpCode.Auth, null)
{
    public ZooKeeperAuthInfo Info { get; } = info;

    public AuthWaiter Waiter { get; } = waiter;

    public override bool IsCompleted => Waiter.Task.IsCompleted;

    public override void WriteBody(ref JuteWriter writer, string? chroot)
    {
    }

    protected override bool ReadResponse(ref JuteReader body, IReplyContext context) => true;
}
