namespace ZkSync.Client;

/// <summary>
/// ZooKeeper's error codes, as sent by the server (<c>KeeperException.Code</c>) plus the client-side
/// codes the official client uses (<see cref="ConnectionLoss"/>, <see cref="RequestTimeout"/>).
/// </summary>
public enum ZooKeeperErrorCode
{
    /// <summary>Everything is OK.</summary>
    Ok = 0,
    /// <summary>A system error occurred on the server.</summary>
    SystemError = -1,
    /// <summary>A runtime inconsistency was found.</summary>
    RuntimeInconsistency = -2,
    /// <summary>A data inconsistency was found.</summary>
    DataInconsistency = -3,
    /// <summary>The connection to the server was lost: the outcome of a write sent before the loss is unknown.</summary>
    ConnectionLoss = -4,
    /// <summary>Error while marshalling or unmarshalling data.</summary>
    MarshallingError = -5,
    /// <summary>The operation is not implemented by this server (or disabled, e.g. TTL nodes without <c>extendedTypesEnabled</c>).</summary>
    Unimplemented = -6,
    /// <summary>The server timed the operation out.</summary>
    OperationTimeout = -7,
    /// <summary>Invalid arguments (e.g. a path the server refuses, a TTL flag on the wrong opcode).</summary>
    BadArguments = -8,
    /// <summary>Unknown session (server-internal).</summary>
    UnknownSession = -12,
    /// <summary>No quorum of the new configuration is connected and up-to-date with the leader.</summary>
    NewConfigNoQuorum = -13,
    /// <summary>Another reconfiguration is in progress.</summary>
    ReconfigInProgress = -14,
    /// <summary>Generic API error range marker.</summary>
    ApiError = -100,
    /// <summary>The node does not exist (or, for a create, its parent does not exist).</summary>
    NoNode = -101,
    /// <summary>The caller's identities are not allowed to perform the operation by the node's ACL.</summary>
    NoAuth = -102,
    /// <summary>The expected version does not match the node's version.</summary>
    BadVersion = -103,
    /// <summary>Ephemeral nodes may not have children.</summary>
    NoChildrenForEphemerals = -108,
    /// <summary>The node already exists.</summary>
    NodeExists = -110,
    /// <summary>The node has children.</summary>
    NotEmpty = -111,
    /// <summary>The session has expired: its ephemeral nodes and watches are gone.</summary>
    SessionExpired = -112,
    /// <summary>Invalid callback.</summary>
    InvalidCallback = -113,
    /// <summary>Invalid ACL (e.g. an empty list, or <c>auth</c> with no authenticated identity).</summary>
    InvalidAcl = -114,
    /// <summary>Client authentication failed.</summary>
    AuthFailed = -115,
    /// <summary>The session moved to another server.</summary>
    SessionMoved = -118,
    /// <summary>State-changing request sent to a read-only server.</summary>
    NotReadOnly = -119,
    /// <summary>Ephemeral node on a local session.</summary>
    EphemeralOnLocalSession = -120,
    /// <summary>No watch to remove.</summary>
    NoWatcher = -121,
    /// <summary>The request did not complete within the client's request timeout: its outcome is unknown.</summary>
    RequestTimeout = -122,
    /// <summary>Dynamic reconfiguration is disabled.</summary>
    ReconfigDisabled = -123,
    /// <summary>The session was closed because SASL authentication is required.</summary>
    SessionClosedRequireSaslAuth = -124,
    /// <summary>A quota was exceeded.</summary>
    QuotaExceeded = -125,
    /// <summary>The operation was throttled; retry with back-off.</summary>
    Throttled = -127,
}
