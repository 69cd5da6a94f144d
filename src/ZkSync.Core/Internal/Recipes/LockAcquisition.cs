using Microsoft.Extensions.Logging;
using ZkSync.Client;
using ZkSync.Locks;

namespace ZkSync.Internal.Recipes;

/// <summary>What to acquire.</summary>
/// <param name="Name">The lock name (for logs and errors).</param>
/// <param name="LockPath">The lock's znode (parent of the contenders).</param>
/// <param name="Kind">The kind of node to create (decides the name token and the rules).</param>
/// <param name="Mode">The public mode.</param>
/// <param name="OwnerId">The owner id stored in the node's data, or null.</param>
/// <param name="Ttl">The holder's lease, or null.</param>
/// <param name="Data">The node's data when the recipe publishes its own (a leader's participant record); null for the
/// lock record of <see cref="LockNodeData"/>.</param>
/// <param name="Metadata">What the holder publishes for operators in the lock record, or null.</param>
internal sealed record LockAttempt(string Name, string LockPath, LockNodeKind Kind, ZooKeeperLockMode Mode, string? OwnerId, TimeSpan? Ttl,
    ReadOnlyMemory<byte>? Data = null, IReadOnlyDictionary<string, string>? Metadata = null)
{
    /// <summary>
    /// True when a waiter whose predecessor was the head may take the lock on that predecessor's deletion without
    /// listing again. Safe for the mutex layout: every node created after our listing has a higher sequence and sorts
    /// after us. Not for <c>__WRIT__</c>: a Curator writer that downgrades creates a read node reusing its own sequence,
    /// i.e. ahead of us, after our listing (CURATOR-621). Safe for leader latches for the same reason as the mutex.
    /// </summary>
    public bool AllowsDirectHandoff => Kind is LockNodeKind.Mutex or LockNodeKind.Latch;
}

/// <summary>A node that holds the lock.</summary>
/// <param name="Entry">The node.</param>
/// <param name="Monitor">The watch on the node.</param>
/// <param name="Connection">The connection token under which holding was confirmed (Lost fires when it does).</param>
internal sealed record AcquiredNode(QueueEntry Entry, OwnNodeMonitor Monitor, CancellationToken Connection);

/// <summary>
/// The lock recipe (ZooKeeper recipes.md "Locks", Curator <c>LockInternals</c>) on <see cref="SequentialNodeQueue"/>:
/// create an ephemeral sequential node, hold the lock when the rules of <see cref="LockContention"/> say so, otherwise
/// watch the one node we wait for and decide again when it changes. Strict FIFO, no herd effect.
/// </summary>
internal sealed class LockAcquisition(ZooKeeperClient client, IReadOnlyList<ZooKeeperAcl>? acl, NodeCleaner cleaner, LockMetrics metrics, ILogger logger)
{
    private static readonly TimeSpan MaxTimerWait = TimeSpan.FromHours(1);
    private readonly PathHints _knownParents = new();
    private readonly PathHints _recentlyHeld = new();

