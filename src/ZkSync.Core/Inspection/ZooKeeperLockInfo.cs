namespace ZkSync.Inspection;

/// <summary>A lock as read from ZooKeeper: its queue in line order, holders first.</summary>
/// <param name="Name">The lock's name relative to the root it was listed under, e.g. <c>orders/42</c>.</param>
/// <param name="Path">The lock's znode, e.g. <c>/zksync/locks/orders/42</c>.</param>
/// <param name="Queue">The contenders in line order (at most <see cref="ZooKeeperInspectionQuery.MaxQueueNodes"/>).</param>
/// <param name="QueueLength">How many contenders are in line, including those beyond <paramref name="Queue"/>.</param>
public sealed record ZooKeeperLockInfo(string Name, string Path, IReadOnlyList<ZooKeeperQueueNode> Queue, int QueueLength)
{
    /// <summary>The contenders that hold the lock (one exclusive holder, or any number of shared holders).</summary>
    public IReadOnlyList<ZooKeeperQueueNode> Holders => [.. Queue.Where(node => node.IsHolder)];

    /// <summary>The contenders that wait, in line order.</summary>
    public IReadOnlyList<ZooKeeperQueueNode> Waiters => [.. Queue.Where(node => !node.IsHolder)];

    /// <summary>
    /// True when the queue mixes Curator-layout (<c>_c_…-lock-</c>, ZkSync's too) and kazoo (<c>__lock__</c>,
    /// <c>__rlock__</c>) nodes. ZkSync orders both by their sequence (the holders listed here), but Curator orders kazoo's
    /// nodes by their whole name and kazoo ignores Curator-layout nodes unless it was given <c>extra_lock_patterns</c>,
    /// so such a lock may have two holders at once from those libraries' point of view.
    /// </summary>
    public bool MixesLayouts =>
        Queue.Any(node => node.Kind is ZooKeeperQueueNodeKind.KazooLock or ZooKeeperQueueNodeKind.KazooReadLock)
        && Queue.Any(node => node.Kind is not (ZooKeeperQueueNodeKind.KazooLock or ZooKeeperQueueNodeKind.KazooReadLock));
}

/// <summary>An election as read from ZooKeeper: its participants in line order, the leader first.</summary>
/// <param name="Name">The election's name relative to the root it was listed under, e.g. <c>jobs/nightly</c>.</param>
/// <param name="Path">The election's znode.</param>
/// <param name="Participants">
/// The participants in line order (<see cref="ZooKeeperQueueNode.OwnerId"/> is the participant id,
/// <see cref="ZooKeeperQueueNode.Metadata"/> what it published).
/// </param>
public sealed record ZooKeeperElectionInfo(string Name, string Path, IReadOnlyList<ZooKeeperQueueNode> Participants)
{
    /// <summary>The leader (the first participant), or null when nobody stands.</summary>
    public ZooKeeperQueueNode? Leader => Participants.Count > 0 ? Participants[0] : null;
}

/// <summary>A barrier as read from ZooKeeper (Curator <c>DistributedBarrier</c>, kazoo <c>Barrier</c>, <c>ZooKeeperBarrier</c>).</summary>
/// <param name="Path">The barrier's znode.</param>
/// <param name="IsSet">True while its node exists.</param>
/// <param name="SetAt">When it was set (the node's creation, on the server's clock), or null when clear.</param>
/// <param name="Data">The node's data as UTF-8 text (who set it, when the setter wrote that), or null when empty or clear.</param>
/// <param name="SessionId">The session owning the node when it is ephemeral; 0 for the usual persistent barrier.</param>
/// <param name="ChildCount">How many children the node has (a double barrier's members and <c>ready</c>).</param>
public sealed record ZooKeeperBarrierInfo(string Path, bool IsSet, DateTimeOffset? SetAt, string? Data, long SessionId, int ChildCount);

/// <summary>A semaphore as read from ZooKeeper (ZkSync <c>ZooKeeperSemaphore</c>, Curator <c>InterProcessSemaphoreV2</c>).</summary>
/// <param name="Path">The semaphore's znode.</param>
/// <param name="Leases">The leases in line order (<c>leases/</c>); every one counts against the limit.</param>
/// <param name="Acquirers">The queue of the semaphore's mutex (<c>locks/</c>): the acquirer at its head is taking a lease.</param>
/// <remarks>The lease limit is not stored in ZooKeeper by this layout: each process passes its own.</remarks>
public sealed record ZooKeeperSemaphoreInfo(string Path, IReadOnlyList<ZooKeeperQueueNode> Leases, IReadOnlyList<ZooKeeperQueueNode> Acquirers);
