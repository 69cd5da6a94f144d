using System.Buffers;
using System.Net.Sockets;
using System.Threading.Channels;

namespace ZkSync.TestSupport;

public sealed partial class FaultProxy
{
    private static readonly TimeSpan TargetConnectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// One client connection and its connection to the target, copied by two <see cref="Pump"/>s.
    /// The pair closes gracefully when both directions have ended, or abortively (RST both ways) on
    /// <see cref="Abort"/>, a failed write or a reset in a forwarding direction.
    /// </summary>
    private sealed class Connection
    {
        private readonly FaultProxy _owner;
        private readonly Socket _client;
        private readonly Socket _server;

        // Cancels the pumps' waits on abort. It links to no other token and owns no timer, so it
        // needs no disposal (and Abort may race with the end of RunAsync).
        private readonly CancellationTokenSource _aborted = new();
        private int _closed;

        public Connection(FaultProxy owner, Socket client)
        {
            _owner = owner;
            _client = client;
            _server = new Socket(SocketType.Stream, ProtocolType.Tcp);
        }

        public Task Completion { get; private set; } = Task.CompletedTask;

        public void Start() => Completion = RunAsync();

        /// <summary>Resets both sockets; returns false when the pair was already closed.</summary>
        public bool Abort()
        {
            if (Interlocked.Exchange(ref _closed, 1) != 0)
            {
                return false;
            }

            _owner._open.TryRemove(this, out _);
            ResetAndDispose(_client);
            ResetAndDispose(_server);
            _aborted.Cancel();
            return true;
        }

        private static void ResetAndDispose(Socket socket)
        {
            try
            {
                // A zero linger time makes close send RST instead of FIN.
                socket.LingerState = new LingerOption(enable: true, seconds: 0);
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
            {
                // Not connected (yet): nothing to reset.
            }

            socket.Dispose();
        }

        private async Task RunAsync()
        {
            try
            {
                if (!await ConnectToTargetAsync().ConfigureAwait(false))
                {
                    // The target refused: the client sees its connection reset.
                    Abort();
                    return;
                }

                var upstream = new Pump(this, _client, _server, clientToServer: true, _owner.ClientToServer);
                var downstream = new Pump(this, _server, _client, clientToServer: false, _owner.ServerToClient);
                await Task.WhenAll(upstream.RunAsync(), downstream.RunAsync()).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                _owner._faults.Enqueue(exception);
                Abort();
            }
            finally
            {
                if (Interlocked.Exchange(ref _closed, 1) == 0)
                {
                    _client.Dispose();
                    _server.Dispose();
                }

                _owner.OnConnectionFinished(this);
            }
        }

        private async Task<bool> ConnectToTargetAsync()
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_aborted.Token);
            timeout.CancelAfter(TargetConnectTimeout);
            try
            {
                await _server.ConnectAsync(_owner.Target, timeout.Token).ConfigureAwait(false);
                _server.NoDelay = true;
                _client.NoDelay = true;
                return true;
            }
            catch (Exception exception) when (IsExpectedSocketFailure(exception))
            {
                return false;
            }
        }

        /// <summary>
        /// Copies one direction: a read loop that applies the mode as bytes arrive and queues what is
        /// forwarded, and a write loop that holds each chunk until its latency has passed, applies the
        /// mode again and writes it.
        /// </summary>
        private sealed class Pump
        {
            private const int ChunkSize = 16 * 1024;

            private readonly Connection _connection;
            private readonly Socket _source;
            private readonly Socket _destination;
            private readonly bool _clientToServer;
            private readonly FaultProxyTraffic _traffic;
            private readonly Channel<Chunk> _queue = Channel.CreateBounded<Chunk>(
                new BoundedChannelOptions(64) { SingleReader = true, SingleWriter = true });

            public Pump(Connection connection, Socket source, Socket destination, bool clientToServer, FaultProxyTraffic traffic)
            {
                _connection = connection;
                _source = source;
                _destination = destination;
                _clientToServer = clientToServer;
                _traffic = traffic;
            }

            private FaultProxy Owner => _connection._owner;

            private bool Forwarding => Owner.Mode.Forwards(_clientToServer);

            private bool ForwardingEnd => Owner.Mode.ForwardsEnd(_clientToServer);

