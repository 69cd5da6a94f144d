using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ZkSync.Client.Tests.TestInfrastructure;

/// <summary>Plain loopback sockets for the tests of the test infrastructure itself.</summary>
internal static class LoopbackSockets
{
    public static TcpListener Listen()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return listener;
    }

    public static int Port(this TcpListener listener) => ((IPEndPoint)listener.LocalEndpoint).Port;

    /// <summary>A loopback port that nothing listens on (it was free a moment ago).</summary>
    public static int UnusedPort()
    {
        using var listener = Listen();
        var port = listener.Port();
        listener.Stop();
        return port;
    }

    public static async Task<Socket> ConnectAsync(int port, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static async Task SendTextAsync(this Socket socket, string text, CancellationToken cancellationToken)
    {
        var data = Encoding.ASCII.GetBytes(text).AsMemory();
        while (!data.IsEmpty)
        {
            data = data[await socket.SendAsync(data, SocketFlags.None, cancellationToken)..];
        }
    }

    /// <summary>Reads exactly <paramref name="length"/> bytes; fails on end of stream.</summary>
    public static async Task<string> ReceiveTextAsync(this Socket socket, int length, CancellationToken cancellationToken)
    {
        var buffer = new byte[length];
        var filled = 0;
        while (filled < length)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                throw new EndOfStreamException($"The peer closed after {filled} of {length} bytes.");
            }

            filled += read;
        }

        return Encoding.ASCII.GetString(buffer);
    }

    /// <summary>Reads until the peer closes or resets; returns the number of bytes read or the socket error.</summary>
    public static async Task<SocketError> ReceiveUntilClosedAsync(this Socket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[256];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken) > 0)
            {
            }

            return SocketError.Success;
        }
        catch (SocketException exception)
        {
            return exception.SocketErrorCode;
        }
    }
}
