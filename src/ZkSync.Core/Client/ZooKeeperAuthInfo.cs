using System.Text;

namespace ZkSync.Client;

/// <summary>
/// Credentials sent with ZooKeeper's <c>addAuth</c> when a connection is established (and again after every reconnect).
/// </summary>
/// <remarks>The credential bytes are never included in <see cref="ToString"/>, logs or exceptions.</remarks>
public sealed class ZooKeeperAuthInfo
{
    /// <summary>Creates credentials for <paramref name="scheme"/>.</summary>
    /// <param name="scheme">The scheme, e.g. <c>digest</c>.</param>
    /// <param name="credentials">The scheme-specific credential bytes.</param>
    public ZooKeeperAuthInfo(string scheme, byte[] credentials)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(scheme);
        ArgumentNullException.ThrowIfNull(credentials);
        Scheme = scheme;
        Credentials = credentials;
    }

    /// <summary>The scheme, e.g. <c>digest</c>.</summary>
    public string Scheme { get; }

    /// <summary>The credential bytes (for <c>digest</c>: UTF-8 <c>user:password</c>).</summary>
    public byte[] Credentials { get; }

    /// <summary>Digest credentials for <paramref name="user"/>.</summary>
    /// <param name="user">The user name; must not contain ':'.</param>
    /// <param name="password">The password.</param>
    /// <returns>The credentials.</returns>
    public static ZooKeeperAuthInfo Digest(string user, string password)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        ArgumentNullException.ThrowIfNull(password);
        if (user.Contains(':', StringComparison.Ordinal))
        {
            throw new ArgumentException("A digest user name must not contain ':'.", nameof(user));
        }

        return new ZooKeeperAuthInfo("digest", Encoding.UTF8.GetBytes(user + ":" + password));
    }

    /// <summary>The identity without its secret, for errors: <c>digest:alice</c>, or the scheme alone for other schemes.</summary>
    internal string Identity
    {
        get
        {
            if (Scheme != "digest")
            {
                return Scheme;
            }

            var text = Encoding.UTF8.GetString(Credentials);
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            return colon < 0 ? Scheme : Scheme + ":" + text[..colon];
        }
    }

    /// <summary>The scheme only; credentials are redacted.</summary>
    /// <returns>A description without secrets.</returns>
    public override string ToString() => $"{Scheme}:***";
}
