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

    [LoggerMessage(1001, LogLevel.Debug, "Connecting to ZooKeeper server {Server} (attempt {Attempt}).", EventName = "Connecting")]
    public static partial void Connecting(ILogger logger, string server, int attempt);

    [LoggerMessage(1002, LogLevel.Warning, "Could not connect to ZooKeeper server {Server}: {Reason}", EventName = "ConnectFailed")]
    public static partial void ConnectFailed(ILogger logger, string server, string reason);

    [LoggerMessage(1003, LogLevel.Warning, "Connection to ZooKeeper server {Server} lost: {Reason}", EventName = "ConnectionLost")]
    public static partial void ConnectionLost(ILogger logger, string server, string reason);

    [LoggerMessage(1004, LogLevel.Warning, "ZooKeeper session 0x{SessionId:x} expired: {Reason}", EventName = "SessionExpired")]
    public static partial void SessionExpired(ILogger logger, long sessionId, string reason);

    [LoggerMessage(1005, LogLevel.Error, "ZooKeeper server {Server} rejected the credentials (schemes: {Schemes}); the client stops.", EventName = "AuthFailed")]
    public static partial void AuthFailed(ILogger logger, string server, string schemes);

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

    [LoggerMessage(2000, LogLevel.Debug, "Acquired lock '{Name}' ({Mode}, fencing token {FencingToken}).", EventName = "LockAcquired")]
    public static partial void LockAcquired(ILogger logger, string name, Locks.ZooKeeperLockMode mode, long fencingToken);

    [LoggerMessage(2001, LogLevel.Debug, "Gave up waiting for lock '{Name}' after {Timeout}.", EventName = "LockTimedOut")]
    public static partial void LockTimedOut(ILogger logger, string name, TimeSpan timeout);
}
