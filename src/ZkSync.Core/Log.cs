using Microsoft.Extensions.Logging;

namespace ZkSync;

/// <summary>
/// All log messages of ZkSync.Core. Event ids are stable once shipped: 1000–1999 client and session, 2000–2999 locks,
/// 3000–3999 leader election, 4000–4999 barriers and semaphores. Credentials are never logged.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1000, LogLevel.Information, "ZooKeeper session state {Previous} -> {State} (session 0x{SessionId:x}, server {Server}, timeout {TimeoutMs} ms).", EventName = "SessionStateChanged")]
    public static partial void SessionStateChanged(ILogger logger, Client.ZooKeeperSessionState previous, Client.ZooKeeperSessionState state, long sessionId, string? server, int timeoutMs);

    [LoggerMessage(1001, LogLevel.Debug, "Connecting to ZooKeeper server {Server} (attempt {Attempt}, after a back-off of {DelayMs} ms).", EventName = "Connecting")]
    public static partial void Connecting(ILogger logger, string server, int attempt, int delayMs);

    [LoggerMessage(1002, LogLevel.Warning, "Could not connect to ZooKeeper server {Server}: {Reason}", EventName = "ConnectFailed")]
    public static partial void ConnectFailed(ILogger logger, string server, string reason);

    [LoggerMessage(1003, LogLevel.Warning, "Connection to ZooKeeper server {Server} lost: {Reason}", EventName = "ConnectionLost")]
    public static partial void ConnectionLost(ILogger logger, string server, string reason);

    [LoggerMessage(1004, LogLevel.Warning, "ZooKeeper session 0x{SessionId:x} expired: {Reason}", EventName = "SessionExpired")]
    public static partial void SessionExpired(ILogger logger, long sessionId, string reason);

    [LoggerMessage(1005, LogLevel.Error, "ZooKeeper server {Server} refused this client ({Identity}): {Reason} The client stops.", EventName = "AuthFailed")]
    public static partial void AuthFailed(ILogger logger, string server, string identity, string reason);

    [LoggerMessage(1006, LogLevel.Error, "Protocol error from ZooKeeper server {Server}; dropping the connection.", EventName = "ProtocolError")]
    public static partial void ProtocolError(ILogger logger, string server, Exception exception);

    [LoggerMessage(1007, LogLevel.Error, "A ZooKeeper watch or state handler threw.", EventName = "EventHandlerFailed")]
    public static partial void EventHandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(1008, LogLevel.Warning, "Queued ZooKeeper events were not all delivered within {Timeout} on close.", EventName = "DispatcherDrainTimedOut")]
    public static partial void DispatcherDrainTimedOut(ILogger logger, TimeSpan timeout);

    [LoggerMessage(1009, LogLevel.Debug, "Re-registering {Count} watches on ZooKeeper server {Server} from zxid 0x{Zxid:x}.", EventName = "RestoringWatches")]
    public static partial void RestoringWatches(ILogger logger, int count, string server, long zxid);

    [LoggerMessage(1010, LogLevel.Debug, "Closing ZooKeeper session 0x{SessionId:x}.", EventName = "ClosingSession")]
    public static partial void ClosingSession(ILogger logger, long sessionId);

    [LoggerMessage(1011, LogLevel.Warning, "Closing ZooKeeper session 0x{SessionId:x} did not complete cleanly: {Reason}", EventName = "CloseSessionFailed")]
    public static partial void CloseSessionFailed(ILogger logger, long sessionId, string reason);

    [LoggerMessage(1012, LogLevel.Warning, "Unexpected notification or reply from ZooKeeper server {Server}: {Detail}", EventName = "UnexpectedFrame")]
    public static partial void UnexpectedFrame(ILogger logger, string server, string detail);

    [LoggerMessage(1013, LogLevel.Warning, "Still cannot connect to ZooKeeper: {Failures} more attempts failed in the last {Seconds} s; the latest, to {Server}: {Reason}", EventName = "StillCannotConnect")]
    public static partial void StillCannotConnect(ILogger logger, int failures, long seconds, string server, string reason);

    [LoggerMessage(1014, LogLevel.Debug, "Could not connect to ZooKeeper server {Server} (again): {Reason}", EventName = "ConnectRetryFailed")]
    public static partial void ConnectRetryFailed(ILogger logger, string server, string reason);

    [LoggerMessage(1020, LogLevel.Error, "The ZooKeeper client's watchdog failed one pass (it keeps running; repeated failures are reported once a minute).", EventName = "WatchdogFailed")]
    public static partial void WatchdogFailed(ILogger logger, Exception exception);

    // 2000–2999: locks (ZkSync.Locks, Internal/Recipes).

    [LoggerMessage(2000, LogLevel.Debug, "Acquired {Mode} lock '{Name}' as {Node} (fencing token {FencingToken}) after {ElapsedMs} ms.", EventName = "LockAcquired")]
    public static partial void LockAcquired(ILogger logger, Locks.ZooKeeperLockMode mode, string name, string node, long fencingToken, long elapsedMs);

    [LoggerMessage(2001, LogLevel.Debug, "Waiting for {Mode} lock '{Name}': {Node} watches {Predecessor} ({Ahead} ahead in line).", EventName = "LockWaiting")]
    public static partial void LockWaiting(ILogger logger, Locks.ZooKeeperLockMode mode, string name, string node, string predecessor, int ahead);

    [LoggerMessage(2002, LogLevel.Debug, "Gave up on {Mode} lock '{Name}' after {ElapsedMs} ms: {Outcome}.", EventName = "LockNotAcquired")]
    public static partial void LockNotAcquired(ILogger logger, Locks.ZooKeeperLockMode mode, string name, long elapsedMs, string outcome);

    [LoggerMessage(2003, LogLevel.Debug, "Released {Kind} '{Name}' ({Node}) after holding it {HeldMs} ms.", EventName = "LockReleased")]
    public static partial void LockReleased(ILogger logger, string kind, string name, string node, long heldMs);

    [LoggerMessage(2004, LogLevel.Warning, "The {Kind} '{Name}' ({Node}) can no longer be trusted: {Reason}.", EventName = "LockLost")]
    public static partial void LockLost(ILogger logger, string kind, string name, string node, string reason);

    [LoggerMessage(2005, LogLevel.Warning, "Could not delete node {Node}: {Reason}", EventName = "NodeDeleteFailed")]
    public static partial void NodeDeleteFailed(ILogger logger, string node, string reason);

    [LoggerMessage(2006, LogLevel.Information, "Found node {Node}, whose create reply was lost with the connection; using it.", EventName = "ProtectedNodeRecovered")]
    public static partial void ProtectedNodeRecovered(ILogger logger, string node);

    [LoggerMessage(2007, LogLevel.Warning, "Deleting node {Node} of session 0x{OwnerSessionId:x}: the create reply was lost and the session is now 0x{SessionId:x} (never adopted, CURATOR-498).", EventName = "ProtectedNodeOfOldSession")]
    public static partial void ProtectedNodeOfOldSession(ILogger logger, string node, long ownerSessionId, long sessionId);

    [LoggerMessage(2008, LogLevel.Warning, "Evicting holder {Node} of lock '{Name}': its lease of {TtlMs} ms ran out {OverdueMs} ms ago.", EventName = "LockHolderEvicted")]
    public static partial void LockHolderEvicted(ILogger logger, string node, string name, long ttlMs, long overdueMs);

    [LoggerMessage(2009, LogLevel.Information, "The waiting node {Node} of lock '{Name}' is gone ({Reason}); queueing again.", EventName = "LockRequeued")]
    public static partial void LockRequeued(ILogger logger, string node, string name, string reason);

    [LoggerMessage(2010, LogLevel.Debug, "Owner '{Owner}' re-entered lock '{Name}' (hold count {Count}).", EventName = "LockReentered")]
    public static partial void LockReentered(ILogger logger, string owner, string name, int count);

    [LoggerMessage(2011, LogLevel.Debug, "Deleting node {Node} failed with {Code}; retrying on the next connection.", EventName = "NodeDeleteRetry")]
    public static partial void NodeDeleteRetry(ILogger logger, string node, Client.ZooKeeperErrorCode code);

    [LoggerMessage(2100, LogLevel.Debug, "Participant '{ParticipantId}' stands for election {ElectionPath}.", EventName = "StandingForElection")]
    public static partial void StandingForElection(ILogger logger, string participantId, string electionPath);

    [LoggerMessage(2101, LogLevel.Information, "Participant '{ParticipantId}' leads election {ElectionPath} as {Node} (fencing token {FencingToken}) after {ElapsedMs} ms.", EventName = "Elected")]
    public static partial void Elected(ILogger logger, string participantId, string electionPath, string node, long fencingToken, long elapsedMs);

    [LoggerMessage(2200, LogLevel.Debug, "Took a lease of semaphore '{Name}' as {Node} ({Count} of {MaxLeases} leases).", EventName = "SemaphoreLeaseAcquired")]
    public static partial void LeaseAcquired(ILogger logger, string name, string node, int count, int maxLeases);

    [LoggerMessage(2201, LogLevel.Debug, "Taking a lease of semaphore {Path} failed with {Code}; starting over once connected.", EventName = "SemaphoreRetry")]
    public static partial void SemaphoreRetry(ILogger logger, string path, Client.ZooKeeperErrorCode code);
}
