using ZkSync.Client;

namespace ZkSync.Barriers;

/// <summary>Creating the parents of recipe nodes.</summary>
internal static class RecipePaths
{
    /// <summary>Creates every missing ancestor of <paramref name="path"/> as a container node (removed once empty).</summary>
    public static async Task EnsureParentsAsync(ZooKeeperClient client, string path, CancellationToken cancellationToken,
        CreateMode mode = CreateMode.Container, IReadOnlyList<ZooKeeperAcl>? acl = null)
    {
        var parent = ZkPath.GetParent(path);
        if (parent is null or "/")
        {
            return;
        }

        // Top-down: each create either succeeds or finds the node already there.
        for (var index = parent.IndexOf('/', 1); ; index = parent.IndexOf('/', index + 1))
        {
            var prefix = index < 0 ? parent : parent[..index];
            try
            {
                await client.CreateAsync(prefix, ReadOnlyMemory<byte>.Empty, mode, acl, cancellationToken: cancellationToken).ConfigureAwait(false);
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
}
