using System.Globalization;

namespace ZkSync.Client;

/// <summary>
/// The one exception type for failures reported by ZooKeeper or by the connection to it.
/// </summary>
/// <remarks>
/// Misuse of the API (bad arguments, calls after disposal) throws the standard .NET exceptions instead.
/// </remarks>
public sealed class ZooKeeperException : Exception
{
    /// <summary>Creates an exception for <paramref name="code"/> on <paramref name="path"/>.</summary>
    /// <param name="code">ZooKeeper's error code.</param>
    /// <param name="path">The path the failing operation named, if any.</param>
    /// <param name="message">A message; when null one is made from the code and path.</param>
    /// <param name="innerException">The underlying cause, if any.</param>
    public ZooKeeperException(ZooKeeperErrorCode code, string? path = null, string? message = null, Exception? innerException = null)
        : base(message ?? DefaultMessage(code, path), innerException)
    {
        Code = code;
        Path = path;
    }

    /// <summary>ZooKeeper's error code.</summary>
    public ZooKeeperErrorCode Code { get; }

    /// <summary>The path the failing operation named, or null.</summary>
    public string? Path { get; }

    /// <summary>
    /// True when retrying may succeed with the same session: <see cref="ZooKeeperErrorCode.ConnectionLoss"/>,
    /// <see cref="ZooKeeperErrorCode.OperationTimeout"/>, <see cref="ZooKeeperErrorCode.RequestTimeout"/> and
    /// <see cref="ZooKeeperErrorCode.Throttled"/>. The outcome of a write that failed transiently is unknown.
    /// </summary>
    public bool IsTransient => Code is ZooKeeperErrorCode.ConnectionLoss or ZooKeeperErrorCode.OperationTimeout
        or ZooKeeperErrorCode.RequestTimeout or ZooKeeperErrorCode.Throttled;

    /// <summary>For a failed <see cref="ZooKeeperClient.MultiAsync"/>: the index of the operation that failed, else -1.</summary>
    public int FailedOperationIndex { get; init; } = -1;

    /// <summary>For a failed <see cref="ZooKeeperClient.MultiAsync"/>: the per-operation results (all error results), else empty.</summary>
    public IReadOnlyList<ZooKeeperOpResult> OperationResults { get; init; } = [];

    private static string DefaultMessage(ZooKeeperErrorCode code, string? path)
    {
        var text = code switch
        {
            ZooKeeperErrorCode.NoNode => "The node does not exist",
            ZooKeeperErrorCode.NodeExists => "The node already exists",
            ZooKeeperErrorCode.BadVersion => "The node's version does not match the expected version",
            ZooKeeperErrorCode.NotEmpty => "The node has children",
            ZooKeeperErrorCode.NoAuth => "Not authorized by the node's ACL",
            ZooKeeperErrorCode.ConnectionLoss => "The connection to ZooKeeper was lost; the outcome of the operation is unknown",
            ZooKeeperErrorCode.SessionExpired => "The ZooKeeper session has expired",
            ZooKeeperErrorCode.RequestTimeout => "The request did not complete within the request timeout; its outcome is unknown",
            ZooKeeperErrorCode.NoChildrenForEphemerals => "Ephemeral nodes may not have children",
            ZooKeeperErrorCode.InvalidAcl => "Invalid ACL",
            ZooKeeperErrorCode.AuthFailed => "Authentication failed",
            ZooKeeperErrorCode.Unimplemented => "Operation not supported by the server (TTL nodes need zookeeper.extendedTypesEnabled=true)",
            ZooKeeperErrorCode.BadArguments => "The server rejected the arguments",
            ZooKeeperErrorCode.NoWatcher => "No such watch is registered",
            _ => "ZooKeeper error",
        };
        var codeText = string.Create(CultureInfo.InvariantCulture, $"{code} ({(int)code})");
        return path is null ? $"{text}: {codeText}." : $"{text}: {codeText} at path '{path}'.";
    }
}
