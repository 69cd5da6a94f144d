using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ZkSync.Internal.Recipes;

/// <summary>The lock instruments (<c>zksync.lock.*</c>). Tags are low-cardinality: mode, outcome, reason — never the lock name.</summary>
internal sealed class LockMetrics
{
    private static readonly Lazy<LockMetrics> Shared = new(() => new LockMetrics(new Meter(ZkSyncDiagnostics.SourceName, ZkSyncDiagnostics.Version)));

    private LockMetrics(Meter meter)
    {
        AcquireDuration = meter.CreateHistogram<double>("zksync.lock.acquire.duration", "s",
            "Time from an acquire call to its outcome, by mode and outcome (acquired, reentered, timeout, canceled, error).");
        Held = meter.CreateUpDownCounter<long>("zksync.lock.held", "{lock}", "Locks currently held through this process (reentrant holds count once).");
        HoldDuration = meter.CreateHistogram<double>("zksync.lock.hold.duration", "s", "Time from acquiring a lock to releasing it.");
        Timeouts = meter.CreateCounter<long>("zksync.lock.timeouts", "{timeout}", "Acquire calls that ran out of time.");
        Lost = meter.CreateCounter<long>("zksync.lock.lost", "{lock}", "Held locks whose Lost token fired for a reason other than release, by reason.");
        Evictions = meter.CreateCounter<long>("zksync.lock.evictions", "{lock}", "Holders whose TTL ran out and whose node this process deleted.");
    }

    public Histogram<double> AcquireDuration { get; }

    public UpDownCounter<long> Held { get; }

    public Histogram<double> HoldDuration { get; }

    public Counter<long> Timeouts { get; }

    public Counter<long> Lost { get; }

    public Counter<long> Evictions { get; }

    /// <summary>Instruments on the factory's meter, or on one process-wide meter when there is no factory.</summary>
    public static LockMetrics Create(IMeterFactory? meterFactory) =>
        meterFactory is null ? Shared.Value : new LockMetrics(meterFactory.Create(ZkSyncDiagnostics.SourceName, ZkSyncDiagnostics.Version));

    public void RecordAcquire(string mode, string outcome, long startTimestamp)
    {
        if (AcquireDuration.Enabled)
        {
            AcquireDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds,
                new KeyValuePair<string, object?>("zksync.lock.mode", mode), new KeyValuePair<string, object?>("zksync.lock.outcome", outcome));
        }

        if (outcome == "timeout" && Timeouts.Enabled)
        {
            Timeouts.Add(1, new KeyValuePair<string, object?>("zksync.lock.mode", mode));
        }
    }
}
