using ZkSync.Client;

namespace ZkSync.Internal.Recipes;

/// <summary>Why a recipe's own node is gone (or can no longer be known to exist).</summary>
internal enum NodeGoneReason
{
    /// <summary>The node was deleted (by someone else, or a TTL eviction).</summary>
    Deleted,

    /// <summary>The session that owned the node ended (expired or closed), or the client is finished.</summary>
    SessionEnded,
}

/// <summary>
/// Keeps a watch on a recipe's own node (exists + watch, re-armed after data changes and reconnects) and completes
/// <see cref="Gone"/> when the node is deleted or its session ends. A node that holds from its first listing starts
/// out guarded by that listing's child watch on the parent instead (<see cref="StartAfterListing"/>).
/// </summary>
/// <remarks>
/// The first exists is sent once the listing after the create has been read (at once for a waiter; for a node first in
/// line only when the parent changes) and is not awaited by the acquisition: the watch is needed to notice a deletion
/// later, not to decide anything now. Deletion notices are inherently late (the
/// deleter acts first); a node deleted before the exists is processed is reported through the exists result instead.
/// Events come on the client's dispatcher in zxid order, so a deletion of our node is seen before any event caused by a
/// later transaction (e.g. our predecessor's deletion): <see cref="IsGone"/> read in such an event's continuation is
/// therefore up to date. <see cref="IsConfirmed"/> is not, by itself: the exists reply completes a task whose
/// continuation runs on the thread pool, which a busy machine may run after a later event's handler; a reader that
/// knows the reply has arrived (it came before a later reply on the same connection) awaits <see cref="FirstAnswer"/>.
/// </remarks>
internal sealed class OwnNodeMonitor
{
    private readonly ZooKeeperClient _client;
    private readonly TaskCompletionSource<NodeGoneReason> _gone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _firstAnswer = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action<ZooKeeperWatchEvent> _watcher;
    private volatile bool _stopped;
    private volatile bool _confirmed;
    private int _started;

    public OwnNodeMonitor(ZooKeeperClient client, string path, long sessionId)
    {
        _client = client;
        Path = path;
        SessionId = sessionId;
        _watcher = OnEvent;
    }

    /// <summary>The watched node.</summary>
    public string Path { get; }

    /// <summary>The session that owns the node.</summary>
    public long SessionId { get; }

    /// <summary>Completes when the node is gone; never faults.</summary>
    public Task<NodeGoneReason> Gone => _gone.Task;

    /// <summary>True once the node is known to be gone.</summary>
    public bool IsGone => _gone.Task.IsCompleted;

    /// <summary>True once an exists reply found the node with the watch set (and it is not gone since).</summary>
    public bool IsConfirmed => _confirmed && !IsGone;

    /// <summary>
    /// Completes once the first exists has been answered or has failed, after <see cref="IsConfirmed"/> and
    /// <see cref="IsGone"/> show its outcome; never faults.
    /// </summary>
    public Task FirstAnswer => _firstAnswer.Task;

    /// <summary>Sets the watch (in the background). Only the first call of <see cref="Start"/> or <see cref="StartAfterListing"/> counts.</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            _ = ArmAsync();
        }
    }

    /// <summary>
    /// Guards the node with the child watch of the parent listing that contained it, and sets the node's own watch
    /// only once that fires: a node that is released before anything else changes under the parent (an uncontended
    /// lock) costs no request of its own. Only the first call of <see cref="Start"/> or this counts.
    /// </summary>
    /// <param name="listingWatch">The parent's child watch, set by the listing that contained the node.</param>
    /// <remarks>
    /// The guard has no gap: any deletion of the node after the listing fires the parent's watch (NodeChildrenChanged);
    /// the node's exists that follows finds it gone, or sets the node's watch. The parent itself cannot be deleted while
    /// the node exists, so its NodeDeleted also means the node is gone. <see cref="IsConfirmed"/> stays false until the
    /// node's own watch is set.
    /// </remarks>
    public void StartAfterListing(ListingWatch listingWatch)
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            listingWatch.Attach(_watcher);
        }
    }

    /// <summary>Stops re-arming the watch (the node is being deleted by us). <see cref="Gone"/> may still complete.</summary>
    public void Stop() => _stopped = true;

    private async Task ArmAsync()
    {
        var failures = 0;
        while (!_stopped && !IsGone)
        {
            // Unconfirmed until the reply: in between, a deletion would only show in that reply.
            _confirmed = false;
            try
            {
                var stat = await _client.ExistsAsync(Path, _watcher).ConfigureAwait(false);
                if (stat is null)
                {
                    _gone.TrySetResult(NodeGoneReason.Deleted);
                }
                else
                {
                    _confirmed = true;
                }

                _firstAnswer.TrySetResult();
                return;
            }
            catch (ZooKeeperException ex) when (ex.IsTransient)
            {
                _firstAnswer.TrySetResult();

                // The watch may not be set: try again on the next connection of the same session (backing off while
                // requests fail on a live connection, e.g. Throttled).
                try
                {
                    await TransientRetry.WaitAsync(_client, ++failures, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception waitFailure) when (waitFailure is ObjectDisposedException or ZooKeeperException)
                {
                    _gone.TrySetResult(NodeGoneReason.SessionEnded);
                    return;
                }

                if (_client.Session.SessionId != SessionId)
                {
                    _gone.TrySetResult(NodeGoneReason.SessionEnded);
                    return;
                }
            }
            catch (Exception ex) when (ex is ZooKeeperException or ObjectDisposedException)
            {
                _gone.TrySetResult(NodeGoneReason.SessionEnded);
                _firstAnswer.TrySetResult();
                return;
            }
        }

        _firstAnswer.TrySetResult(); // stopped or gone before an answer: nothing more will come
    }

    private void OnEvent(ZooKeeperWatchEvent watchEvent)
    {
        switch (watchEvent.Type)
        {
            case ZooKeeperEventType.NodeDeleted:
                _gone.TrySetResult(NodeGoneReason.Deleted);
                break;
            case ZooKeeperEventType.None:
                _gone.TrySetResult(NodeGoneReason.SessionEnded);
                break;
            default:
                // NodeDataChanged (or the parent's NodeChildrenChanged) consumed the one-shot watch: set the node's own
                // watch (never block the dispatcher); its reply tells whether the node is still there.
                if (!_stopped)
                {
                    _ = ArmAsync();
                }

                break;
        }
    }
}
