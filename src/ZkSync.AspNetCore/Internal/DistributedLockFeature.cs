using ZkSync.Locks;

namespace ZkSync.AspNetCore.Internal;

internal sealed class DistributedLockFeature(ZooKeeperLockHandle handle) : IDistributedLockFeature
{
    public string Name => handle.Name;

    public string LockPath => handle.LockPath;

    public ZooKeeperLockMode Mode => handle.Mode;

    public long FencingToken => handle.FencingToken;

    public CancellationToken Lost => handle.Lost;

    public ZooKeeperLockHandle Handle => handle;
}
