using System.Buffers.Binary;
using System.Globalization;
using System.Net.Sockets;
using ZkSync.Client;

namespace ZkSync.TestSupport;

/// <summary>
/// Disturbs a live session from outside, as ZooKeeper's own tests do: a second raw connection with the same session id
/// and password (ZOOKEEPER.md §2 "takeover") makes the server close the client's connection; a closeSession sent on it
/// ends the session.
/// </summary>
public static class SessionKiller
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Expires the client's session: takeover plus closeSession in one write, repeated until the server answers a
    /// connect with "expired" (the client's own reconnect can take the session back before the closeSession is handled).
    /// The session's ephemerals are deleted at once.
    /// </summary>
    /// <param name="client">A connected client.</param>
    /// <param name="cancellationToken">Abandons the attempt.</param>
    /// <returns>A task that completes when the server has ended the session.</returns>
    public static async Task ExpireAsync(ZooKeeperClient client, CancellationToken cancellationToken = default)
    {
        var (sessionId, password, server) = Credentials(client);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(Patience);
        while (await TakeOverAsync(server, sessionId, password, closeSession: true, cts.Token).ConfigureAwait(false))
        {
            // The session was still alive and has just been closed: ask again until the server says it is gone.
        }
    }

    /// <summary>
    /// Drops the client's connection but not its session: the takeover makes the server close the client's connection,
    /// then lets go; the client reconnects with the same session.
    /// </summary>
    /// <param name="client">A connected client.</param>
    /// <param name="cancellationToken">Abandons the attempt.</param>
    /// <returns>A task that completes when the server has closed the client's connection.</returns>
    public static async Task DropConnectionAsync(ZooKeeperClient client, CancellationToken cancellationToken = default)
    {
        var (sessionId, password, server) = Credentials(client);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(Patience);
        await TakeOverAsync(server, sessionId, password, closeSession: false, cts.Token).ConfigureAwait(false);
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
        await socket.ConnectAsync(server[..colon], int.Parse(server[(colon + 1)..], CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false);
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
        await stream.WriteAsync(closeSession ? frames : frames.AsMemory(0, 49), cancellationToken).ConfigureAwait(false);

        // ConnectResponse: length, protocolVersion, timeOut (0 = expired), … EOF: the client took the session back first.
        var response = new byte[41];
        var read = await stream.ReadAtLeastAsync(response, response.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        var alive = read < 12 || BinaryPrimitives.ReadInt32BigEndian(response.AsSpan(8)) > 0;
        var buffer = new byte[256];
        while (await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false) > 0)
        {
            // Drain until the server closes the connection (after closeSession, or when the client takes the session back).
        }

        return alive;
    }
}
