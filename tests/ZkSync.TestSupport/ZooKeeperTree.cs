using ZkSync.Client;

namespace ZkSync.TestSupport;

/// <summary>Clean-up of whole subtrees left by tests and benchmarks.</summary>
public static class ZooKeeperTree
{
    /// <summary>
    /// Deletes <paramref name="path"/> and everything under it, children first, up to 64 siblings at a time; nothing if it
    /// is absent. A node that disappears meanwhile (a container the reaper removed) is not an error.
    /// </summary>
    public static async Task DeleteAsync(ZooKeeperClient client, string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);

        // Other sessions created most of the tree, perhaps through other members: sync first, so that this client's
        // member lists every child they created (a child it missed would make the parent's delete fail with NotEmpty).
        await client.SyncAsync(path, cancellationToken).ConfigureAwait(false);
        await DeleteTreeAsync(client, path, cancellationToken).ConfigureAwait(false);
    }

    private static async Task DeleteTreeAsync(ZooKeeperClient client, string path, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> children;
        try
        {
            children = await client.GetChildrenAsync(path, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (ZooKeeperException e) when (e.Code == ZooKeeperErrorCode.NoNode)
        {
            return;
        }

        await Parallel.ForEachAsync(children, new ParallelOptions { MaxDegreeOfParallelism = 64, CancellationToken = cancellationToken },
            async (child, ct) => await DeleteTreeAsync(client, ZkPath.Combine(path, child), ct).ConfigureAwait(false)).ConfigureAwait(false);
        try
        {
            await client.DeleteAsync(path, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (ZooKeeperException e) when (e.Code == ZooKeeperErrorCode.NoNode)
        {
        }
    }
}
