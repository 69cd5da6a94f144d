using ZkSync.Internal.Recipes;

namespace ZkSync.Locks;

/// <summary>
/// A held lock. Dispose it to release the lock (deletes its znode).
/// </summary>
/// <remarks>
/// <para>
/// Holding a lock is a promise ZooKeeper keeps only while this process's session is alive and connected. Watch
/// <see cref="Lost"/>: it fires as soon as the connection is suspended (the session may already be expiring on the
/// server and the lock passing to the next in line), when the session expires, when the lock's node is deleted (by an
/// operator, or by a contender because the holder's TTL ran out), and when the handle is disposed. Code protected by the
/// lock should stop when it fires, and pass <see cref="FencingToken"/> to the resources it writes to, so that a paused
/// or partitioned former holder is rejected.
/// </para>
/// <para>
/// A handle whose <see cref="Lost"/> fired because of a suspension may still own its node after a reconnect with the
/// same session: dispose it anyway, so that the node is deleted and the next contender proceeds.
/// </para>
/// </remarks>
public sealed class ZooKeeperLockHandle : IAsyncDisposable
{
    private readonly LockHold _hold;
    private readonly Func<ZooKeeperLockHandle, ValueTask> _release;
    private readonly CancellationTokenSource _lost;
    private int _disposed;

    internal ZooKeeperLockHandle(LockHold hold, Func<ZooKeeperLockHandle, ValueTask> release)
    {
        _hold = hold;
        _release = release;
        _lost = new CancellationTokenSource();
        Lost = _lost.Token;
        hold.AddDependent(_lost);
    }

    /// <summary>The lock name as given to the provider (e.g. <c>orders/42</c>).</summary>
    public string Name => _hold.Name;

    /// <summary>The lock's znode (parent of the contenders), e.g. <c>/zksync/locks/orders/42</c>.</summary>
    public string LockPath => _hold.LockPath;

    /// <summary>This holder's own znode.</summary>
    public string NodePath => _hold.NodePath;

    /// <summary>Exclusive or shared.</summary>
    public ZooKeeperLockMode Mode => _hold.Mode;

    /// <summary>The owner id, if one was given.</summary>
    public string? OwnerId => _hold.OwnerId;

    /// <summary>When the lock was acquired.</summary>
    public DateTimeOffset AcquiredAt => _hold.AcquiredAt;

    /// <summary>
    /// A number that only grows for each new holder of this lock name, across restarts and clean-ups of the lock's
    /// parent: the holder node's creation zxid (czxid). Pass it to the resource you protect and reject older tokens.
    /// </summary>
    /// <remarks>Reentrant handles of one owner share the hold and its token. Shared holders each have their own node and token.</remarks>
    public long FencingToken => _hold.FencingToken;

    /// <summary>
    /// Cancelled when the lock can no longer be trusted: the connection was suspended, the session expired, the node was
    /// deleted (e.g. evicted for an expired TTL), or the handle was disposed.
    /// </summary>
    /// <remarks>
    /// It fires no later than 2/3 of the session timeout after the newest request or ping the server acknowledged was
    /// sent, which is before ZooKeeper can expire the session and grant the lock to anyone else (see
    /// <see cref="Client.ZooKeeperClient.ConnectionLostToken"/>), also when the application starves the thread pool: the
    /// flag is set by the client's own watchdog thread. Check it right before every protected write. Callbacks registered
    /// on it run on the thread pool, never on the ZooKeeper client's threads; a token linked to it follows through such a
    /// callback, so check <see cref="Lost"/> itself where timing matters.
    /// </remarks>
    public CancellationToken Lost { get; }

    internal LockHold Hold => _hold;

    internal bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>Releases the lock (deletes the node; retried until the session ends). Idempotent.</summary>
    /// <returns>A task that completes when released.</returns>
    /// <remarks>
    /// <see cref="Lost"/> fires first, then the node is deleted. While connected this waits for the delete; if the
    /// connection is lost, the delete continues in the background (retried on every reconnect until it succeeds or the
    /// session ends, when ZooKeeper deletes the node itself) and this returns. It never throws. Disposing one of several
    /// reentrant handles only lowers the hold count; the node is deleted with the last one.
    /// </remarks>
    public ValueTask DisposeAsync() =>
        Interlocked.Exchange(ref _disposed, 1) != 0 ? ValueTask.CompletedTask : DisposeCoreAsync();

    private async ValueTask DisposeCoreAsync()
    {
        try
        {
            await _lost.CancelAsync().ConfigureAwait(false);
        }
        catch (AggregateException)
        {
            // A callback registered on Lost threw; releasing the lock matters more.
        }
        finally
        {
            _hold.RemoveDependent(_lost);
            _lost.Dispose();
        }

        await _release(this).ConfigureAwait(false);
    }
}
