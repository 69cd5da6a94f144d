using ZkSync.Client;

namespace ZkSync.Internal.Recipes;

/// <summary>
/// The ACL of every node a recipe creates (lock, latch, lease, barrier nodes and their parents), and the error when the
/// server refuses one.
/// </summary>
/// <remarks>
/// <para>
/// <b>Default.</b> An authenticated session (digest credentials configured) creates nodes that only its identity may
/// change or delete (<c>auth</c> scheme: write, create, delete and admin for the creator), readable by everyone
/// (<c>world:anyone</c> read), so that health views, operators and peers can still list a queue and read who holds it.
/// Replicas sharing the credentials share the identity, so they can all contend. An unauthenticated session has no
/// identity to restrict to: its nodes are open (<c>world:anyone</c> all), as with Curator's default ACL provider.
/// An explicitly configured ACL always wins.
/// </para>
/// <para>
/// A refused create is reported as NoAuth naming the path and the identity in use (never the secret); nothing falls
/// back to world-writable nodes.
/// </para>
/// </remarks>
internal static class RecipeAcl
{
    /// <summary>Creator-only for changes, readable by all.</summary>
    public static readonly IReadOnlyList<ZooKeeperAcl> CreatorAllWorldRead =
        [new(ZooKeeperPermissions.All, "auth", ""), new(ZooKeeperPermissions.Read, "world", "anyone")];

    /// <summary>Checks a configured ACL and copies it; null stays null (the default).</summary>
    /// <param name="acl">The configured ACL.</param>
    /// <param name="optionName">The option's name for the error, e.g. <c>Acl</c> or <c>ZkSync:Locks:Acl</c>.</param>
    /// <returns>A copy of <paramref name="acl"/>, or null.</returns>
    /// <exception cref="ArgumentException">The list is empty, or an entry lacks a scheme, an id or permissions.</exception>
    public static IReadOnlyList<ZooKeeperAcl>? Validate(IReadOnlyList<ZooKeeperAcl>? acl, string optionName)
    {
        if (acl is null)
        {
            return null;
        }

        if (acl.Count == 0)
        {
            throw new ArgumentException($"{optionName} must not be empty; leave it out (null) for the default.", optionName);
        }

        for (var i = 0; i < acl.Count; i++)
        {
            if (acl[i] is not { } entry || string.IsNullOrWhiteSpace(entry.Scheme) || entry.Id is null
                || entry.Permissions == ZooKeeperPermissions.None || (entry.Permissions & ~ZooKeeperPermissions.All) != 0)
            {
                throw new ArgumentException(
                    $"{optionName}[{i}] is invalid: every entry needs a Scheme (world, auth, digest, ip, x509), an Id ('anyone' for world, '' for auth, "
                    + "'user:Base64(SHA-1(user:password))' for digest, an address or CIDR for ip) and Permissions from Read, Write, Create, Delete, Admin or All.",
                    optionName);
            }
        }

        return [.. acl];
    }

    /// <summary>The ACL for a recipe's creates: the configured one, else the default described above (null means open).</summary>
    /// <param name="client">The client whose identity decides the default.</param>
    /// <param name="configured">The ACL configured for the recipe, or null.</param>
    /// <returns>The ACL to send.</returns>
    public static IReadOnlyList<ZooKeeperAcl>? Resolve(ZooKeeperClient client, IReadOnlyList<ZooKeeperAcl>? configured) =>
        configured ?? (client.IsAuthenticated ? CreatorAllWorldRead : null);

    /// <summary>The NoAuth error for a refused create under <paramref name="parentPath"/>.</summary>
    /// <param name="client">The client (its identity is named, never its credentials).</param>
    /// <param name="parentPath">The node under which the create was refused.</param>
    /// <param name="cause">The server's NoAuth.</param>
    /// <returns>The error to throw.</returns>
    public static ZooKeeperException NotAllowed(ZooKeeperClient client, string parentPath, ZooKeeperException cause) =>
        new(ZooKeeperErrorCode.NoAuth, parentPath,
            $"Not allowed to create nodes under '{parentPath}' as {client.Identity}: its ACL was set by another identity and does not grant " +
            "this session CREATE. Use the credentials of the services that share it (ZkSync:Auth), another root path, or an ACL " +
            "that grants this identity; ZkSync does not fall back to world-writable nodes.", cause);
}
