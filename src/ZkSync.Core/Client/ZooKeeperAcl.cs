using System.Security.Cryptography;
using System.Text;

namespace ZkSync.Client;

/// <summary>ZooKeeper permission bits.</summary>
[Flags]
public enum ZooKeeperPermissions
{
    /// <summary>No permission.</summary>
    None = 0,
    /// <summary>Read data and list children.</summary>
    Read = 1,
    /// <summary>Set data.</summary>
    Write = 2,
    /// <summary>Create children.</summary>
    Create = 4,
    /// <summary>Delete children.</summary>
    Delete = 8,
    /// <summary>Set the ACL.</summary>
    Admin = 16,
    /// <summary>All permissions.</summary>
    All = Read | Write | Create | Delete | Admin,
}

/// <summary>One access control entry: permissions granted to an identity (<c>scheme:id</c>).</summary>
/// <param name="Permissions">The granted permissions.</param>
/// <param name="Scheme">The scheme: <c>world</c>, <c>auth</c>, <c>digest</c>, <c>ip</c>, <c>x509</c>, …</param>
/// <param name="Id">The identity within the scheme (for <c>digest</c>: <c>user:base64(sha1(user:password))</c>).</param>
public sealed record ZooKeeperAcl(ZooKeeperPermissions Permissions, string Scheme, string Id)
{
    /// <summary>Everyone may do everything (<c>world:anyone</c>, ZooKeeper's OPEN_ACL_UNSAFE).</summary>
    public static IReadOnlyList<ZooKeeperAcl> OpenUnsafe { get; } = [new(ZooKeeperPermissions.All, "world", "anyone")];

    /// <summary>Everyone may read (<c>world:anyone</c> with READ).</summary>
    public static IReadOnlyList<ZooKeeperAcl> ReadUnsafe { get; } = [new(ZooKeeperPermissions.Read, "world", "anyone")];

    /// <summary>All permissions for the creator's authenticated identities (<c>auth:</c>, ZooKeeper's CREATOR_ALL_ACL).</summary>
    public static IReadOnlyList<ZooKeeperAcl> CreatorAll { get; } = [new(ZooKeeperPermissions.All, "auth", "")];

    /// <summary>
    /// <c>scheme:id:permissions</c>, e.g. <c>world:anyone:Read</c>. The password hash of a <c>digest</c> id is left out
    /// (<c>digest:alice:***:All</c>): it can be attacked offline, so it does not belong in logs or messages.
    /// </summary>
    /// <returns>A description without the digest.</returns>
    public override string ToString()
    {
        var colon = Id.IndexOf(':', StringComparison.Ordinal);
        var id = Scheme == "digest" && colon >= 0 ? Id[..colon] + ":***" : Id;
        return $"{Scheme}:{id}:{Permissions}";
    }

    /// <summary>
    /// The <c>digest</c> identity ZooKeeper derives from a user name and password:
    /// <c>user:</c> followed by Base64(SHA-1(<c>user:password</c>)).
    /// </summary>
    /// <param name="user">The user name.</param>
    /// <param name="password">The password.</param>
    /// <returns>The id to use with the <c>digest</c> scheme.</returns>
    public static string DigestId(string user, string password)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(password);
#pragma warning disable CA5350 // SHA-1 is what ZooKeeper's DigestAuthenticationProvider uses; not our choice.
        var hash = SHA1.HashData(Encoding.UTF8.GetBytes(user + ":" + password));
#pragma warning restore CA5350
        return user + ":" + Convert.ToBase64String(hash);
    }
}
