namespace ZkSync.Client;

/// <summary>
/// The state of a <see cref="ZooKeeperClient"/>'s session and connection.
/// </summary>
/// <remarks>
/// Intermediate states: <see cref="Connecting"/>, <see cref="Suspended"/>, <see cref="Expired"/> (the client then
/// starts a new session). Connected states: <see cref="Connected"/>, <see cref="Reconnected"/>.
/// Terminal states: <see cref="Closed"/>, <see cref="AuthFailed"/>.
/// </remarks>
public enum ZooKeeperSessionState
{
    /// <summary>Intermediate: establishing a new session (no session, or after expiry).</summary>
    Connecting = 0,
    /// <summary>Connected with a new session.</summary>
    Connected = 1,
    /// <summary>
    /// Intermediate: the connection was lost; the session may still be alive on the server. Anything that depends on
    /// being the only holder of something (a lock, leadership) can no longer be trusted.
    /// </summary>
    Suspended = 2,
    /// <summary>Connected again with the same session after a suspension: ephemerals and watches survived.</summary>
    Reconnected = 3,
    /// <summary>
    /// Intermediate: the session expired (reported by the server, or no server answered within 4/3 of the session
    /// timeout). Its ephemeral nodes and watches are gone. The client starts a new session next.
    /// </summary>
    Expired = 4,
    /// <summary>Terminal: the client was disposed and the session closed.</summary>
    Closed = 5,
    /// <summary>Terminal: the server rejected the client's credentials.</summary>
    AuthFailed = 6,
}

/// <summary>A snapshot of a client's session.</summary>
/// <param name="State">The current state.</param>
/// <param name="SessionId">The session id, or 0 when there is no session.</param>
/// <param name="NegotiatedTimeout">The session timeout the server granted, or <see cref="TimeSpan.Zero"/>.</param>
/// <param name="ConnectedServer">The <c>host:port</c> currently connected to, or null.</param>
/// <param name="LastZxid">The highest zxid seen in a reply of this session (a new session starts from 0).</param>
public sealed record ZooKeeperSessionInfo(
    ZooKeeperSessionState State, long SessionId, TimeSpan NegotiatedTimeout, string? ConnectedServer, long LastZxid)
{
    /// <summary>True in <see cref="ZooKeeperSessionState.Connected"/> and <see cref="ZooKeeperSessionState.Reconnected"/>.</summary>
    public bool IsConnected => State is ZooKeeperSessionState.Connected or ZooKeeperSessionState.Reconnected;
}

/// <summary>Describes a change of <see cref="ZooKeeperClient.State"/>.</summary>
public sealed class ZooKeeperSessionStateChangedEventArgs : EventArgs
{
    /// <summary>Creates the event arguments.</summary>
    /// <param name="previous">The state before.</param>
    /// <param name="session">The session after the change.</param>
    public ZooKeeperSessionStateChangedEventArgs(ZooKeeperSessionState previous, ZooKeeperSessionInfo session)
    {
        PreviousState = previous;
        Session = session;
    }

    /// <summary>The state before the change.</summary>
    public ZooKeeperSessionState PreviousState { get; }

    /// <summary>The state after the change.</summary>
    public ZooKeeperSessionState State => Session.State;

    /// <summary>The session after the change.</summary>
    public ZooKeeperSessionInfo Session { get; }
}
