using ZkSync;

namespace OpenTelemetry.Metrics;

/// <summary>Adds ZkSync's instruments to an OpenTelemetry meter provider.</summary>
public static class ZkSyncMeterProviderBuilderExtensions
{
    /// <summary>
    /// Adds ZkSync's meters: <c>ZkSync</c> (the client's <c>db.client.operation.duration</c> and <c>zksync.client.*</c>,
    /// the recipes' <c>zksync.lock.*</c>, <c>zksync.leader.*</c>, <c>zksync.semaphore.*</c>) and <c>ZkSync.AspNetCore</c>
    /// (<c>zksync.aspnetcore.*</c>). See <c>docs/observability.md</c>.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The same builder.</returns>
    public static MeterProviderBuilder AddZkSyncInstrumentation(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddMeter(ZkSyncDiagnostics.MeterName, ZkSyncDiagnostics.AspNetCoreMeterName);
    }
}
