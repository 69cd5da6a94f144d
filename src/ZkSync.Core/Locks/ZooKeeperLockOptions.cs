using ZkSync.Client;

namespace ZkSync.Locks;

/// <summary>Settings of a <see cref="ZooKeeperLockProvider"/>.</summary>
public sealed class ZooKeeperLockOptions
{
    /// <summary>The znode under which lock names live: <c>orders/42</c> → <c>{RootPath}/orders/42</c>. Default <c>/zksync/locks</c>.</summary>
    public string RootPath { get; set; } = "/zksync/locks";

    /// <summary>
    /// The ACL of lock nodes and the parents the provider creates. Null (default): for a session with credentials
    /// (<see cref="ZooKeeperClientOptions.AuthInfo"/>), change and delete for that identity only and read for everyone
    /// (<c>auth</c> all + <c>world:anyone</c> read), so no other identity can delete or overwrite the locks while health
    /// views and peers can still list the queue; for an unauthenticated session, <see cref="ZooKeeperAcl.OpenUnsafe"/>
    /// (there is no identity to restrict to). Leader elections, semaphores and barriers use the same default.
    /// </summary>
    public IReadOnlyList<ZooKeeperAcl>? Acl { get; set; }

    /// <summary>
    /// What acquiring a lock again with the same <see cref="ZooKeeperLockRequest.OwnerId"/> does while it is held:
    /// reentrant (a hold count) or an error. Default <see cref="LockReentrancy.Reentrant"/>.
    /// </summary>
    public LockReentrancy Reentrancy { get; set; } = LockReentrancy.Reentrant;

    /// <summary>
    /// How exclusive holds name their nodes: <see cref="ExclusiveLockNodeFormat.Mutex"/> (default,
    /// <c>_c_&lt;uuid&gt;-lock-&lt;seq&gt;</c>, Curator <c>InterProcessMutex</c>) or
    /// <see cref="ExclusiveLockNodeFormat.WriteLock"/> (<c>_c_&lt;uuid&gt;-__WRIT__&lt;seq&gt;</c>, the write side of
    /// Curator's <c>InterProcessReadWriteLock</c>).
    /// </summary>
    /// <remarks>
    /// ZkSync's own shared and exclusive holds exclude each other in either format. The format only matters for
    /// Curator processes on the same lock paths: use <see cref="ExclusiveLockNodeFormat.Mutex"/> next to
    /// <c>InterProcessMutex</c> and <see cref="ExclusiveLockNodeFormat.WriteLock"/> next to <c>InterProcessReadWriteLock</c>
    /// (Curator's own mutex and read-write lock cannot share a path).
    /// </remarks>
    public ExclusiveLockNodeFormat ExclusiveNodeFormat { get; set; } = ExclusiveLockNodeFormat.Mutex;
}

/// <summary>The node names of exclusive holds (see <see cref="ZooKeeperLockOptions.ExclusiveNodeFormat"/>).</summary>
public enum ExclusiveLockNodeFormat
{
    /// <summary><c>_c_&lt;uuid&gt;-lock-&lt;seq&gt;</c>, as Curator's <c>InterProcessMutex</c> (also understood by go-zookeeper and kafka-kit).</summary>
    Mutex = 0,

    /// <summary><c>_c_&lt;uuid&gt;-__WRIT__&lt;seq&gt;</c>, as the write lock of Curator's <c>InterProcessReadWriteLock</c>.</summary>
    WriteLock = 1,
}

/// <summary>What acquiring a held lock again with the same owner id does.</summary>
public enum LockReentrancy
{
    /// <summary>Returns a handle sharing the hold; the lock is released when every handle is disposed.</summary>
    Reentrant = 0,

    /// <summary>Throws <see cref="InvalidOperationException"/> ("already own this lock").</summary>
    Error = 1,
}

/// <summary>How one acquisition is made.</summary>
public sealed class ZooKeeperLockRequest
{
    /// <summary>Exclusive (default) or shared.</summary>
    public ZooKeeperLockMode Mode { get; set; } = ZooKeeperLockMode.Exclusive;

    /// <summary>
    /// An optional owner id stored in the lock node's data (kafka-kit style): acquiring again with the same owner is
    /// reentrant or an error (see <see cref="ZooKeeperLockOptions.Reentrancy"/>); null for anonymous, non-reentrant holds.
    /// </summary>
    public string? OwnerId { get; set; }

    /// <summary>
    /// An optional lease: the holder's node records its acquisition time and TTL, and a contender that finds the holder's
    /// TTL expired deletes the holder's node (the evicted holder's <see cref="ZooKeeperLockHandle.Lost"/> fires). Null
    /// (default): held until released or the session ends; never evicted.
    /// </summary>
    public TimeSpan? Ttl { get; set; }

    /// <summary>
    /// What the holder publishes in its lock node for operators (<c>zksync locks</c>, <c>ZooKeeperInspector</c>), so that
    /// "who holds it" names a process and a request: e.g. <c>instance</c>, <c>endpoint</c>, <c>traceId</c>. Stored as
    /// the <c>meta</c> object of the node's JSON data; plays no part in locking (unlike <see cref="OwnerId"/>). Anyone
    /// allowed to read the lock's parent can read it: never put a secret here. Null (default): nothing published.
    /// </summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; set; }
}
