using Microsoft.Extensions.Logging;

namespace ZkSync.AspNetCore;

/// <summary>
/// All log messages of ZkSync.AspNetCore. Event ids are stable once shipped: 5000–5099 endpoint locks, 5100–5199
/// hosting and the shared client, 5200–5299 health, 5300–5399 startup checks. Credentials are never logged.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(5000, LogLevel.Debug, "Acquired the {Mode} lock '{LockName}' for endpoint '{Endpoint}' in {WaitMs:0.#} ms (fencing token {FencingToken}).", EventName = "LockAcquired")]
    public static partial void LockAcquired(ILogger logger, string mode, string lockName, string? endpoint, double waitMs, long fencingToken);

    // Debug, like ASP.NET Core's rate limiter's rejections: contention is expected, and a hot key would flood the log.
    [LoggerMessage(5001, LogLevel.Debug, "The {Mode} lock '{LockName}' for endpoint '{Endpoint}' is held elsewhere; rejected after waiting {WaitMs:0.#} ms.", EventName = "LockContended")]
    public static partial void LockContended(ILogger logger, string mode, string lockName, string? endpoint, double waitMs);

    /// <summary>Warning while connected (unexpected); Information while the client is known to be disconnected (5101 and the client's own warnings already report the outage, so requests do not flood the log).</summary>
    [LoggerMessage(EventId = 5002, Message = "Could not take the lock '{LockName}' for endpoint '{Endpoint}' because ZooKeeper is unavailable (session {State}): {Reason}", EventName = "LockUnavailable")]
    public static partial void LockUnavailable(ILogger logger, LogLevel level, string lockName, string? endpoint, Client.ZooKeeperSessionState state, string reason);

    [LoggerMessage(5003, LogLevel.Debug, "Released the lock '{LockName}' held {HeldMs:0.#} ms by endpoint '{Endpoint}'.", EventName = "LockReleased")]
    public static partial void LockReleased(ILogger logger, string lockName, double heldMs, string? endpoint);

    [LoggerMessage(5004, LogLevel.Warning, "The lock '{LockName}' (fencing token {FencingToken}) was lost while endpoint '{Endpoint}' ran; the request was aborted through RequestAborted.", EventName = "LockLost")]
    public static partial void LockLost(ILogger logger, string lockName, long fencingToken, string? endpoint);

    [LoggerMessage(5005, LogLevel.Debug, "Rejected a request to endpoint '{Endpoint}' with 400: placeholder '{{{Placeholder}}}' of lock template '{Template}': {Reason}.", EventName = "InvalidLockRouteValue")]
    public static partial void InvalidLockRouteValue(ILogger logger, string? endpoint, string placeholder, string template, string reason);

    [LoggerMessage(5006, LogLevel.Debug, "The client of a request to endpoint '{Endpoint}' went away while it waited for the lock '{LockName}'.", EventName = "LockWaitAborted")]
    public static partial void LockWaitAborted(ILogger logger, string? endpoint, string lockName);

    [LoggerMessage(5007, LogLevel.Error, "ZooKeeper refused the lock '{LockName}' for endpoint '{Endpoint}'.", EventName = "LockRefused")]
    public static partial void LockRefused(ILogger logger, string lockName, string? endpoint, Exception exception);

    [LoggerMessage(5100, LogLevel.Information, "ZkSync is connecting to ZooKeeper at {Servers} (session timeout {SessionTimeout}); the application starts without waiting.", EventName = "ClientStarting")]
    public static partial void ClientStarting(ILogger logger, string servers, TimeSpan sessionTimeout);

    [LoggerMessage(5101, LogLevel.Warning, "ZooKeeper is still not connected {Elapsed} after startup (state {State}). Endpoints that need a distributed lock answer {StatusCode} until it is; the 'zookeeper' health check reports the state.", EventName = "ClientNotConnected")]
    public static partial void ClientNotConnected(ILogger logger, TimeSpan elapsed, Client.ZooKeeperSessionState state, int statusCode);

    [LoggerMessage(5102, LogLevel.Information, "ZooKeeper session 0x{SessionId:x} established with {Server} {Elapsed} after startup; endpoints that need a distributed lock work again.", EventName = "ClientConnectedLate")]
    public static partial void ClientConnectedLate(ILogger logger, long sessionId, string? server, TimeSpan elapsed);

    [LoggerMessage(5300, LogLevel.Debug, "Checked {Count} endpoints with distributed lock metadata.", EventName = "LockedEndpointsChecked")]
    public static partial void LockedEndpointsChecked(ILogger logger, int count);

    [LoggerMessage(5301, LogLevel.Warning, "Endpoint '{Endpoint}': route parameter '{Parameter}' has no constraint but binds a handler parameter of type {Type}, and names the distributed lock '{Template}'. The lock is taken after binding, so a value that does not bind is answered 400 without touching ZooKeeper; write {Suggestion} in the route so that routing rejects such values before anything runs.", EventName = "UnconstrainedLockRouteValue")]
    public static partial void UnconstrainedLockRouteValue(ILogger logger, string endpoint, string parameter, string type, string template, string suggestion);

    [LoggerMessage(5500, LogLevel.Information, "{Service} leads election '{Election}' (fencing token {FencingToken}) and starts its work.", EventName = "LeaderServiceLeading")]
    public static partial void LeaderServiceLeading(ILogger logger, string service, string election, long fencingToken);

    [LoggerMessage(5501, LogLevel.Warning, "{Service} lost its leadership of election '{Election}' (connection suspended, session expired or node deleted); its work was cancelled and it stands again.", EventName = "LeaderServiceRevoked")]
    public static partial void LeaderServiceRevoked(ILogger logger, string service, string election);

    [LoggerMessage(5502, LogLevel.Information, "{Service} finished its work as leader of election '{Election}'; it resigns and stands again in {Delay}.", EventName = "LeaderServiceReturned")]
    public static partial void LeaderServiceReturned(ILogger logger, string service, string election, TimeSpan delay);

    [LoggerMessage(5503, LogLevel.Error, "{Service} failed while leading election '{Election}'; it resigns and stands again in {Delay}.", EventName = "LeaderServiceFailed")]
    public static partial void LeaderServiceFailed(ILogger logger, string service, string election, TimeSpan delay, Exception exception);

    [LoggerMessage(5504, LogLevel.Warning, "Standing for election '{Election}' failed; trying again in {Delay}.", EventName = "LeaderStandFailed")]
    public static partial void LeaderStandFailed(ILogger logger, string election, TimeSpan delay, Exception exception);

    [LoggerMessage(5510, LogLevel.Information, "Waiting up to {Timeout} for startup barrier {Path} to be removed before the application starts.", EventName = "StartupBarrierWaiting")]
    public static partial void StartupBarrierWaiting(ILogger logger, string path, TimeSpan timeout);

    [LoggerMessage(5511, LogLevel.Information, "Startup barrier {Path} is not set; the application starts.", EventName = "StartupBarrierPassed")]
    public static partial void StartupBarrierPassed(ILogger logger, string path);

    [LoggerMessage(5512, LogLevel.Information, "Watching startup barrier {Path}: readiness fails while it is set.", EventName = "StartupBarrierWatching")]
    public static partial void StartupBarrierWatching(ILogger logger, string path);

    [LoggerMessage(5513, LogLevel.Information, "Startup barrier {Path} is now {State}.", EventName = "StartupBarrierChanged")]
    public static partial void StartupBarrierChanged(ILogger logger, string path, string state);

    [LoggerMessage(5514, LogLevel.Warning, "Stopped watching startup barrier {Path}: {Reason}", EventName = "StartupBarrierWatchEnded")]
    public static partial void StartupBarrierWatchEnded(ILogger logger, string path, string reason);
}
