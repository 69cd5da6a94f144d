using ZkSync.Client;

namespace ZkSync.AspNetCore;

/// <summary>
/// Settings of ZkSync in an ASP.NET Core application, bound from the <c>ZkSync</c> configuration section by
/// <c>AddZkSync(IConfiguration)</c> and validated when the host starts.
/// </summary>
/// <remarks>
/// <c>appsettings.schema.json</c> (shipped in the package as a JSON schema segment) describes the same keys with their
/// defaults, so editors complete them in <c>appsettings*.json</c>.
/// </remarks>
public sealed class ZkSyncOptions
{
    /// <summary>The configuration section bound by <c>AddZkSync(IConfiguration)</c>: <c>ZkSync</c>.</summary>
    public const string SectionName = "ZkSync";

    private static readonly ZooKeeperClientOptions ClientDefaults = new();

    /// <summary>
    /// Required. The ensemble: <c>host:port[,host:port…][/chroot]</c>, e.g. <c>zk1:2181,zk2:2181,zk3:2181/apps/orders</c>.
    /// A missing port means 2181. <c>ConnectionStrings:ZooKeeper</c> (or the name passed to <c>AddZkSync</c>) takes
    /// precedence when it is set.
    /// </summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>
    /// The session timeout to request; the server clamps it to [2, 20] × its tickTime. Default 20 s. It bounds how long the
    /// locks of a crashed replica stay held.
    /// </summary>
    public TimeSpan SessionTimeout { get; set; } = ClientDefaults.SessionTimeout;

    /// <summary>The time allowed for one connection attempt to one server. Default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = ClientDefaults.ConnectTimeout;

    /// <summary>
    /// The time a ZooKeeper request may wait for its reply, including time queued while reconnecting. Default 30 s.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = ClientDefaults.RequestTimeout;

    /// <summary>
    /// The largest ZooKeeper request sent, in bytes (path, data, ACL and header, as the server counts them against its
    /// <c>jute.maxbuffer</c>). A larger one fails on its own, naming the path, size and limit, instead of making the server
    /// close the connection and so lose every lock of the application. Default 1 MiB − 1 KiB (1,047,552); raise it only
    /// together with the servers' <c>jute.maxbuffer</c>.
    /// </summary>
    public int MaxRequestSize { get; set; } = ClientDefaults.MaxRequestSize;

    /// <summary>Credentials sent on every connection; none by default.</summary>
    public ZkSyncAuthOptions Auth { get; set; } = new();

    /// <summary>Distributed locks on endpoints (<c>[DistributedLock]</c>, <c>RequireDistributedLock</c>).</summary>
    public DistributedLockOptions Locks { get; set; } = new();

    /// <summary>The <c>zookeeper</c> health check registered by <c>AddZkSync</c>.</summary>
    public ZkSyncHealthCheckOptions HealthChecks { get; set; } = new();

    /// <summary>Leader-only services (<c>AddLeaderService</c>): the election root and the restart delay.</summary>
    public ZkSyncLeaderOptions Leaders { get; set; } = new();
}