    /// <summary>Acquires, or returns null when <paramref name="timeout"/> runs out first.</summary>
    /// <param name="attempt">What to acquire.</param>
    /// <param name="timeout">Zero: decide on one listing; infinite: wait until acquired.</param>
    /// <param name="cancellationToken">Abandons the attempt.</param>
    /// <returns>The held node, or null.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ZooKeeperException">A non-transient failure, or no connection when the timeout ran out.</exception>
    /// <remarks>
    /// Whatever ends the attempt without the lock, our node (even one whose create reply was lost) is deleted: inline
    /// while connected, else in the background, retried until the session ends.
    /// </remarks>
    public async Task<AcquiredNode?> AcquireAsync(LockAttempt attempt, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (timeout == TimeSpan.Zero && !IsConnected)
        {
            // Requests would queue until a connection comes back; "try once" must not wait for it.
            throw NotConnected(attempt, timeout);
        }

        if (timeout == TimeSpan.Zero && attempt.Kind != LockNodeKind.Latch && _recentlyHeld.Contains(attempt.LockPath))
        {
            // The last try found it held: look first. Refusing from a synced listing costs one round trip and no write,
            // instead of creating a node and deleting it again (what a hot name under try-locks costs the ensemble).
            if (await IsHeldAsync(attempt, cancellationToken).ConfigureAwait(false))
            {
                return null;
            }

            _recentlyHeld.Remove(attempt.LockPath);
        }

        using var deadline = timeout == Timeout.InfiniteTimeSpan ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline?.CancelAfter(timeout);
        var waitToken = deadline?.Token ?? cancellationToken;

        // With a zero timeout the round trips themselves are not cut short: "try once" still needs one answer.
        var requestToken = timeout == TimeSpan.Zero ? cancellationToken : waitToken;
        var queue = new SequentialNodeQueue(client, attempt.LockPath, acl, cleaner, logger);
        var token = LockContention.TokenOf(attempt.Kind);
        var initialData = attempt.Data ?? LockNodeData.Encode(attempt.OwnerId, DateTimeOffset.UtcNow, attempt.Ttl, attempt.Metadata);
        QueueEntry? entry = null;
        OwnNodeMonitor? monitor = null;
        IReadOnlyList<string>? children = null;
        ListingWatch? listingWatch = null;
        var waited = false;
        var transientFailures = 0;
        var couldTell = true; // no transient failure since the last listing was judged
        var lookConnection = client.ConnectionLostToken; // the connection of that listing (at first: of the start)
        (string Path, Action<ZooKeeperWatchEvent> Watcher)? predecessorWatch = null;
        AcquiredNode? acquired = null;
        try
        {
            while (true)
            {
                try
                {
                    if (entry is null || monitor is null)
                    {
                        var parentKnown = _knownParents.Contains(attempt.LockPath);
                        var entered = await queue.EnterAsync(token, initialData, !parentKnown, requestToken, waitToken).ConfigureAwait(false);
                        if (!parentKnown)
                        {
                            _knownParents.Add(attempt.LockPath);
                        }
                        entry = entered.Entry;
                        children = entered.Children;
                        listingWatch = entered.ListingWatch;
                        monitor = new OwnNodeMonitor(client, entry.Path, entry.SessionId);
                        waited = false;
                    }

                    children ??= await queue.GetChildrenAsync(requestToken).ConfigureAwait(false);
                    transientFailures = 0;
                    couldTell = true;
                    lookConnection = client.ConnectionLostToken;
                    var sorted = LockContention.Sort(children, attempt.Kind);
                    children = null;
                    var index = SequentialNodeOrdering.IndexOf(sorted, entry.Name);
                    if (index < 0 || monitor.IsGone)
                    {
                        Requeue(attempt, entry, monitor, index < 0 ? "not among the lock's children" : "deleted or its session ended");
                        entry = null;
                        continue;
                    }

                    var decision = LockContention.Evaluate(sorted, index);
                    if (decision.Acquired && listingWatch is not null)
                    {
                        // First in line on the listing that came with our create: that listing's watch guards the node.
                        monitor.StartAfterListing(listingWatch);
                    }
                    else
                    {
                        monitor.Start();
                    }

                    listingWatch = null;
                    if (decision.Acquired)
                    {
                        acquired = await ConfirmAsync(attempt, entry, monitor, waited, requestToken).ConfigureAwait(false);
                        if (acquired is not null)
                        {
                            return acquired;
                        }

                        continue;
                    }

                    if (timeout == TimeSpan.Zero)
                    {
                        _recentlyHeld.Add(attempt.LockPath);
                        return null;
                    }

                    if (attempt.Ttl is not null && !waited)
                    {
                        // A waiter carries no lease, so nobody can mistake it for an expired holder (LockNodeData). Awaited,
                        // and retried through the transient-failure path until it is known to be applied: a waiter whose
                        // clear was lost would keep its creation-time lease and could be evicted the moment it is promoted,
                        // before its lease start is written (F8).
                        try
                        {
                            await client.SetDataAsync(entry.Path, LockNodeData.Encode(attempt.OwnerId, DateTimeOffset.UtcNow, null, attempt.Metadata), cancellationToken: requestToken).ConfigureAwait(false);
                        }
                        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
                        {
                            continue; // Our node is gone: the next listing finds out and queues again.
                        }
                    }

                    waited = true;
                    var watched = sorted[decision.WatchIndex];
                    var watchedPath = ZkPath.Combine(attempt.LockPath, watched.Name);
                    var signal = new TaskCompletionSource<ZooKeeperWatchEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
                    ForgetPredecessorWatch(ref predecessorWatch); // a wait that woke for another reason
                    predecessorWatch = (watchedPath, e => signal.TrySetResult(e));
                    ZooKeeperNodeData predecessor;
                    try
                    {
                        predecessor = await client.GetDataAsync(watchedPath, predecessorWatch.Value.Watcher, requestToken).ConfigureAwait(false);
                    }
                    catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
                    {
                        continue; // Gone already: look again.
                    }

                    TimeSpan? evictAfter = null;
                    if (LockContention.IsHolder(sorted, decision.WatchIndex) && LockContention.MayCarryLease(watched)
                        && LockNodeData.TryDecode(predecessor.Data, out _, out _, out var ttlMs) && ttlMs is { } ttl)
                    {
                        var overdue = entry.ServerNowMs - (predecessor.Stat.Mtime + ttl);
                        if (overdue >= 0)
                        {
                            await EvictAsync(attempt, watchedPath, predecessor.Stat.Version, ttl, overdue, requestToken).ConfigureAwait(false);
                            continue;
                        }

                        evictAfter = TimeSpan.FromMilliseconds(Math.Min(1 - overdue, MaxTimerWait.TotalMilliseconds));
                    }

                    Log.LockWaiting(logger, attempt.Mode, attempt.Name, entry.Name, watched.Name, index);

                    // On the caller's span (zksync.lock.acquire, zksync.leader.elect): where it first stood in line.
                    if (System.Diagnostics.Activity.Current is { } span && span.GetTagItem("zksync.lock.queue_position") is null)
                    {
                        span.SetTag("zksync.lock.queue_position", index);
                    }
                    var wake = await WaitAsync(signal.Task, monitor.Gone, evictAfter, waitToken).ConfigureAwait(false);
                    if (wake?.Type == ZooKeeperEventType.NodeDeleted && attempt.AllowsDirectHandoff && index == 1)
                    {
                        if (!monitor.IsConfirmed && !monitor.IsGone && !lookConnection.IsCancellationRequested)
                        {
                            // Our exists went out before the getData on the head, on this connection, so its answer came
                            // before that reply; only its continuation (thread pool) may not have run yet. A listing would
                            // be a round trip spent on a race of our own threads.
                            await monitor.FirstAnswer.WaitAsync(requestToken).ConfigureAwait(false);
                        }

                        // The head is gone and nothing created after our listing can sort before us: we are first.
                        // Only on the connection of that listing: after a reconnect, SetWatches re-creates the events of
                        // the outage in no particular order, so our own node's deletion may still be on its way (F14).
                        // And only while the server has acknowledged something recently: a notification proves nothing
                        // about our outgoing direction (a one-way partition), so when no reply came for a ping interval
                        // the next listing is the one round trip that confirms the hand-off.
                        if (monitor.IsConfirmed && !lookConnection.IsCancellationRequested && client.IsAcknowledgementFresh)
                        {
                            acquired = await ConfirmAsync(attempt, entry, monitor, waited, requestToken).ConfigureAwait(false);
                            if (acquired is not null)
                            {
                                return acquired;
                            }
                        }
                    }
                }
                catch (ZooKeeperException ex) when (ex.IsTransient || ex.Code == ZooKeeperErrorCode.SessionExpired)
                {
                    children = null;
                    listingWatch = null;
                    couldTell = false;
                    await WaitForConnectionAsync(attempt, ex, cancellationToken, waitToken).ConfigureAwait(false);

                    // Failing while connected (e.g. Throttled, request timeouts): back off instead of spinning.
                    await Task.Delay(TransientRetry.Delay(++transientFailures), waitToken).ConfigureAwait(false);

                    if (entry is not null && monitor is not null && client.Session.SessionId != entry.SessionId)
                    {
                        Requeue(attempt, entry, monitor, "its session ended");
                        entry = null;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && deadline is { IsCancellationRequested: true })
        {
            // Out of time: "held by someone else" only if we could actually tell, from a listing judged after the last
            // connection loss (a try whose create was lost to a blip, and that was still looking for it, could not).
            return !IsConnected ? throw NotConnected(attempt, timeout)
                : couldTell && (entry is not null || !lookConnection.IsCancellationRequested) ? null
                : throw new ZooKeeperException(ZooKeeperErrorCode.ConnectionLoss, attempt.LockPath,
                    $"Could not tell whether lock '{attempt.Name}' is held: the connection to ZooKeeper was lost during the attempt and the timeout of {timeout} ran out before it could look again.");
        }
        finally
        {
            ForgetPredecessorWatch(ref predecessorWatch);
            if (acquired is null && entry is not null)
            {
                monitor?.Stop();
                await cleaner.DeleteWhileConnectedAsync(entry.Path).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// True when a node created now would have to wait (<see cref="LockContention.WouldWait"/>), judged from a listing
    /// taken after a sync, so it reflects every change the ensemble committed before the look. False when it cannot
    /// tell (a transient failure): the caller then tries the normal way.
    /// </summary>
    private async Task<bool> IsHeldAsync(LockAttempt attempt, CancellationToken cancellationToken)
    {
        try
        {
            var listing = await client.AfterSyncAsync(attempt.LockPath,
                () => client.GetChildrenAsync(attempt.LockPath, cancellationToken: cancellationToken), cancellationToken).ConfigureAwait(false);
            return LockContention.WouldWait(LockContention.Sort(listing, attempt.Kind), attempt.Kind);
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode || ex.IsTransient)
        {
            return false;
        }
    }

    /// <summary>Forgets the watcher of a wait that is over without its event (it would stay until that node changes).</summary>
    private void ForgetPredecessorWatch(ref (string Path, Action<ZooKeeperWatchEvent> Watcher)? watch)
    {
        if (watch is { } pending)
        {
            client.ForgetWatcher(pending.Path, pending.Watcher);
            watch = null;
        }
    }

    private bool IsConnected => client.State is ZooKeeperSessionState.Connected or ZooKeeperSessionState.Reconnected;

    private static ZooKeeperException NotConnected(LockAttempt attempt, TimeSpan timeout) =>
        new(ZooKeeperErrorCode.ConnectionLoss, attempt.LockPath, timeout == TimeSpan.Zero
            ? $"Could not try lock '{attempt.Name}': the client is not connected to ZooKeeper (a zero timeout does not wait for a connection)."
            : $"Could not acquire lock '{attempt.Name}': the client was not connected to ZooKeeper when the timeout of {timeout} ran out.");

    /// <summary>
    /// Turns "first in line" into a hold: records the lease start for a TTL lock that waited, and checks that the
    /// connection and session that listed us are still the current ones (else the caller looks again).
    /// </summary>
    private async Task<AcquiredNode?> ConfirmAsync(LockAttempt attempt, QueueEntry entry, OwnNodeMonitor monitor, bool waited, CancellationToken requestToken)
    {
        if (attempt.Ttl is not null && waited)
        {
            try
            {
                // mtime becomes the lease start, on the server's clock.
                await client.SetDataAsync(entry.Path, LockNodeData.Encode(attempt.OwnerId, DateTimeOffset.UtcNow, attempt.Ttl, attempt.Metadata), cancellationToken: requestToken).ConfigureAwait(false);
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
            {
                return null; // Our node is gone: the caller finds out and queues again.
            }
        }

        // Token first, session second: a session change after reading the token cancels that token.
        var connection = client.ConnectionLostToken;
        if (connection.IsCancellationRequested || client.Session.SessionId != entry.SessionId)
        {
            throw new ZooKeeperException(ZooKeeperErrorCode.ConnectionLoss, entry.Path,
                "The connection was lost while acquiring the lock; checking again after reconnecting.");
        }

        return monitor.IsGone ? null : new AcquiredNode(entry, monitor, connection);
    }

    private async Task EvictAsync(LockAttempt attempt, string path, int version, long ttlMs, long overdueMs, CancellationToken requestToken)
    {
        try
        {
            Log.LockHolderEvicted(logger, path, attempt.Name, ttlMs, overdueMs);
            await client.DeleteAsync(path, version, requestToken).ConfigureAwait(false);
            metrics.Evictions.Add(1);
        }
        catch (ZooKeeperException ex) when (ex.Code is ZooKeeperErrorCode.NoNode or ZooKeeperErrorCode.BadVersion)
        {
            // Released meanwhile, or its lease was renewed: look again.
        }
    }

    private void Requeue(LockAttempt attempt, QueueEntry entry, OwnNodeMonitor monitor, string reason)
    {
        Log.LockRequeued(logger, entry.Path, attempt.Name, reason);
        monitor.Stop();

        // Usually gone already; a node of an ended session may linger on the server until it expires there.
        _ = cleaner.DeleteAsync(entry.Path);
    }

    private async Task WaitForConnectionAsync(LockAttempt attempt, ZooKeeperException cause, CancellationToken cancellationToken, CancellationToken waitToken)
    {
        try
        {
            await client.WaitForConnectedAsync(waitToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ZooKeeperException(cause.Code, attempt.LockPath,
                $"Could not acquire lock '{attempt.Name}': no ZooKeeper connection before the timeout ran out ({cause.Message}).", cause);
        }
    }

    /// <summary>Waits for the watched node's event, our own node's loss, or the eviction timer (null result for the latter two).</summary>
    private static async Task<ZooKeeperWatchEvent?> WaitAsync(Task<ZooKeeperWatchEvent> watched, Task<NodeGoneReason> ownNodeGone, TimeSpan? timer, CancellationToken cancellationToken)
    {
        if (timer is null)
        {
            var first = await Task.WhenAny(watched, ownNodeGone).WaitAsync(cancellationToken).ConfigureAwait(false);
            return first == watched ? watched.Result : null;
        }

        using var stopTimer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            var delay = Task.Delay(timer.Value, stopTimer.Token);
            var first = await Task.WhenAny(watched, ownNodeGone, delay).WaitAsync(cancellationToken).ConfigureAwait(false);
            return first == watched ? watched.Result : null;
        }
        finally
        {
            await stopTimer.CancelAsync().ConfigureAwait(false);
        }
    }
}
