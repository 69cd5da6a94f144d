namespace ZkSync.AspNetCore;

/// <summary>Per-service settings of a leader-only service, given to <c>AddLeaderService</c>.</summary>
public sealed class LeaderServiceOptions
{
    /// <summary>This replica's id in the election; default <c>&lt;machine name&gt;/&lt;process id&gt;/&lt;8 hex digits&gt;</c>.</summary>
    public string? ParticipantId { get; set; }

    /// <summary>
    /// What this replica publishes to the other participants (e.g. <c>url</c>); <c>host</c> and <c>startedAt</c> are
    /// added automatically. Readable by every session that can read the election: no secrets.
    /// </summary>
    public IDictionary<string, string> Metadata { get; } = new Dictionary<string, string>(StringComparer.Ordinal);
}
