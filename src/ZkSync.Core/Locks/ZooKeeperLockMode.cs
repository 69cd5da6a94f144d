namespace ZkSync.Locks;

/// <summary>How a lock is held.</summary>
public enum ZooKeeperLockMode
{
    /// <summary>One holder at a time (Curator <c>InterProcessMutex</c> / the write side of <c>InterProcessReadWriteLock</c>).</summary>
    Exclusive = 0,

    /// <summary>
    /// Many shared holders at a time, excluding exclusive holders (the read side of Curator's
    /// <c>InterProcessReadWriteLock</c>). Readers never starve writers: a reader waits for earlier writers.
    /// </summary>
    Shared = 1,
}
