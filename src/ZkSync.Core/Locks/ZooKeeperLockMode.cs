namespace ZkSync.Locks;

/// <summary>How a lock is held.</summary>
public enum ZooKeeperLockMode
{
    /// <summary>One holder at a time: Curator's <c>InterProcessMutex</c> layout (<c>_c_{uuid}-lock-{seq}</c>).</summary>
    Exclusive = 0,

    /// <summary>
    /// Many shared holders at a time, excluding <see cref="Write"/> holders (the read side of Curator's
    /// <c>InterProcessReadWriteLock</c>, <c>_c_{uuid}-__READ__{seq}</c>). Readers never starve writers: a reader waits
    /// for earlier writers.
    /// </summary>
    Shared = 1,

    /// <summary>
    /// The exclusive (write) side of a read-write lock (Curator's <c>_c_{uuid}-__WRIT__{seq}</c>): excludes
    /// <see cref="Shared"/> holders and other writers. Use it with <see cref="Shared"/> on the same name.
    /// </summary>
    Write = 2,
}
