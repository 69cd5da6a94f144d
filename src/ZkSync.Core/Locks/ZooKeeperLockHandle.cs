namespace ZkSync.Locks;

/// <summary>
/// A held lock. Dispose it to release the lock (deletes its znode once no other hold of the same owner remains).
/// </summary>
/// <remarks>
/// Check <see cref="Lost"/> before acting on the protected resource, and pass <see cref="FencingToken"/> to it so that
/// a holder that was paused past its session can be rejected. Disposal is idempotent and never throws; a release cut
/// short by connection loss is retried for as long as the session lives (after that ZooKeeper removed the node).
/// </remarks>
public sealed class ZooKeeperLockHandle : IAsyncDisposable
{
    private readonly HeldLock _held;
    private int _disposed;

    internal ZooKeeperLockHandle(HeldLock held)
    {
        _held = held;
    }

    /// <summary>The lock name as given to the provider (e.g. <c>orders/42</c>).</summary>
    public string Name => _held.Name;

    /// <summary>The lock's znode (parent of the contenders), e.g. <c>/zksync/locks/orders/42</c>.</summary>
    public string LockPath => _held.LockPath;

    /// <summary>This holder's own znode.</summary>
    public string NodePath => _held.Node.Path;

    /// <summary>Exclusive or shared.</summary>
    public ZooKeeperLockMode Mode => _held.Mode;

    /// <summary>The owner id, if one was given.</summary>
    public string? OwnerId => _held.OwnerId;

    /// <summary>When the lock was acquired.</summary>
    public DateTimeOffset AcquiredAt => _held.AcquiredAt;

    /// <summary>
    /// A number that only grows for each new holder of this lock name, across restarts and clean-ups of the lock's
    /// parent: the holder node's creation zxid (czxid). Pass it to the resource you protect and reject older tokens.
    /// </summary>
    public long FencingToken => _held.Node.Stat.Czxid;

    /// <summary>
    /// Cancelled when the lock can no longer be trusted: the connection was suspended, the session expired, the node was
    /// deleted (e.g. evicted for an expired TTL, or by an operator), or the lock was released.
    /// </summary>
    public CancellationToken Lost => _held.Lost;

    internal HeldLock Held => _held;

    /// <summary>Releases this hold. Idempotent.</summary>
    /// <returns>A task that completes when released.</returns>
    public ValueTask DisposeAsync() =>
        Interlocked.Exchange(ref _disposed, 1) == 0 ? _held.ReleaseOneAsync() : ValueTask.CompletedTask;
}
