namespace ZkSync.Leadership;

/// <summary>Where a participant stands in its election.</summary>
public enum ZooKeeperLeaderStatus
{
    /// <summary>Not standing: never stood, resigned, revoked, or gave up.</summary>
    Idle = 0,

    /// <summary>Standing and waiting for the participants ahead of it to go.</summary>
    Candidate = 1,

    /// <summary>Leading, and the leadership has not been revoked.</summary>
    Leader = 2,
}
