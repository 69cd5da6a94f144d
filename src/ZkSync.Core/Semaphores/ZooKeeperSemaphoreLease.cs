using ZkSync.Internal.Recipes;

namespace ZkSync.Semaphores;

/// <summary>
/// One lease of a <see cref="ZooKeeperSemaphore"/>. Dispose it to give the lease back (deletes its znode).
/// </summary>
/// <remarks>
/// Like a lock handle, a lease is a promise ZooKeeper keeps only while the session is alive and connected:
/// <see cref="Lost"/> fires when the connection is suspended, the session expires, the lease node is deleted, or the
/// lease is disposed. Dispose it after <see cref="Lost"/> fired too.
/// </remarks>
public sealed class ZooKeeperSemaphoreLease : IAsyncDisposable
{
    private readonly LockHold _hold;

    internal ZooKeeperSemaphoreLease(LockHold hold) => _hold = hold;

    /// <summary>The semaphore's name, e.g. <c>exports</c>.</summary>
    public string Name => _hold.Name;

    /// <summary>The lease's znode (<c>…/leases/_c_&lt;uuid&gt;-lease-&lt;seq&gt;</c>).</summary>
    public string NodePath => _hold.NodePath;

    /// <summary>When the lease was acquired (local clock).</summary>
    public DateTimeOffset AcquiredAt => _hold.AcquiredAt;

    /// <summary>The lease node's creation zxid: it grows with every new lease of the semaphore.</summary>
    public long FencingToken => _hold.FencingToken;

    /// <summary>Fires when the lease can no longer be trusted or was disposed. Callbacks run on the thread pool.</summary>
    public CancellationToken Lost => _hold.LostToken;

    /// <summary>Gives the lease back: <see cref="Lost"/> fires, then the node is deleted. Idempotent; never throws.</summary>
    /// <returns>A task that completes when released.</returns>
    public ValueTask DisposeAsync() => _hold.ReleaseHandleAsync();
}