            public Task RunAsync() => Task.WhenAll(ReadLoopAsync(), WriteLoopAsync());

            private async Task ReadLoopAsync()
            {
                var cancellationToken = _connection._aborted.Token;
                try
                {
                    while (true)
                    {
                        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
                        int read;
                        try
                        {
                            read = await _source.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                        }
                        catch
                        {
                            ArrayPool<byte>.Shared.Return(buffer);
                            throw;
                        }

                        // Timestamp before counting: a test that sees Received move on and then advances a
                        // fake clock must find the chunk already stamped with the earlier time.
                        var receivedAt = Owner._timeProvider.GetTimestamp();
                        if (read == 0)
                        {
                            ArrayPool<byte>.Shared.Return(buffer);

                            // End of stream travels on like data: not through a partition.
                            if (ForwardingEnd)
                            {
                                await _queue.Writer.WriteAsync(Chunk.EndOfStream, cancellationToken).ConfigureAwait(false);
                            }

                            return;
                        }

                        _traffic.Received.Add(read);
                        var mode = Owner.Mode;
                        if (!mode.Forwards(_clientToServer))
                        {
                            ArrayPool<byte>.Shared.Return(buffer);
                            _traffic.Dropped.Add(read);
                            continue;
                        }

                        var chunk = new Chunk(buffer, read, receivedAt, mode.Latency);
                        try
                        {
                            await _queue.Writer.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
                        }
                        catch
                        {
                            chunk.Release();
                            throw;
                        }
                    }
                }
                catch (Exception exception) when (IsExpectedSocketFailure(exception) || exception is ChannelClosedException)
                {
                    // The source reset the connection, or the pair was aborted. A reset travels on
                    // (as a reset of the whole pair) only while this direction forwards.
                    if (ForwardingEnd)
                    {
                        _connection.Abort();
                    }
                }
                finally
                {
                    _queue.Writer.TryComplete();
                }
            }

            private async Task WriteLoopAsync()
            {
                var cancellationToken = _connection._aborted.Token;
                var timeProvider = Owner._timeProvider;
                try
                {
                    while (await _queue.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        while (_queue.Reader.TryRead(out var chunk))
                        {
                            try
                            {
                                if (chunk.IsEndOfStream)
                                {
                                    _destination.Shutdown(SocketShutdown.Send);
                                    continue;
                                }

                                if (chunk.Latency > TimeSpan.Zero)
                                {
                                    var remaining = chunk.Latency - timeProvider.GetElapsedTime(chunk.ReceivedAt);
                                    var hold = Task.Delay(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, timeProvider, cancellationToken);

                                    // Counted once the timer exists, so that a test driving a fake clock
                                    // advances it only after the hold has started.
                                    _traffic.Delayed.Add(chunk.Length);
                                    await hold.ConfigureAwait(false);
                                }

                                if (!Forwarding)
                                {
                                    _traffic.Dropped.Add(chunk.Length);
                                    continue;
                                }

                                var data = chunk.Memory;
                                while (!data.IsEmpty)
                                {
                                    var sent = await _destination.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                                    data = data[sent..];
                                }

                                _traffic.Forwarded.Add(chunk.Length);
                            }
                            finally
                            {
                                chunk.Release();
                            }
                        }
                    }
                }
                catch (Exception exception) when (IsExpectedSocketFailure(exception))
                {
                    // The destination is gone or the pair was aborted: reset the pair.
                    _connection.Abort();
                }
                finally
                {
                    while (_queue.Reader.TryRead(out var chunk))
                    {
                        chunk.Release();
                    }
                }
            }
        }

        /// <summary>Bytes read in one receive (a pooled buffer), or the end of the stream.</summary>
        private readonly record struct Chunk(byte[]? Buffer, int Length, long ReceivedAt, TimeSpan Latency)
        {
            public static Chunk EndOfStream => default;

            public bool IsEndOfStream => Buffer is null;

            public ReadOnlyMemory<byte> Memory => Buffer.AsMemory(0, Length);

            public void Release()
            {
                if (Buffer is not null)
                {
                    ArrayPool<byte>.Shared.Return(Buffer);
                }
            }
        }
    }
}
