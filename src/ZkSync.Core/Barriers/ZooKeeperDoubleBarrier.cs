using Microsoft.Extensions.Logging.Abstractions;
using ZkSync.Client;
using ZkSync.Internal.Recipes;

namespace ZkSync.Barriers;

/// <summary>
/// A double barrier: <see cref="EnterAsync"/> blocks until <see cref="MemberCount"/> participants have entered, and
/// <see cref="LeaveAsync"/> blocks until all of them have left. Curator's <c>DistributedDoubleBarrier</c> layout: each
/// participant is an ephemeral <c>{path}/{uuid}</c>, and <c>{path}/ready</c> marks that the group is complete.
/// </summary>
/// <remarks>
/// An instance is one participant; enter and leave once. A participant whose session ends while it waits to enter
/// joins again with the new session; one whose session ends later leaves implicitly (its ephemeral node vanishes).
/// Timeouts and cancellation delete this participant's node (retried across connection losses), so nothing is left
/// behind. Timeouts include the time spent waiting for a connection.
/// </remarks>
public sealed class ZooKeeperDoubleBarrier
{
    private const string ReadyNode = "ready";
    private static readonly TimeSpan CleanupGrace = TimeSpan.FromSeconds(5);
    private readonly ZooKeeperClient _client;
    private readonly NodeCleaner _cleaner;
    private readonly string _ourName = Guid.NewGuid().ToString();

