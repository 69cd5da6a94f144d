namespace ZkSync.Locks;

/// <summary>
/// A held lock. Dispose it to release the lock (deletes its znode).
/// </summary>
public sealed class ZooKeeperLockHandle : IAsyncDisposable
{
    internal ZooKeeperLockHandle()
    {
        throw new NotImplementedException();
    }

    /// <summary>The lock name as given to the provider (e.g. <c>orders/42</c>).</summary>
    public string Name => throw new NotImplementedException();

    /// <summary>The lock's znode (parent of the contenders), e.g. <c>/zksync/locks/orders/42</c>.</summary>
    public string LockPath => throw new NotImplementedException();

    /// <summary>This holder's own znode.</summary>
    public string NodePath => throw new NotImplementedException();

    /// <summary>Exclusive or shared.</summary>
    public ZooKeeperLockMode Mode => throw new NotImplementedException();

    /// <summary>The owner id, if one was given.</summary>
    public string? OwnerId => throw new NotImplementedException();

    /// <summary>When the lock was acquired.</summary>
    public DateTimeOffset AcquiredAt => throw new NotImplementedException();

    /// <summary>
    /// A number that only grows for each new holder of this lock name, across restarts and clean-ups of the lock's
    /// parent: the holder node's creation zxid (czxid). Pass it to the resource you protect and reject older tokens.
    /// </summary>
    public long FencingToken => throw new NotImplementedException();

    /// <summary>
    /// Cancelled when the lock can no longer be trusted: the connection was suspended, the session expired, the node was
    /// deleted (e.g. evicted for an expired TTL), or the handle was disposed.
    /// </summary>
    public CancellationToken Lost => throw new NotImplementedException();

    /// <summary>Releases the lock (deletes the node; retried until the session ends). Idempotent.</summary>
    /// <returns>A task that completes when released.</returns>
    public ValueTask DisposeAsync() => throw new NotImplementedException();
}
