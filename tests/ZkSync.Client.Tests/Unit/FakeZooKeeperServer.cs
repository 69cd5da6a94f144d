using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace ZkSync.Client.Tests.Unit;

/// <summary>
/// A socket-level stand-in for a ZooKeeper server, for protocol edge cases a real server cannot produce (garbage,
/// truncated and oversized frames). It completes the session handshake, then lets a test-supplied behaviour answer.
/// </summary>
internal sealed class FakeZooKeeperServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<NetworkStream, int, CancellationToken, Task> _behaviour;
    private readonly List<Task> _connections = [];
    private readonly Task _acceptLoop;
    private int _connectionCount;

    public FakeZooKeeperServer(Func<NetworkStream, int, CancellationToken, Task> behaviour)
    {
        _behaviour = behaviour;
        _listener.Start();
        _acceptLoop = AcceptLoopAsync();
    }

    public string ConnectionString => "127.0.0.1:" + ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int ConnectionCount => Volatile.Read(ref _connectionCount);

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

    public static async Task<byte[]> ReadFrameAsync(Stream stream, CancellationToken cancellationToken)
    {
        var prefix = new byte[4];
        await stream.ReadExactlyAsync(prefix, cancellationToken);
        var body = new byte[BinaryPrimitives.ReadInt32BigEndian(prefix)];
        await stream.ReadExactlyAsync(body, cancellationToken);
        return body;
    }

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
