using ZkSync.Client;

namespace ZkSync.Tool;

/// <summary>Maps ZooKeeper errors to the tool's exit codes.</summary>
internal static class Failures
{
    public static int ExitCodeOf(ZooKeeperException exception) => exception.Code switch
    {
        ZooKeeperErrorCode.AuthFailed or ZooKeeperErrorCode.NoAuth => ExitCodes.AuthFailed,
        ZooKeeperErrorCode.OperationTimeout or ZooKeeperErrorCode.RequestTimeout => ExitCodes.Timeout,
        ZooKeeperErrorCode.NoNode => ExitCodes.NotFound,
        ZooKeeperErrorCode.ConnectionLoss or ZooKeeperErrorCode.SessionExpired or ZooKeeperErrorCode.SessionMoved => ExitCodes.NotReached,
        _ => ExitCodes.Failure,
    };
}
