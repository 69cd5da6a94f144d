namespace ZkSync.AspNetCore;

/// <summary>
/// Credentials ZkSync sends to ZooKeeper (<c>addAuth</c>) on every connection (section <c>ZkSync:Auth</c>). Leave
/// <see cref="User"/> unset for an unauthenticated session.
/// </summary>
/// <remarks>The password is never logged and never shown by the health check.</remarks>
public sealed class ZkSyncAuthOptions
{
    /// <summary>The authentication scheme. Default <c>digest</c>, the only scheme supported from configuration.</summary>
    public string Scheme { get; set; } = "digest";

    /// <summary>The user name (must not contain ':'); null (default) for no authentication.</summary>
    public string? User { get; set; }

    /// <summary>The password; required when <see cref="User"/> is set. Keep it in a secret store, not in appsettings.json.</summary>
    public string? Password { get; set; }
}
