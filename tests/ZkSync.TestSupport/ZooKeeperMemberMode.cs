namespace ZkSync.TestSupport;

/// <summary>
/// What one ZooKeeper server says about itself in its <c>srvr</c> four-letter-word reply.
/// </summary>
public enum ZooKeeperMemberMode
{
    /// <summary>Nothing accepts connections on the member's client port.</summary>
    Down,

    /// <summary>
    /// The server accepts connections but does not serve requests: it is electing a leader, has no
    /// quorum, or did not answer <c>srvr</c> in time.
    /// </summary>
    NotServing,

    /// <summary>A single server running without an ensemble.</summary>
    Standalone,

    /// <summary>The ensemble member that currently leads.</summary>
    Leader,

    /// <summary>An ensemble member that follows the leader.</summary>
    Follower,

    /// <summary>A non-voting ensemble member.</summary>
    Observer,
}
