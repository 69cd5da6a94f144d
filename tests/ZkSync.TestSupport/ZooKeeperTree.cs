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
            async (child, ct) => await DeleteAsync(client, ZkPath.Combine(path, child), ct).ConfigureAwait(false)).ConfigureAwait(false);
        try
        {
            await client.DeleteAsync(path, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (ZooKeeperException e) when (e.Code == ZooKeeperErrorCode.NoNode)
        {
        }
    }
}
