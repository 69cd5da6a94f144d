using ZkSync.Locks;

namespace ZkSync.Inspection;

/// <summary>What a node in a lock, election or semaphore queue is, from the token in its name.</summary>
public enum ZooKeeperQueueNodeKind
{
    /// <summary><c>_c_&lt;uuid&gt;-lock-&lt;seq&gt;</c>: an exclusive lock (ZkSync, Curator <c>InterProcessMutex</c>, go-zookeeper, kafka-kit).</summary>
    Lock = 0,

    /// <summary><c>_c_&lt;uuid&gt;-__READ__&lt;seq&gt;</c>: a shared lock (ZkSync, Curator <c>InterProcessReadWriteLock</c>).</summary>
    ReadLock = 1,

    /// <summary><c>_c_&lt;uuid&gt;-__WRIT__&lt;seq&gt;</c>: an exclusive lock in Curator's read-write layout.</summary>
    WriteLock = 2,

    /// <summary><c>_c_&lt;uuid&gt;-latch-&lt;seq&gt;</c>: a leader-election participant (ZkSync, Curator <c>LeaderLatch</c>).</summary>
    LeaderLatch = 3,

    /// <summary><c>&lt;hex&gt;__lock__&lt;seq&gt;</c>: a kazoo <c>Lock</c>, <c>WriteLock</c> or <c>Election</c> contender.</summary>
    KazooLock = 4,

    /// <summary><c>&lt;hex&gt;__rlock__&lt;seq&gt;</c>: a kazoo <c>ReadLock</c> contender.</summary>
    KazooReadLock = 5,

    /// <summary><c>_c_&lt;uuid&gt;-lease-&lt;seq&gt;</c>: a semaphore lease (ZkSync, Curator <c>InterProcessSemaphoreV2</c>).</summary>
    Lease = 6,
}

/// <summary>One node of a queue (a lock's contenders, an election's participants, a semaphore's leases), in line order.</summary>
/// <remarks>
/// Times come from the server's clock (<c>ctime</c>); <see cref="Age"/> compares it with this machine's clock at the time of
/// the read, so it is as exact as the two clocks agree. <see cref="FencingToken"/> is the node's creation zxid, the
/// same number the holder's handle reports.
/// </remarks>
/// <param name="Name">The node's name, e.g. <c>_c_53345f98-9423-4e0c-a7b5-9f819e3ec2e1-lock-0000000007</c>.</param>
/// <param name="Path">The node's full path.</param>
/// <param name="Kind">What the node is, from its name.</param>
/// <param name="Position">Its place in line, 0 first.</param>
/// <param name="IsHolder">True when it holds the lock (or leads, or holds a lease) by the recipe's rules.</param>
/// <param name="SessionId">The session that owns the (ephemeral) node; 0 for a persistent node.</param>
/// <param name="CreatedAt">When the node was created, on the server's clock.</param>
/// <param name="Age">How long the node had existed when it was read (this machine's clock against <see cref="CreatedAt"/>; never negative).</param>
/// <param name="FencingToken">The node's creation zxid: the fencing token of its holder.</param>
/// <param name="OwnerId">
/// The owner the node names: a ZkSync lock's owner id, an election participant's id, a kazoo contender's identifier; null
/// when there is none.
/// </param>
/// <param name="Metadata">
/// What the holder published: a ZkSync lock's <see cref="ZooKeeperLockRequest.Metadata"/> (an HTTP lock names its
/// <c>instance</c>, <c>endpoint</c> and <c>traceId</c>), an election participant's metadata (<c>host</c>, <c>startedAt</c>…).
/// </param>
/// <param name="Data">The node's data as text when it is not a ZkSync record (e.g. a Curator client's IP address); else null.</param>
/// <param name="Ttl">The lease a ZkSync holder recorded (<see cref="ZooKeeperLockRequest.Ttl"/>), or null.</param>
public sealed record ZooKeeperQueueNode(
    string Name,
    string Path,
    ZooKeeperQueueNodeKind Kind,
    int Position,
    bool IsHolder,
    long SessionId,
    DateTimeOffset CreatedAt,
    TimeSpan Age,
    long FencingToken,
    string? OwnerId,
    IReadOnlyDictionary<string, string> Metadata,
    string? Data,
    TimeSpan? Ttl)
{
    /// <summary>How the node holds or waits: <see cref="ZooKeeperLockMode.Shared"/> for read locks, else exclusive.</summary>
    public ZooKeeperLockMode Mode => Kind is ZooKeeperQueueNodeKind.ReadLock or ZooKeeperQueueNodeKind.KazooReadLock or ZooKeeperQueueNodeKind.Lease
        ? ZooKeeperLockMode.Shared
        : ZooKeeperLockMode.Exclusive;
}
