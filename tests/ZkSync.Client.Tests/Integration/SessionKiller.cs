using System.Buffers.Binary;
using System.Net.Sockets;
using ZkSync.Client;

namespace ZkSync.Client.Tests.Integration;

/// <summary>
/// Expires a live session the way ZooKeeper's own tests do: a second raw connection with the same session id and
/// password, then closeSession on it. The server first closes the original connection, then ends the session.
/// </summary>
internal static class SessionKiller
{
    public static Task ExpireAsync(ZooKeeperClient client, CancellationToken cancellationToken) =>
        HijackAsync(client, closeSession: true, cancellationToken);

    /// <summary>
    /// Drops the client's connection without ending its session: a second connection with the same session id makes
    /// the server close the first one (ZOOKEEPER.md §2 "takeover"). The client reconnects with the same session.
    /// </summary>
    public static Task DropConnectionAsync(ZooKeeperClient client, CancellationToken cancellationToken) =>
        HijackAsync(client, closeSession: false, cancellationToken);

    private static async Task HijackAsync(ZooKeeperClient client, bool closeSession, CancellationToken cancellationToken)
    {
        var sessionId = client.Session.SessionId;
        var password = client.SessionPassword.ToArray();
        // The same server the client uses: a takeover there closes the client's connection at once (on another member
        // the old connection would only learn of the move on its next request).
        var (host, port) = FirstHost(client.Session.ConnectedServer ?? TestClients.ConnectionString);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(host, port, cancellationToken);
        await using var stream = new NetworkStream(socket, ownsSocket: false);

        var connect = new byte[49];
        BinaryPrimitives.WriteInt32BigEndian(connect, 45);
        BinaryPrimitives.WriteInt32BigEndian(connect.AsSpan(4), 0);
        BinaryPrimitives.WriteInt64BigEndian(connect.AsSpan(8), 0);
        BinaryPrimitives.WriteInt32BigEndian(connect.AsSpan(16), 10000);
        BinaryPrimitives.WriteInt64BigEndian(connect.AsSpan(20), sessionId);
        BinaryPrimitives.WriteInt32BigEndian(connect.AsSpan(28), 16);
        password.CopyTo(connect.AsSpan(32));
        // Connect and closeSession in one write: the server handles them in order on this connection, so the client's
        // own immediate reconnect (which would take the session back) cannot slip in between.
        var close = new byte[12];
        BinaryPrimitives.WriteInt32BigEndian(close, 8);
        BinaryPrimitives.WriteInt32BigEndian(close.AsSpan(4), 1);
        BinaryPrimitives.WriteInt32BigEndian(close.AsSpan(8), -11);
        await stream.WriteAsync(closeSession ? connect.Concat(close).ToArray() : connect, cancellationToken);

        // Drain until the server closes the connection (it does after closeSession).
        var buffer = new byte[256];
        while (await stream.ReadAsync(buffer, cancellationToken) > 0)
        {
        }
    }

    private static (string Host, int Port) FirstHost(string connectionString)
    {
        var first = connectionString.Split('/')[0].Split(',')[0];
        var colon = first.LastIndexOf(':');
        return (first[..colon], int.Parse(first[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }
}
