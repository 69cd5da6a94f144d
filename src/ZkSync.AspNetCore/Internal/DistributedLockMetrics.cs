using System.Diagnostics;
using System.Diagnostics.Metrics;
using ZkSync.Locks;

namespace ZkSync.AspNetCore.Internal;

/// <summary>
/// The endpoint-lock instruments (<c>zksync.aspnetcore.lock.*</c>) on the <c>ZkSync.AspNetCore</c> meter (one meter
/// scope per assembly, versioned like the assembly). Tags are bounded: the
/// lock template (not the lock name), the mode and the outcome.
/// </summary>
internal sealed class DistributedLockMetrics
{
    public const string TemplateTag = "zksync.lock.template";
    public const string ModeTag = "zksync.lock.mode";
    public const string OutcomeTag = "zksync.lock.outcome";
    public const string ReasonTag = "zksync.lock.rejection_reason";

    private static readonly string? Version = typeof(DistributedLockMetrics).Assembly
        .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), inherit: false)
        .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion;

    private readonly Histogram<double> _waitDuration;
    private readonly Counter<long> _rejections;
    private readonly UpDownCounter<long> _held;

    public DistributedLockMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(ZkSyncDiagnostics.AspNetCoreMeterName, Version);
        _waitDuration = meter.CreateHistogram<double>(
            "zksync.aspnetcore.lock.wait.duration", "s",
            "Time a request spent acquiring its endpoint lock, by outcome (acquired, contended, unavailable, aborted).",
            advice: ZkSyncDiagnostics.WaitBuckets);
        _rejections = meter.CreateCounter<long>(
            "zksync.aspnetcore.lock.rejections", "{request}",
            "Requests rejected because their endpoint lock was held elsewhere (contention) or ZooKeeper was unavailable.");
        _held = meter.CreateUpDownCounter<long>(
            "zksync.aspnetcore.lock.held", "{lock}",
            "Endpoint locks currently held by requests of this instance.");
    }

    public void RecordWait(string template, ZooKeeperLockMode mode, string outcome, long startTimestamp)
    {
        if (_waitDuration.Enabled)
        {
            var tags = new TagList { { TemplateTag, template }, { ModeTag, ModeName(mode) }, { OutcomeTag, outcome } };
            _waitDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, tags);
        }
    }

    public void Rejected(string template, ZooKeeperLockMode mode, DistributedLockRejectionReason reason)
    {
        if (_rejections.Enabled)
        {
            var tags = new TagList
            {
                { TemplateTag, template },
                { ModeTag, ModeName(mode) },
                { ReasonTag, reason == DistributedLockRejectionReason.Contention ? "contention" : "unavailable" },
            };
            _rejections.Add(1, tags);
        }
    }

    public void HeldChanged(string template, ZooKeeperLockMode mode, int delta)
    {
        if (_held.Enabled)
        {
            _held.Add(delta, new TagList { { TemplateTag, template }, { ModeTag, ModeName(mode) } });
        }
    }

    public static string ModeName(ZooKeeperLockMode mode) => mode == ZooKeeperLockMode.Shared ? "shared" : "exclusive";
}
