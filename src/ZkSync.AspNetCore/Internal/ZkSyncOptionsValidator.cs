using System.Globalization;
using Microsoft.Extensions.Options;
using ZkSync.Client;
using ZkSync.Internal.Recipes;

namespace ZkSync.AspNetCore.Internal;

/// <summary>
/// Validates <see cref="ZkSyncOptions"/> when the host starts (<c>ValidateOnStart</c>). Every failure starts with the
/// configuration key it is about (e.g. <c>ZkSync:ConnectionString</c>), says what was wrong and what is allowed. The
/// client settings are checked by the client's own rules (<see cref="ZooKeeperClientOptions.Validate"/>).
/// </summary>
internal sealed class ZkSyncOptionsValidator(ZkSyncConnectionStringSource? connectionStringSource = null) : IValidateOptions<ZkSyncOptions>
{
    private const string Prefix = ZkSyncOptions.SectionName + ":";

    public ValidateOptionsResult Validate(string? name, ZkSyncOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        ValidateClient(options, connectionStringSource, failures);
        ValidateLocks(options.Locks, failures);
        ValidateLeaders(options.Leaders, failures);
        if (options.HealthChecks is null)
        {
            failures.Add($"{Prefix}HealthChecks must not be null.");
        }
        else if (options.HealthChecks.MaxListedLocks < 0)
        {
            failures.Add(Invariant($"{Prefix}HealthChecks:MaxListedLocks must be zero or positive (was {options.HealthChecks.MaxListedLocks})."));
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateClient(ZkSyncOptions options, ZkSyncConnectionStringSource? source, List<string> failures)
    {
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            var alternative = source is null ? "" : $" (or {source.Key})";
            failures.Add($"{Prefix}ConnectionString is required{alternative}: 'host:port[,host:port…][/chroot]', e.g. 'zk1:2181,zk2:2181,zk3:2181'.");
        }
        else
        {
            // Named after the key the value came from: ConnectionStrings:<name> when that was set.
            var key = source?.GetConnectionString() is null ? Prefix + nameof(ZkSyncOptions.ConnectionString) : source.Key;
            CheckKey(c => c.ConnectionString = options.ConnectionString, key, failures);
        }

        // The client stops at its first failure: check each setting on its own so that every problem is reported.
        Check(c => c.SessionTimeout = options.SessionTimeout, nameof(ZkSyncOptions.SessionTimeout), failures);
        Check(c => c.ConnectTimeout = options.ConnectTimeout, nameof(ZkSyncOptions.ConnectTimeout), failures);
        Check(c => c.RequestTimeout = options.RequestTimeout, nameof(ZkSyncOptions.RequestTimeout), failures);
        Check(c => c.MaxRequestSize = options.MaxRequestSize, nameof(ZkSyncOptions.MaxRequestSize), failures);

        var auth = options.Auth;
        if (auth is null || (auth.User is null && auth.Password is null))
        {
            return;
        }

        if (!string.Equals(auth.Scheme, "digest", StringComparison.Ordinal))
        {
            failures.Add($"{Prefix}Auth:Scheme '{auth.Scheme}' is not supported; only 'digest' (user and password) can be configured.");
        }

        if (string.IsNullOrEmpty(auth.User))
        {
            failures.Add($"{Prefix}Auth:User is required when {Prefix}Auth:Password is set.");
        }
        else if (auth.User.Contains(':', StringComparison.Ordinal))
        {
            failures.Add($"{Prefix}Auth:User must not contain ':' (digest credentials are 'user:password').");
        }

        if (auth.Password is null)
        {
            failures.Add($"{Prefix}Auth:Password is required when {Prefix}Auth:User is set.");
        }
    }

    private static void Check(Action<ZooKeeperClientOptions> set, string setting, List<string> failures) =>
        CheckKey(set, Prefix + setting, failures);

    private static void CheckKey(Action<ZooKeeperClientOptions> set, string key, List<string> failures)
    {
        var client = new ZooKeeperClientOptions { ConnectionString = "localhost:2181" };
        set(client);
        try
        {
            client.Validate();
        }
        catch (ArgumentException ex)
        {
            failures.Add($"{key} is invalid: {StripParameter(ex)}");
        }
    }

    private static void ValidateLeaders(ZkSyncLeaderOptions? leaders, List<string> failures)
    {
        const string LeadersPrefix = Prefix + "Leaders:";
        if (leaders is null)
        {
            failures.Add($"{LeadersPrefix[..^1]} must not be null.");
            return;
        }

        CheckRootPath(leaders.RootPath, LeadersPrefix + "RootPath", "/zksync/leaders", failures);
        if (leaders.RestartDelay < TimeSpan.Zero)
        {
            failures.Add(Invariant($"{LeadersPrefix}RestartDelay must be zero or positive (was {leaders.RestartDelay})."));
        }
    }

    private static void CheckRootPath(string? rootPath, string key, string example, List<string> failures)
    {
        if (string.IsNullOrEmpty(rootPath))
        {
            failures.Add($"{key} is required, e.g. '{example}'.");
        }
        else if (ZkPath.GetError(rootPath) is { } pathError)
        {
            failures.Add($"{key} '{rootPath}' is not a valid ZooKeeper path: {pathError}");
        }
        else if (rootPath == "/zookeeper" || rootPath.StartsWith("/zookeeper/", StringComparison.Ordinal))
        {
            failures.Add($"{key} '{rootPath}' is inside /zookeeper, ZooKeeper's reserved subtree.");
        }
    }

    private static void ValidateLocks(DistributedLockOptions? locks, List<string> failures)
    {
        const string LocksPrefix = Prefix + "Locks:";
        if (locks is null)
        {
            failures.Add($"{LocksPrefix[..^1]} must not be null.");
            return;
        }

        CheckRootPath(locks.RootPath, LocksPrefix + "RootPath", "/zksync/locks", failures);

        if (locks.DefaultTimeout < TimeSpan.Zero && locks.DefaultTimeout != Timeout.InfiniteTimeSpan)
        {
            failures.Add(Invariant($"{LocksPrefix}DefaultTimeout must be zero or positive, or -00:00:00.001 for infinite (was {locks.DefaultTimeout})."));
        }

        CheckStatus(locks.RejectionStatusCode, LocksPrefix + "RejectionStatusCode", failures);
        CheckStatus(locks.UnavailableStatusCode, LocksPrefix + "UnavailableStatusCode", failures);
        if (locks.RetryAfter < TimeSpan.Zero)
        {
            failures.Add(Invariant($"{LocksPrefix}RetryAfter must be zero (no header) or positive (was {locks.RetryAfter})."));
        }

        if (!string.IsNullOrEmpty(locks.FencingTokenHeader) && !IsToken(locks.FencingTokenHeader))
        {
            failures.Add($"{LocksPrefix}FencingTokenHeader '{locks.FencingTokenHeader}' is not a valid HTTP header name; use letters, digits and '-' (or empty for no header).");
        }

        if (!Enum.IsDefined(locks.Reentrancy))
        {
            failures.Add($"{LocksPrefix}Reentrancy '{locks.Reentrancy}' is unknown; use Reentrant or Error.");
        }

        if (!Enum.IsDefined(locks.ExclusiveNodeFormat))
        {
            failures.Add($"{LocksPrefix}ExclusiveNodeFormat '{locks.ExclusiveNodeFormat}' is unknown; use Mutex or WriteLock.");
        }

        try
        {
            RecipeAcl.Validate(locks.Acl, LocksPrefix + "Acl");
        }
        catch (ArgumentException ex)
        {
            failures.Add(StripParameter(ex));
        }
    }

    private static void CheckStatus(int status, string key, List<string> failures)
    {
        if (status is < 400 or > 599)
        {
            failures.Add(Invariant($"{key} must be an HTTP error status code, 400–599 (was {status})."));
        }
    }

    // RFC 9110 token characters.
    private static bool IsToken(string value) =>
        value.All(c => c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal));

    private static string StripParameter(ArgumentException ex)
    {
        var message = ex.Message;
        var suffix = $" (Parameter '{ex.ParamName}')";
        return message.EndsWith(suffix, StringComparison.Ordinal) ? message[..^suffix.Length] : message;
    }

    private static string Invariant(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
