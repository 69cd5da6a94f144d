using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;

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
}

/// <summary>The client's instruments (<c>zksync.client.*</c>).</summary>
internal sealed class ZkClientMetrics : IDisposable
{
    private readonly Meter _meter;
    private readonly bool _ownsMeter;

    public ZkClientMetrics(IMeterFactory? meterFactory)
    {
        if (meterFactory is null)
        {
            _meter = new Meter(ZkSyncDiagnostics.SourceName, ZkSyncDiagnostics.Version);
            _ownsMeter = true;
        }
        else
        {
            _meter = meterFactory.Create(ZkSyncDiagnostics.SourceName, ZkSyncDiagnostics.Version);
        }

        Requests = _meter.CreateCounter<long>("zksync.client.requests", "{request}", "ZooKeeper requests completed, by operation and outcome.");
        Duration = _meter.CreateHistogram<double>("zksync.client.request.duration", "s", "Time from submitting a ZooKeeper request to its completion.");
        InFlight = _meter.CreateUpDownCounter<long>("zksync.client.requests.in_flight", "{request}", "ZooKeeper requests submitted and not yet completed.");
        Reconnects = _meter.CreateCounter<long>("zksync.client.reconnects", "{connection}", "Connections re-established for an existing session.");
        Expirations = _meter.CreateCounter<long>("zksync.client.session.expirations", "{session}", "ZooKeeper sessions that expired.");
        ConnectionsLost = _meter.CreateCounter<long>("zksync.client.connections.lost", "{connection}", "Connections to a ZooKeeper server that were lost.");
    }

    public Meter Meter => _meter;

    public Counter<long> Requests { get; }

    public Histogram<double> Duration { get; }

    public UpDownCounter<long> InFlight { get; }

    public Counter<long> Reconnects { get; }

    public Counter<long> Expirations { get; }

    public Counter<long> ConnectionsLost { get; }

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
