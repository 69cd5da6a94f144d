using Microsoft.Extensions.Diagnostics.HealthChecks;
using ZkSync.AspNetCore;
using ZkSync.AspNetCore.Internal;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds ZkSync's ZooKeeper health check under a name and tags of your choice.</summary>
public static class ZkSyncHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a check of the shared ZooKeeper session and of the locks this instance holds. <c>AddZkSync</c> already adds it
    /// as <c>zookeeper</c> (tags <c>ready</c>); call this after setting <see cref="ZkSyncHealthCheckOptions.Enabled"/> to
    /// false to register it differently.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name. Default <c>zookeeper</c>.</param>
    /// <param name="failureStatus">The status reported when the session expired, was closed or refused; null for Unhealthy.</param>
    /// <param name="tags">The check's tags; null for <c>ready</c>. Keep it out of liveness checks.</param>
    /// <param name="timeout">The check's timeout; null for none (it only reads in-memory state).</param>
    /// <returns>The builder.</returns>
    /// <remarks>
    /// Healthy while connected; Degraded while connecting or suspended; <paramref name="failureStatus"/> when the session
    /// expired, the client was closed or the credentials were rejected. Its data: <c>state</c>, <c>stateSince</c>,
    /// <c>sessionId</c> (hex), <c>connectedServer</c>, <c>negotiatedTimeoutMs</c>, <c>lastZxid</c> (hex),
    /// <c>heldLockCount</c> and <c>heldLocks</c> (name, path, mode, heldSince, fencingToken, ownerId; at most
    /// <see cref="ZkSyncHealthCheckOptions.MaxListedLocks"/>). Requires <c>AddZkSync</c>.
    /// </remarks>
    public static IHealthChecksBuilder AddZooKeeper(this IHealthChecksBuilder builder, string name = ZkSyncHealthCheckRegistration.DefaultName,
        HealthStatus? failureStatus = null, IEnumerable<string>? tags = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        return builder.Add(ZkSyncHealthCheckRegistration.Create(name, failureStatus, tags, timeout));
    }
}
