namespace ZkSync.AspNetCore;

/// <summary>The health check that <c>AddZkSync</c> registers (section <c>ZkSync:HealthChecks</c>).</summary>
/// <remarks>
/// The check is named <c>zookeeper</c> and tagged <c>ready</c>: map it on a readiness endpoint only, never on liveness
/// (a ZooKeeper outage must not restart every replica). To register it under another name or with other tags, set
/// <see cref="Enabled"/> to false and call <c>services.AddHealthChecks().AddZooKeeper(name, tags: …)</c>.
/// </remarks>
public sealed class ZkSyncHealthCheckOptions
{
    /// <summary>Whether <c>AddZkSync</c> registers the <c>zookeeper</c> check (tags <c>ready</c>). Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// The most held locks listed in the check's data (the oldest first); the count is always reported. Default 20.
    /// </summary>
    public int MaxListedLocks { get; set; } = 20;
}
