using ZkSync.Client;

namespace ZkSync.Internal.Recipes;

/// <summary>
/// The machinery shared by ZooKeeper queue recipes (locks, read-write locks, leader latches, semaphores): create a
/// protected ephemeral-sequential node, find it again after a lost create reply, wait until a rule says it is our
/// turn while watching only one other node, and delete our node reliably when giving up or releasing.
/// </summary>
internal static class SequentialNodeQueue
{
    /// <summary>Decides from the sorted children whether we hold, or which child to watch.</summary>
    public delegate (bool Holds, string? Watch) TurnRule(IReadOnlyList<string> sortedChildren, int ourIndex);

    public readonly record struct OwnNode(string Path, string Name, ZooKeeperStat Stat);

    /// <summary>
    /// Creates <c>{parent}/_c_{guid}-{token}{seq}</c> (ephemeral sequential; parents as containers) and lists the parent
    /// in the same round trip. After a ConnectionLoss the node is looked up by its guid (Curator's protected mode); a
    /// node found from an earlier session is deleted, never adopted (CURATOR-498).
    /// </summary>
    public static async Task<(OwnNode Node, IReadOnlyList<string> Children)> CreateAsync(ZooKeeperClient client, string parent,
        Guid id, string token, ReadOnlyMemory<byte> data, IReadOnlyList<ZooKeeperAcl>? acl, CancellationToken cancellationToken)
    {
        var protectedId = LockNodeNames.ProtectedId(id);
        var prefix = ZkPath.Combine(parent, protectedId + token);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var create = client.CreateAsync(prefix, data, CreateMode.EphemeralSequential, acl, cancellationToken: cancellationToken);
            var list = client.GetChildrenAsync(parent, cancellationToken: cancellationToken); // pipelined: answered after the create
            try
            {
                var created = await create.ConfigureAwait(false);
                var children = await list.ConfigureAwait(false);
                return (new OwnNode(created.Path, ZkPath.GetName(created.Path), created.Stat), children);
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
            {
                _ = list.Exception;
                await EnsureContainersAsync(client, parent, acl, cancellationToken).ConfigureAwait(false);
            }
            catch (ZooKeeperException ex) when (ex.IsTransient)
            {
                _ = list.Exception;
                var found = await FindAsync(client, parent, protectedId, cancellationToken).ConfigureAwait(false);
                if (found is { } node)
                {
                    if (node.Stat.EphemeralOwner == client.Session.SessionId)
                    {
                        var children = await client.GetChildrenAsync(parent, cancellationToken: cancellationToken).ConfigureAwait(false);
                        return (node, children);
                    }

                    await DeleteAsync(client, node.Path, node.Stat.EphemeralOwner, CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
    }

    private static async Task<OwnNode?> FindAsync(ZooKeeperClient client, string parent, string protectedId, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                await client.WaitForConnectedAsync(cancellationToken).ConfigureAwait(false);
                var children = await client.GetChildrenAsync(parent, cancellationToken: cancellationToken).ConfigureAwait(false);
                var name = children.FirstOrDefault(c => c.StartsWith(protectedId, StringComparison.Ordinal));
                if (name is null)
                {
                    return null;
                }

                var path = ZkPath.Combine(parent, name);
                var stat = await client.ExistsAsync(path, cancellationToken: cancellationToken).ConfigureAwait(false);
                return stat is null ? null : new OwnNode(path, name, stat);
            }
            catch (ZooKeeperException ex) when (ex.IsTransient)
            {
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
            {
                return null;
            }
        }
    }

    /// <summary>Creates <paramref name="path"/> and its missing ancestors as container nodes.</summary>
    public static async Task EnsureContainersAsync(ZooKeeperClient client, string path, IReadOnlyList<ZooKeeperAcl>? acl, CancellationToken cancellationToken)
    {
        for (var index = path.IndexOf('/', 1); ; index = path.IndexOf('/', index + 1))
        {
            var prefix = index < 0 ? path : path[..index];
            try
            {
                await client.CreateAsync(prefix, ReadOnlyMemory<byte>.Empty, CreateMode.Container, acl, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NodeExists)
            {
            }

            if (index < 0)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Waits until <paramref name="rule"/> says we hold. Returns false when our node is gone (session expired or
    /// deleted): the caller starts over with a new node. Cancellation (including a timeout) throws.
    /// </summary>
    public static async Task<bool> WaitForTurnAsync(ZooKeeperClient client, string parent, OwnNode node, IReadOnlyList<string>? children,
        TurnRule rule, string[] tokens, CancellationToken cancellationToken)
    {
        while (true)
        {
            children ??= await client.GetChildrenAsync(parent, cancellationToken: cancellationToken).ConfigureAwait(false);
            var sorted = LockNodeNames.Sort(children, tokens);
            children = null;
            var ourIndex = sorted.IndexOf(node.Name);
            if (ourIndex < 0)
            {
                return false;
            }

            var (holds, watch) = rule(sorted, ourIndex);
            if (holds)
            {
                return true;
            }

            var changed = new TaskCompletionSource<ZooKeeperWatchEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
            var stat = await client.ExistsAsync(ZkPath.Combine(parent, watch!), e => changed.TrySetResult(e), cancellationToken).ConfigureAwait(false);
            if (stat is null)
            {
                continue;
            }

            var watchEvent = await changed.Task.WaitAsync(cancellationToken).ConfigureAwait(false);

            // Exclusive fast path: our predecessor was the head and it is gone, and sequence numbers only grow, so we
            // are the head now without listing again.
            if (watchEvent.Type == ZooKeeperEventType.NodeDeleted && ourIndex == 1 && watch == sorted[0] && rule(sorted.Skip(1).ToList(), 0).Holds)
            {
                var own = await client.ExistsAsync(node.Path, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (own is not null)
                {
                    return true;
                }
            }
        }
    }

    /// <summary>
    /// Deletes our node; retried through connection loss for as long as the creating session lives (after that the
    /// server has removed it). Never throws.
    /// </summary>
    public static async Task DeleteAsync(ZooKeeperClient client, string path, long creatingSession, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await client.DeleteAsync(path, cancellationToken: cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (ZooKeeperException ex) when (ex.IsTransient)
            {
                try
                {
                    await client.WaitForConnectedAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception wait) when (wait is OperationCanceledException or ZooKeeperException or ObjectDisposedException)
                {
                    return;
                }

                if (client.Session.SessionId != creatingSession)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is ZooKeeperException or ObjectDisposedException or OperationCanceledException)
            {
                return; // NoNode (already gone), SessionExpired (gone with the session), closed client.
            }
        }
    }
}
