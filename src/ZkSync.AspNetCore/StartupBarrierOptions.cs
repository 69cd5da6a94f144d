namespace ZkSync.AspNetCore;

/// <summary>How a startup barrier holds the application back.</summary>
public enum StartupBarrierMode
{
    /// <summary>
    /// Host start waits while the barrier is set (the server does not listen yet); if it is still set when
    /// <see cref="StartupBarrierOptions.Timeout"/> runs out, or ZooKeeper cannot be reached by then, start fails with an
    /// error naming the barrier.
    /// </summary>
    WaitBeforeStart = 0,

    /// <summary>
    /// The application starts at once; the <c>zookeeper</c> health check (readiness) reports Unhealthy while the
    /// barrier is set or its state is unknown, so Kubernetes sends no traffic until it is removed.
    /// </summary>
    ReadinessOnly = 1,
}

/// <summary>Settings of one startup barrier (<c>AddStartupBarrier</c>).</summary>
public sealed class StartupBarrierOptions
{
    /// <summary>How the barrier holds the application back. Default <see cref="StartupBarrierMode.WaitBeforeStart"/>.</summary>
    public StartupBarrierMode Mode { get; set; } = StartupBarrierMode.WaitBeforeStart;

    /// <summary>
    /// <see cref="StartupBarrierMode.WaitBeforeStart"/> only: how long start may wait. Default 5 minutes. Keep it below
    /// the orchestrator's startup limit, so that the error is ours, not a killed container.
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(5);
}
