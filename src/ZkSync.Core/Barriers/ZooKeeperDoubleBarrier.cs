using ZkSync.Client;
using ZkSync.Internal.Recipes;

namespace ZkSync.Barriers;

/// <summary>
/// A double barrier: <see cref="EnterAsync"/> blocks until <see cref="MemberCount"/> participants have entered, and
/// <see cref="LeaveAsync"/> blocks until all of them have left. Curator's <c>DistributedDoubleBarrier</c> layout: each
/// participant is an ephemeral <c>{path}/{uuid}</c>, and <c>{path}/ready</c> marks that the group is complete.
/// </summary>
/// <remarks>
/// An instance is one participant; enter and leave once. A participant whose session ends leaves implicitly (its
/// ephemeral node vanishes). Timeouts and cancellation delete this participant's node, so nothing is left behind.
/// </remarks>
public sealed class ZooKeeperDoubleBarrier
{
    private const string ReadyNode = "ready";
    private readonly ZooKeeperClient _client;
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
    /// <param name="timeout">How long to wait; null for ever.</param>
    /// <param name="cancellationToken">Abandons the wait (our node is deleted).</param>
    /// <returns>True when the group is complete; false if the timeout ran out (our node is deleted).</returns>
    public async Task<bool> EnterAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        using var deadline = Deadline(timeout, cancellationToken);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var completed = false;
        try
        {
            var readyExists = await _client.ExistsAsync(ReadyPath, _ => ready.TrySetResult(), cancellationToken).ConfigureAwait(false) is not null;
            await CreateOurNodeAsync(cancellationToken).ConfigureAwait(false);
            while (!readyExists)
            {
                var children = await _client.GetChildrenAsync(Path, cancellationToken: cancellationToken).ConfigureAwait(false);
                var count = children.Count(c => c != ReadyNode);
                if (count >= MemberCount)
                {
                    try
                    {
                        await _client.CreateAsync(ReadyPath, ReadOnlyMemory<byte>.Empty, acl: RecipeAcl.Resolve(_client, null), cancellationToken: cancellationToken).ConfigureAwait(false);
                    }
                    catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NodeExists)
                    {
                    }

                    break;
                }

                await ready.Task.WaitAsync(deadline.Token).ConfigureAwait(false);
                ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                readyExists = await _client.ExistsAsync(ReadyPath, _ => ready.TrySetResult(), cancellationToken).ConfigureAwait(false) is not null;
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
                await DeleteOurNodeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Leaves and waits until every participant has left (the ZooKeeper double-barrier recipe).</summary>
    /// <param name="timeout">How long to wait; null for ever.</param>
    /// <param name="cancellationToken">Abandons the wait.</param>
    /// <returns>True when all have left; false if the timeout ran out.</returns>
    public async Task<bool> LeaveAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        using var deadline = Deadline(timeout, cancellationToken);
        try
        {
            while (true)
            {
                var children = (await _client.GetChildrenAsync(Path, cancellationToken: cancellationToken).ConfigureAwait(false))
                    .Where(c => c != ReadyNode).Order(StringComparer.Ordinal).ToList();
                var ourIndex = children.IndexOf(_ourName);
                if (children.Count == 0 || (children.Count == 1 && ourIndex == 0))
                {
                    await DeleteOurNodeAsync().ConfigureAwait(false);
                    break;
                }

                // The lowest waits for the highest; everyone else removes itself and waits for the lowest.
                var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                string watched;
                if (ourIndex == 0)
                {
                    watched = children[^1];
                }
                else
                {
                    if (ourIndex > 0)
                    {
                        await DeleteOurNodeAsync().ConfigureAwait(false);
                    }

                    watched = children[0];
                }

                if (await _client.ExistsAsync(ZkPath.Combine(Path, watched), _ => changed.TrySetResult(), cancellationToken).ConfigureAwait(false) is not null)
                {
                    await changed.Task.WaitAsync(deadline.Token).ConfigureAwait(false);
                }
            }

            try
            {
                await _client.DeleteAsync(ReadyPath, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (ZooKeeperException ex) when (ex.Code is ZooKeeperErrorCode.NoNode)
            {
            }

            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private async Task CreateOurNodeAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                await _client.CreateAsync(OurPath, ReadOnlyMemory<byte>.Empty, CreateMode.Ephemeral, RecipeAcl.Resolve(_client, null), cancellationToken: cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
            {
                await SequentialNodeQueue.EnsureParentAsync(_client, OurPath, null, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task DeleteOurNodeAsync()
    {
        try
        {
            await _client.DeleteAsync(OurPath).ConfigureAwait(false);
        }
        catch (ZooKeeperException ex) when (ex.Code is ZooKeeperErrorCode.NoNode or ZooKeeperErrorCode.SessionExpired)
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
