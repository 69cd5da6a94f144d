using Microsoft.AspNetCore.Http;
using ZkSync.Client;
using ZkSync.Locks;

namespace ZkSync.AspNetCore;

/// <summary>
/// How endpoints with <see cref="DistributedLockAttribute"/> or <c>RequireDistributedLock</c> take their locks
/// (section <c>ZkSync:Locks</c>).
/// </summary>
/// <remarks>
/// <para>
/// <b>Contention.</b> A request whose lock is held elsewhere waits up to its wait timeout (<see cref="DefaultTimeout"/>
/// unless the attribute or policy says otherwise; zero by default, so contention is answered at once) and is then
/// rejected with <see cref="RejectionStatusCode"/> (409) as <c>application/problem+json</c> with a <c>Retry-After</c>
/// header.
/// </para>
/// <para>
/// <b>ZooKeeper unavailable.</b> The application starts and serves endpoints without locks even when ZooKeeper cannot be
/// reached; the health check reports it (Degraded while connecting or suspended) and the client logs each failed
/// attempt. A request that needs a lock is then rejected with <see cref="UnavailableStatusCode"/> (503) and
/// <c>Retry-After</c>: with a zero wait timeout at once, otherwise after waiting up to its wait timeout for the
/// connection to come back.
/// </para>
/// </remarks>
public sealed class DistributedLockOptions
{
    private static readonly ZooKeeperLockOptions LockDefaults = new();

    /// <summary>The znode under which lock names live: <c>/orders/{id}</c> → <c>{RootPath}/orders/42</c>. Default <c>/zksync/locks</c>.</summary>
    public string RootPath { get; set; } = LockDefaults.RootPath;

    /// <summary>
    /// How long a request waits for a lock held elsewhere when neither its attribute nor its policy says. Default zero:
    /// try once and reject at once (409) under contention. <see cref="Timeout.InfiniteTimeSpan"/> waits until the lock is
    /// free or the client goes away.
    /// </summary>
    public TimeSpan DefaultTimeout { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// The status code of a request rejected because its lock is held elsewhere. Default 409 (Conflict). Set before
    /// <see cref="OnRejected"/> runs, so that it can change it.
    /// </summary>
    public int RejectionStatusCode { get; set; } = StatusCodes.Status409Conflict;

    /// <summary>
    /// The status code of a request rejected because ZooKeeper could not be reached in time. Default 503 (Service
    /// Unavailable). Also answers a request whose lock was lost while it ran, if its response had not started.
    /// </summary>
    public int UnavailableStatusCode { get; set; } = StatusCodes.Status503ServiceUnavailable;

    /// <summary>
    /// The <c>Retry-After</c> sent with rejections, rounded up to whole seconds. Default 1 s; zero sends no header.
    /// </summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The response header carrying the held lock's fencing token (set just before the response starts). Default
    /// <c>X-Fencing-Token</c>; empty sends no header.
    /// </summary>
    public string FencingTokenHeader { get; set; } = "X-Fencing-Token";

    /// <summary>
    /// What a request does that asks for a lock its owner id already holds in this application
    /// (see <see cref="DistributedLockPolicy.OwnerId"/>): share it (default <see cref="LockReentrancy.Reentrant"/>) or be
    /// rejected as under contention (<see cref="LockReentrancy.Error"/>). Requests without an owner id never share.
    /// </summary>
    public LockReentrancy Reentrancy { get; set; } = LockDefaults.Reentrancy;

    /// <summary>
    /// How exclusive holds name their nodes; only matters next to Curator processes on the same paths. Default
    /// <see cref="ExclusiveLockNodeFormat.Mutex"/> (Curator <c>InterProcessMutex</c>).
    /// </summary>
    public ExclusiveLockNodeFormat ExclusiveNodeFormat { get; set; } = LockDefaults.ExclusiveNodeFormat;

    /// <summary>
    /// The ACL of the lock nodes and of the parents ZkSync creates for them: entries with <c>Scheme</c>, <c>Id</c> and
    /// <c>Permissions</c> (e.g. <c>"Read, Create, Delete"</c>). Null (default): with <c>ZkSync:Auth</c> credentials,
    /// changes by that identity only and read for everyone; without credentials, open to everyone. Set it to let several
    /// identities share locks. See <see cref="ZooKeeperLockOptions.Acl"/>.
    /// </summary>
    public IReadOnlyList<ZooKeeperAcl>? Acl { get; set; }

    /// <summary>
    /// Called for a rejected request (not for requests whose client went away) after the status code and
    /// <c>Retry-After</c> are set; it may change them or write its own response. Unless it starts the response, ZkSync
    /// then writes an RFC 9457 problem (through <see cref="IProblemDetailsService"/> when registered). Null by default.
    /// Code only; not bound from configuration.
    /// </summary>
    public Func<DistributedLockRejectedContext, CancellationToken, ValueTask>? OnRejected { get; set; }
}