    /// <summary>Creates a participant of the double barrier at <paramref name="path"/>.</summary>
    /// <param name="client">The client.</param>
    /// <param name="path">The barrier's znode.</param>
    /// <param name="memberCount">How many participants make the group complete (at least 1).</param>
    public ZooKeeperDoubleBarrier(ZooKeeperClient client, string path, int memberCount)
    {
        ArgumentNullException.ThrowIfNull(client);
        ZkPath.Validate(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(memberCount, 1);
        _client = client;
        _cleaner = new NodeCleaner(client, NullLogger.Instance);
        Path = path;
        MemberCount = memberCount;
    }

    /// <summary>The barrier's znode.</summary>
    public string Path { get; }

    /// <summary>The number of participants that make the group complete.</summary>
    public int MemberCount { get; }

    private string OurPath => ZkPath.Combine(Path, _ourName);

    private string ReadyPath => ZkPath.Combine(Path, ReadyNode);

    /// <summary>Enters and waits until <see cref="MemberCount"/> participants have entered.</summary>
    /// <param name="timeout">How long to wait, also for a connection; null for ever.</param>
    /// <param name="cancellationToken">Abandons the wait (our node is deleted).</param>
    /// <returns>True when the group is complete; false if the timeout ran out (our node is deleted).</returns>
    /// <remarks>
    /// A connection loss is waited out. When the session expires while waiting, its ephemeral node went with it, so
    /// this participant joins again with the new session (it never waits on without being counted).
    /// </remarks>
    public Task<bool> EnterAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        BarrierActivity.TraceAsync("zksync.double_barrier.enter", Path, () => EnterCoreAsync(timeout, cancellationToken), cancellationToken);

    private async Task<bool> EnterCoreAsync(TimeSpan? timeout, CancellationToken cancellationToken)
    {
        using var deadline = Deadline(timeout, cancellationToken);
        var token = deadline.Token;
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Action<ZooKeeperWatchEvent> onReady = _ => ready.TrySetResult(); // one watcher for the whole wait
        long joinedSession = 0; // the session that owns our node; 0 while we are not (or no longer) in the group
        var failures = 0;
        var completed = false;
        try
        {
            while (true)
            {
                try
                {
                    if (joinedSession != 0 && _client.Session.SessionId != joinedSession)
                    {
                        joinedSession = 0; // Expired: ZooKeeper deleted our node with the old session.
                    }

                    var readyExists = await _client.ExistsAsync(ReadyPath, onReady, token).ConfigureAwait(false) is not null;
                    if (joinedSession == 0)
                    {
                        joinedSession = await CreateOurNodeAsync(token).ConfigureAwait(false);
                    }

                    if (readyExists)
                    {
                        break;
                    }

                    var children = await _client.GetChildrenAsync(Path, cancellationToken: token).ConfigureAwait(false);
                    if (children.Count(c => c != ReadyNode) >= MemberCount)
                    {
                        try
                        {
                            await _client.CreateAsync(ReadyPath, ReadOnlyMemory<byte>.Empty, acl: RecipeAcl.Resolve(_client, null), cancellationToken: token).ConfigureAwait(false);
                        }
                        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NodeExists)
                        {
                        }

                        break;
                    }

                    failures = 0;

                    // Woken by ready's creation, or by the session's end (then we join again above).
                    await ready.Task.WaitAsync(token).ConfigureAwait(false);
                    ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
                catch (ZooKeeperException ex) when (ex.IsTransient || ex.Code == ZooKeeperErrorCode.SessionExpired)
                {
                    await TransientRetry.WaitAsync(_client, ++failures, token).ConfigureAwait(false);
                }
            }

            completed = true;
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
        finally
        {
            if (!completed)
            {
                // The exists watch on a ready node that may never come must not stay behind.
                _client.ForgetWatcher(ReadyPath, onReady);

                // Retried across connection losses (in the background once disconnected): a participant left behind
                // would be counted by the next group and open its barrier one member early.
                // Waited for while connected, up to a grace, so that a server refusing requests does not hold the return.
                try
                {
                    await _cleaner.DeleteWhileConnectedAsync(OurPath).WaitAsync(CleanupGrace, CancellationToken.None).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    // Goes on in the background.
                }
            }
        }
    }

    /// <summary>Leaves and waits until every participant has left (the ZooKeeper double-barrier recipe).</summary>
    /// <param name="timeout">How long to wait, also for a connection; null for ever.</param>
    /// <param name="cancellationToken">Abandons the wait.</param>
    /// <returns>True when all have left; false if the timeout ran out.</returns>
    public Task<bool> LeaveAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        BarrierActivity.TraceAsync("zksync.double_barrier.leave", Path, () => LeaveCoreAsync(timeout, cancellationToken), cancellationToken);

    private async Task<bool> LeaveCoreAsync(TimeSpan? timeout, CancellationToken cancellationToken)
    {
        using var deadline = Deadline(timeout, cancellationToken);
        var token = deadline.Token;
        var failures = 0;
        var left = false;
        try
        {
            while (true)
            {
                try
                {
                    if (!left && await WaitForOthersToLeaveAsync(token).ConfigureAwait(false))
                    {
                        left = true;
                    }

                    if (left)
                    {
                        await DeleteIfPresentAsync(ReadyPath, token).ConfigureAwait(false);
                        return true;
                    }

                    failures = 0;
                }
                catch (ZooKeeperException ex) when (ex.IsTransient || ex.Code == ZooKeeperErrorCode.SessionExpired)
                {
                    await TransientRetry.WaitAsync(_client, ++failures, token).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>One step of leaving: true when nobody but us is left (and our node is deleted); false to look again.</summary>
    private async Task<bool> WaitForOthersToLeaveAsync(CancellationToken token)
    {
        IReadOnlyList<string> listed;
        try
        {
            listed = await _client.GetChildrenAsync(Path, cancellationToken: token).ConfigureAwait(false);
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
        {
            return true; // The barrier's container is gone with its last participant.
        }

        var children = listed.Where(c => c != ReadyNode).Order(StringComparer.Ordinal).ToList();
        var ourIndex = children.IndexOf(_ourName);
        if (children.Count == 0 || (children.Count == 1 && ourIndex == 0))
        {
            await DeleteIfPresentAsync(OurPath, token).ConfigureAwait(false);
            return true;
        }

        // The lowest waits for the highest; everyone else removes itself and waits for the lowest.
        string watched;
        if (ourIndex == 0)
        {
            watched = children[^1];
        }
        else
        {
            if (ourIndex > 0)
            {
                await DeleteIfPresentAsync(OurPath, token).ConfigureAwait(false);
            }

            watched = children[0];
        }

        // getData rather than exists: a participant that is gone already leaves no watch behind (it never comes back).
        var watchedPath = ZkPath.Combine(Path, watched);
        var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Action<ZooKeeperWatchEvent> onChange = _ => changed.TrySetResult();
        try
        {
            await _client.GetDataAsync(watchedPath, onChange, token).ConfigureAwait(false);
            await changed.Task.WaitAsync(token).ConfigureAwait(false);
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
        {
        }
        finally
        {
            if (!changed.Task.IsCompleted)
            {
                _client.ForgetWatcher(watchedPath, onChange);
            }
        }

        return false;
    }

    /// <summary>Creates our ephemeral node (and the barrier's parents); returns the session that owns it.</summary>
    private async Task<long> CreateOurNodeAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                var created = await _client.CreateAsync(OurPath, ReadOnlyMemory<byte>.Empty, CreateMode.Ephemeral, RecipeAcl.Resolve(_client, null), cancellationToken: cancellationToken).ConfigureAwait(false);
                return created.Stat.EphemeralOwner;
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
            {
                await SequentialNodeQueue.EnsureParentAsync(_client, OurPath, null, cancellationToken).ConfigureAwait(false);
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NodeExists)
            {
                // A create whose reply was lost, or the node of our previous session that the server has not removed yet.
                var stat = await _client.ExistsAsync(OurPath, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (stat is not null && stat.EphemeralOwner == _client.Session.SessionId)
                {
                    return stat.EphemeralOwner;
                }

                if (stat is not null)
                {
                    await DeleteIfPresentAsync(OurPath, cancellationToken, stat.Version).ConfigureAwait(false);
                }
            }
        }
    }

    private async Task DeleteIfPresentAsync(string path, CancellationToken cancellationToken, int version = -1)
    {
        try
        {
            await _client.DeleteAsync(path, version, cancellationToken).ConfigureAwait(false);
        }
        catch (ZooKeeperException ex) when (ex.Code is ZooKeeperErrorCode.NoNode or ZooKeeperErrorCode.BadVersion)
        {
        }
    }

    private static CancellationTokenSource Deadline(TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout is { } value && value != Timeout.InfiniteTimeSpan)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero, nameof(timeout));
            deadline.CancelAfter(value);
        }

        return deadline;
    }
}
