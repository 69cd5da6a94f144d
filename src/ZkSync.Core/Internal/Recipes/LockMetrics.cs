using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ZkSync.Internal.Recipes;

/// <summary>
/// The instruments of one family of held-node recipes: <c>zksync.lock.*</c>, <c>zksync.leader.*</c> or
/// <c>zksync.semaphore.*</c>. Tags are low-cardinality: mode, outcome, reason — never the lock or election name.
/// </summary>
internal sealed class LockMetrics
{
    /// <summary>The lock family (the default).</summary>
    public const string Locks = "zksync.lock";

    /// <summary>Leader elections: a leadership is a hold of the election's first node.</summary>
    public const string Leaders = "zksync.leader";

    /// <summary>Semaphores: a lease is a hold of a lease node.</summary>
    public const string Semaphores = "zksync.semaphore";

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Meter, ConcurrentDictionary<string, LockMetrics>> PerMeter = [];
    private readonly string _modeTag;
    private readonly string _outcomeTag;
    private readonly string _reasonTag;

    private LockMetrics(Meter meter, string family)
    {
        _modeTag = family + ".mode";
        _outcomeTag = family + ".outcome";
        _reasonTag = family + ".lost.reason";
        AcquireDuration = meter.CreateHistogram<double>(family + ".acquire.duration", "s",
            "Time from an acquire (or elect) call to its outcome, by mode and outcome (acquired, reentered, timeout, canceled, error).",
            advice: ZkSyncDiagnostics.WaitBuckets);
        Held = meter.CreateUpDownCounter<long>(family + ".held", "{hold}", "Holds currently kept through this process (reentrant holds count once).");
        HoldDuration = meter.CreateHistogram<double>(family + ".hold.duration", "s", "Time from acquiring to releasing.", advice: ZkSyncDiagnostics.WaitBuckets);
        Timeouts = meter.CreateCounter<long>(family + ".timeouts", "{timeout}", "Acquire calls that ran out of time.");
        Lost = meter.CreateCounter<long>(family + ".lost", "{hold}", "Holds whose Lost (or Revoked) token fired for a reason other than release, by reason.");
        Evictions = meter.CreateCounter<long>(family + ".evictions", "{hold}", "Holders whose TTL ran out and whose node this process deleted.");
    }

    public Histogram<double> AcquireDuration { get; }

    public UpDownCounter<long> Held { get; }

    public Histogram<double> HoldDuration { get; }

    public Counter<long> Timeouts { get; }

    public Counter<long> Lost { get; }

    public Counter<long> Evictions { get; }

    /// <summary>Instruments on the factory's meter, or on one process-wide meter when there is no factory.</summary>
    /// <param name="meterFactory">The factory, or null.</param>
    /// <param name="family">The instrument name prefix: <see cref="Locks"/>, <see cref="Leaders"/> or <see cref="Semaphores"/>.</param>
    public static LockMetrics Create(IMeterFactory? meterFactory, string family = Locks) =>
        PerMeter.GetValue(ZkSyncDiagnostics.CreateMeter(meterFactory), static _ => new ConcurrentDictionary<string, LockMetrics>(StringComparer.Ordinal))
            .GetOrAdd(family, static (f, meter) => new LockMetrics(meter, f), ZkSyncDiagnostics.CreateMeter(meterFactory));

    /// <summary>The mode tag.</summary>
    public KeyValuePair<string, object?> Mode(string mode) => new(_modeTag, mode);

    /// <summary>The lost-reason tag.</summary>
    public KeyValuePair<string, object?> LostReason(string reason) => new(_reasonTag, reason);

    public void RecordAcquire(string mode, string outcome, long startTimestamp)
    {
        if (AcquireDuration.Enabled)
        {
            AcquireDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, Mode(mode), new KeyValuePair<string, object?>(_outcomeTag, outcome));
        }

        if (outcome == "timeout" && Timeouts.Enabled)
        {
            Timeouts.Add(1, Mode(mode));
        }
    }
}
