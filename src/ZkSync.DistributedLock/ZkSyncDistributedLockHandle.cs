using Medallion.Threading;

namespace ZkSync.DistributedLock;

/// <summary>
/// A held ZkSync lock or semaphore lease, as DistributedLock's handle: dispose it to release. Cast a handle from
/// <see cref="ZkSyncDistributedLockProvider"/> to this type to read its <see cref="FencingToken"/>.
/// </summary>
public sealed class ZkSyncDistributedLockHandle : IDistributedSynchronizationHandle
{
    private readonly IAsyncDisposable _hold;
    private readonly CancellationToken _lost;
    private int _disposed;

    internal ZkSyncDistributedLockHandle(IAsyncDisposable hold, long fencingToken, CancellationToken lost)
    {
        _hold = hold;
        _lost = lost;
        FencingToken = fencingToken;
    }

    /// <summary>
    /// ZkSync's <c>Lost</c>: cancelled when the lock or lease can no longer be trusted (the connection was suspended, the
    /// session expired, the node was deleted), before ZooKeeper can grant it to anyone else.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The handle was disposed.</exception>
    public CancellationToken HandleLostToken
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return _lost;
        }
    }

    /// <summary>
    /// A number that grows with every acquisition of the lock (the holder's node's creation zxid); pass it to the store you
    /// write to so that it can refuse a stale holder.
    /// </summary>
    public long FencingToken { get; }

    /// <summary>Releases the lock or lease (blocks until ZkSync's release completes). Idempotent.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Releases the lock or lease. Idempotent; never throws.</summary>
    /// <returns>A task that completes when released.</returns>
    public ValueTask DisposeAsync() =>
        Interlocked.Exchange(ref _disposed, 1) == 0 ? _hold.DisposeAsync() : ValueTask.CompletedTask;
}
