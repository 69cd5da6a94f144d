namespace ZkSync.Leadership;

/// <summary>Options of a <see cref="ZooKeeperLeaderElection"/> (bindable from configuration).</summary>
public sealed class ZooKeeperLeaderElectionOptions
{
    /// <summary>
    /// The znode under which elections live; election <c>jobs/nightly</c> uses <c>/zksync/leaders/jobs/nightly</c>.
    /// Default <c>/zksync/leaders</c>.
    /// </summary>
    public string RootPath { get; set; } = "/zksync/leaders";

    /// <summary>
    /// This participant's id as others see it (<see cref="ZooKeeperLeaderInfo.ParticipantId"/>). Default
    /// <c>&lt;machine name&gt;/&lt;process id&gt;/&lt;8 hex digits&gt;</c>, unique per election object.
    /// </summary>
    public string? ParticipantId { get; set; }

    /// <summary>
    /// What this participant publishes next to its id, e.g. <c>url</c>. <c>host</c> (the machine name) and
    /// <c>startedAt</c> (when the election object was created, ISO 8601 UTC) are added unless set here.
    /// Never put secrets here: every session that can read the election can read it.
    /// </summary>
    public IDictionary<string, string> Metadata { get; } = new Dictionary<string, string>(StringComparer.Ordinal);
}
