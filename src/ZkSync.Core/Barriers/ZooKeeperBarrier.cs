using ZkSync.Client;
using ZkSync.Internal.Recipes;

namespace ZkSync.Barriers;

/// <summary>
/// A barrier: while its znode exists, <see cref="WaitAsync"/> blocks. Anyone may set or remove it. The node is
/// persistent, not tied to the setter's session (a deploy job can set it and exit). Same layout as Curator's
/// <c>DistributedBarrier</c> and kazoo's <c>Barrier</c>: one node at the path.
/// </summary>
/// <remarks>
/// Waiting survives connection loss and session expiry: the wait re-checks the node once the client is connected again.
/// Setting is racy by nature (two setters: one gets false).
/// </remarks>
public sealed class ZooKeeperBarrier
{
    private readonly ZooKeeperClient _client;

    /// <summary>Creates a barrier at <paramref name="path"/>.</summary>
    /// <param name="client">The client.</param>
    /// <param name="path">The barrier's znode, e.g. <c>/deploy/migrations</c>.</param>
    public ZooKeeperBarrier(ZooKeeperClient client, string path)
    {
        ArgumentNullException.ThrowIfNull(client);
        ZkPath.Validate(path);
        if (path == "/")
        {
            throw new ArgumentException("The root node cannot be a barrier.", nameof(path));
        }

        _client = client;
        Path = path;
    }

    /// <summary>The barrier's znode.</summary>
    public string Path { get; }

    /// <summary>Sets the barrier (creates its node and any missing parents).</summary>
    /// <param name="cancellationToken">Abandons the wait.</param>
    /// <returns>True if this call set it; false if it was already set.</returns>
    public Task<bool> SetAsync(CancellationToken cancellationToken = default) => SetAsync(ReadOnlyMemory<byte>.Empty, cancellationToken);

    /// <summary>
    /// Sets the barrier with <paramref name="data"/> in its node, for operators: who set it and why (e.g. <c>job-42</c>);
    /// anyone allowed to read the node can read it, so never a secret.
    /// </summary>
    /// <param name="data">The node's data (UTF-8 text by convention).</param>
    /// <param name="cancellationToken">Abandons the wait.</param>
    /// <returns>True if this call set it (with this data); false if it was already set (its data unchanged).</returns>
    public async Task<bool> SetAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            try
            {
                await _client.CreateAsync(Path, data, CreateMode.Persistent, RecipeAcl.Resolve(_client, null), cancellationToken: cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NodeExists)
            {
                return false;
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoAuth)
            {
                throw RecipeAcl.NotAllowed(_client, ZkPath.GetParent(Path) ?? "/", ex);
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
            {
                await SequentialNodeQueue.EnsureParentAsync(_client, Path, null, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Removes the barrier.</summary>
    /// <param name="cancellationToken">Abandons the wait.</param>
    /// <returns>True if this call removed it; false if it was not set.</returns>
    public async Task<bool> RemoveAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await _client.DeleteAsync(Path, cancellationToken: cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
        {
            return false;
        }
    }

    /// <summary>
    /// Whether the barrier is set now: the answer reflects every set and removal ZooKeeper acknowledged before the call,
    /// also those of other sessions (the member this client talks to syncs with the leader first).
    /// </summary>
    /// <param name="cancellationToken">Abandons the wait.</param>
    /// <returns>True when set.</returns>
    public async Task<bool> IsSetAsync(CancellationToken cancellationToken = default) =>
        await _client.AfterSyncAsync(Path, () => _client.ExistsAsync(Path, cancellationToken: cancellationToken), cancellationToken).ConfigureAwait(false) is not null;

    /// <summary>
    /// Waits while the barrier is set. The first look reflects every set and removal ZooKeeper acknowledged before the
    /// call, also those of other sessions (the member this client talks to syncs with the leader first).
    /// </summary>
    /// <param name="timeout">How long to wait; null or <see cref="Timeout.InfiniteTimeSpan"/> for ever.</param>
    /// <param name="cancellationToken">Abandons the wait.</param>
    /// <returns>True once the barrier is not set; false if <paramref name="timeout"/> ran out first.</returns>
    public Task<bool> WaitAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        BarrierActivity.TraceAsync("zksync.barrier.wait", Path, () => WaitCoreAsync(timeout, cancellationToken), cancellationToken);

    private async Task<bool> WaitCoreAsync(TimeSpan? timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout is { } value && value != Timeout.InfiniteTimeSpan)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero, nameof(timeout));
            if (value > TimeSpan.Zero)
            {
                deadline.CancelAfter(value);
            }
        }

        var checkOnce = timeout == TimeSpan.Zero;

        // The check itself is not cut short by a zero timeout: it means "check once".
        var requestToken = checkOnce ? cancellationToken : deadline.Token;
        var failures = 0;
        var synced = false;
        try
        {
            while (true)
            {
                var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Action<ZooKeeperWatchEvent> onChange = _ => changed.TrySetResult();
                try
                {
                    await _client.WaitForConnectedAsync(deadline.Token).ConfigureAwait(false);

                    // getData, not exists: a barrier that is clear may never be set again, and must not keep a watch.
                    // Until a look has been answered, a sync goes first: this client's member may not have applied a
                    // set another session made through the leader. Later looks follow this member's own events.
                    if (synced)
                    {
                        await _client.GetDataAsync(Path, onChange, requestToken).ConfigureAwait(false);
                    }
                    else
                    {
                        await _client.AfterSyncAsync(Path, () => _client.GetDataAsync(Path, onChange, requestToken), requestToken).ConfigureAwait(false);
                        synced = true;
                    }

                    failures = 0;
                }
                catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
                {
                    return true;
                }
                catch (ZooKeeperException ex) when (ex.IsTransient || ex.Code == ZooKeeperErrorCode.SessionExpired)
                {
                    // Re-check once connected again; back off while requests fail on a live connection (Throttled).
                    await TransientRetry.WaitAsync(_client, ++failures, deadline.Token).ConfigureAwait(false);
                    continue;
                }

                try
                {
                    if (checkOnce)
                    {
                        return false;
                    }

                    // A watch event (or its end with the session) means: look again.
                    await changed.Task.WaitAsync(deadline.Token).ConfigureAwait(false);
                }
                finally
                {
                    if (!changed.Task.IsCompleted)
                    {
                        _client.ForgetWatcher(Path, onChange); // an abandoned wait on a long-set barrier
                    }
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
