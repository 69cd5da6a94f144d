using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace ZkSync;

/// <summary>
/// Names of ZkSync's tracing and metrics sources. With OpenTelemetry, the <c>ZkSync.OpenTelemetry</c> package's
/// <c>AddZkSyncInstrumentation()</c> adds them all; <c>docs/observability.md</c> lists every span and instrument.
/// </summary>
public static class ZkSyncDiagnostics
{
    /// <summary>The name of ZkSync's <see cref="System.Diagnostics.ActivitySource"/>: <c>ZkSync</c>.</summary>
    public const string SourceName = "ZkSync";

    /// <summary>The name of the <see cref="Meter"/> of <c>ZkSync.Core</c> (client and recipes): <c>ZkSync</c>.</summary>
    public const string MeterName = "ZkSync";

    /// <summary>The name of the <see cref="Meter"/> of <c>ZkSync.AspNetCore</c> (endpoint locks): <c>ZkSync.AspNetCore</c>.</summary>
    public const string AspNetCoreMeterName = "ZkSync.AspNetCore";

    internal static readonly string? Version = typeof(ZkSyncDiagnostics).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;

    internal static readonly ActivitySource ActivitySource = new(SourceName, Version);

    /// <summary>Seconds, for single requests: 0.5 ms to 10 s.</summary>
    internal static readonly InstrumentAdvice<double> OperationBuckets = new()
    {
        HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    };

    /// <summary>Seconds, for waits and holds: 1 ms to an hour.</summary>
    internal static readonly InstrumentAdvice<double> WaitBuckets = new()
    {
        HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
    };

    /// <summary>The process-wide meter of ZkSync.Core, used when no <see cref="IMeterFactory"/> is given.</summary>
    private static readonly Meter SharedMeter = new(MeterName, Version);

    /// <summary>ZkSync.Core's one meter scope: the factory's <c>ZkSync</c> meter, or the process-wide one.</summary>
    internal static Meter CreateMeter(IMeterFactory? meterFactory) => meterFactory?.Create(MeterName, Version) ?? SharedMeter;
}

/// <summary>
/// The client's instruments: OpenTelemetry's database client conventions (<c>db.client.operation.duration</c>) and
/// ZkSync's own <c>zksync.client.*</c>. One set per meter (the factory's, or the process-wide <c>ZkSync</c> meter),
/// shared by every client on it.
/// </summary>
internal sealed class ZkClientMetrics
{
    private static readonly ConditionalWeakTable<Meter, ZkClientMetrics> PerMeter = [];

    private ZkClientMetrics(Meter meter)
    {
        Duration = meter.CreateHistogram<double>("db.client.operation.duration", "s",
            "Duration of ZooKeeper requests, from submission to completion (OpenTelemetry database client conventions).",
            advice: ZkSyncDiagnostics.OperationBuckets);
        InFlight = meter.CreateUpDownCounter<long>("zksync.client.requests.in_flight", "{request}", "ZooKeeper requests submitted and not yet completed.");
        Reconnects = meter.CreateCounter<long>("zksync.client.reconnects", "{connection}", "Connections re-established for an existing session.");
        Expirations = meter.CreateCounter<long>("zksync.client.session.expirations", "{session}", "ZooKeeper sessions that expired.");
        ConnectionsLost = meter.CreateCounter<long>("zksync.client.connections.lost", "{connection}", "Connections to a ZooKeeper server that were lost (the session was suspended).");
        Sessions = meter.CreateUpDownCounter<long>("zksync.client.sessions", "{client}",
            "Clients in each session state (zksync.session.state: connecting, connected, suspended, reconnected, expired); a healthy process has all of them connected or reconnected.");
    }

    public Histogram<double> Duration { get; }

    public UpDownCounter<long> InFlight { get; }

    public Counter<long> Reconnects { get; }

    public Counter<long> Expirations { get; }

    public Counter<long> ConnectionsLost { get; }

    public UpDownCounter<long> Sessions { get; }

    public static ZkClientMetrics For(IMeterFactory? meterFactory) =>
        PerMeter.GetValue(ZkSyncDiagnostics.CreateMeter(meterFactory), static meter => new ZkClientMetrics(meter));
}
