using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using ZkSync.Client;

namespace ZkSync.TestSupport;

/// <summary>
/// A socket-level stand-in for a ZooKeeper server, for protocol edge cases a real server cannot produce (garbage,
/// truncated and oversized frames, the answers of releases no registry here serves). It completes the session handshake
/// (session 0x1234, timeout 4 s), then lets a test-supplied behaviour answer.
/// </summary>
public sealed class FakeZooKeeperServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<NetworkStream, int, CancellationToken, Task> _behaviour;
    private readonly List<Task> _connections = [];
    private readonly Task _acceptLoop;
    private readonly List<(int Count, TaskCompletionSource Reached)> _connectionWaiters = [];
    private int _connectionCount;

    /// <summary>Starts listening on a free loopback port.</summary>
    /// <param name="behaviour">Runs each connection after the handshake: its stream, its number (from 1) and a stop token.</param>
    public FakeZooKeeperServer(Func<NetworkStream, int, CancellationToken, Task> behaviour)
    {
        _behaviour = behaviour;
        _listener.Start();
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary><c>127.0.0.1:port</c>.</summary>
    public string ConnectionString => "127.0.0.1:" + ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>A client of this server (session timeout 4 s, as the handshake grants), once connected.</summary>
    /// <param name="patience">How long to wait for the connection.</param>
    /// <returns>The connected client; the caller disposes it.</returns>
    public async Task<ZooKeeperClient> ConnectClientAsync(TimeSpan patience)
    {
        var client = new ZooKeeperClient(new ZooKeeperClientOptions { ConnectionString = ConnectionString, SessionTimeout = TimeSpan.FromSeconds(4) });
        try
        {
            await client.WaitForConnectedAsync().WaitAsync(patience);
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>Connections accepted so far.</summary>
    public int ConnectionCount => Volatile.Read(ref _connectionCount);

    /// <summary>Completes once <paramref name="count"/> connections have been accepted.</summary>
    /// <param name="count">The number of connections to wait for.</param>
    /// <returns>A task that completes then.</returns>
    public Task WaitForConnectionsAsync(int count)
    {
        lock (_connectionWaiters)
        {
            if (ConnectionCount >= count)
            {
                return Task.CompletedTask;
            }

            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _connectionWaiters.Add((count, reached));
            return reached.Task;
        }
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync(_stop.Token);
                var number = Interlocked.Increment(ref _connectionCount);
                lock (_connections)
                {
                    _connections.Add(HandleAsync(socket, number));
                }

                lock (_connectionWaiters)
                {
                    foreach (var waiter in _connectionWaiters.Where(w => w.Count <= number))
                    {
                        waiter.Reached.TrySetResult();
                    }

                    _connectionWaiters.RemoveAll(w => w.Count <= number);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException or SocketException or ObjectDisposedException)
        {
            // Stopped: the listener was closed while (or before) accepting.
        }
    }

    private async Task HandleAsync(Socket socket, int number)
    {
        using (socket)
        {
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            try
            {
                _ = await ReadFrameAsync(stream, _stop.Token); // ConnectRequest
                var response = new byte[4 + 37];
                BinaryPrimitives.WriteInt32BigEndian(response, 37);
                BinaryPrimitives.WriteInt32BigEndian(response.AsSpan(8), 4000);
                BinaryPrimitives.WriteInt64BigEndian(response.AsSpan(12), 0x1234);
                BinaryPrimitives.WriteInt32BigEndian(response.AsSpan(20), 16);
                await stream.WriteAsync(response, _stop.Token);
                await _behaviour(stream, number, _stop.Token);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException or EndOfStreamException)
            {
            }
        }
    }

    /// <summary>Reads one length-prefixed frame and returns its body.</summary>
    /// <param name="stream">The connection.</param>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <returns>The frame without its length prefix.</returns>
    public static async Task<byte[]> ReadFrameAsync(Stream stream, CancellationToken cancellationToken)
    {
        var prefix = new byte[4];
        await stream.ReadExactlyAsync(prefix, cancellationToken);
        var body = new byte[BinaryPrimitives.ReadInt32BigEndian(prefix)];
        await stream.ReadExactlyAsync(body, cancellationToken);
        return body;
    }

    /// <summary>Writes a reply header (xid, zxid 1, err) with no body.</summary>
    /// <param name="stream">The connection.</param>
    /// <param name="xid">The request's xid.</param>
    /// <param name="error">ZooKeeper's error code (0 for ok).</param>
    /// <param name="cancellationToken">Stops writing.</param>
    /// <returns>A task that completes when written.</returns>
    public static Task WriteReplyHeaderAsync(Stream stream, int xid, int error, CancellationToken cancellationToken) =>
        WriteReplyAsync(stream, xid, error, [], cancellationToken);

    /// <summary>Writes a reply: its header (xid, zxid 1, err) and then <paramref name="body"/>.</summary>
    /// <param name="stream">The connection.</param>
    /// <param name="xid">The request's xid.</param>
    /// <param name="error">ZooKeeper's error code (0 for ok).</param>
    /// <param name="body">The reply's body, already encoded.</param>
    /// <param name="cancellationToken">Stops writing.</param>
    /// <returns>A task that completes when written.</returns>
    public static async Task WriteReplyAsync(Stream stream, int xid, int error, byte[] body, CancellationToken cancellationToken)
    {
        var reply = new byte[4 + 16 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(reply, 16 + body.Length);
        BinaryPrimitives.WriteInt32BigEndian(reply.AsSpan(4), xid);
        BinaryPrimitives.WriteInt64BigEndian(reply.AsSpan(8), 1);
        BinaryPrimitives.WriteInt32BigEndian(reply.AsSpan(16), error);
        body.CopyTo(reply, 20);
        await stream.WriteAsync(reply, cancellationToken);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _acceptLoop;
        Task[] connections;
        lock (_connections)
        {
            connections = [.. _connections];
        }

        await Task.WhenAll(connections);
        _stop.Dispose();
    }
}
