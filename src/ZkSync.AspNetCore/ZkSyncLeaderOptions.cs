namespace ZkSync.AspNetCore;

/// <summary>Settings shared by the leader-only services (<c>AddLeaderService</c>), bound from <c>ZkSync:Leaders</c>.</summary>
public sealed class ZkSyncLeaderOptions
{
    /// <summary>
    /// The znode under which elections live: election <c>jobs/nightly</c> uses <c>/zksync/leaders/jobs/nightly</c>.
    /// Default <c>/zksync/leaders</c>.
    /// </summary>
    public string RootPath { get; set; } = "/zksync/leaders";

    /// <summary>
    /// How long a leader-only service waits before standing again after its work returned or threw, or after an
    /// election attempt failed. A revoked leadership stands again at once. Default 5 seconds.
    /// </summary>
    public TimeSpan RestartDelay { get; set; } = TimeSpan.FromSeconds(5);
}
