using ZkSync;

namespace OpenTelemetry.Trace;

/// <summary>Adds ZkSync's spans to an OpenTelemetry tracer provider.</summary>
public static class ZkSyncTracerProviderBuilderExtensions
{
    /// <summary>
    /// Adds ZkSync's <see cref="System.Diagnostics.ActivitySource"/> (<c>ZkSync</c>): one client span per ZooKeeper
    /// request and one span per lock acquisition, leader election, semaphore acquisition and barrier wait. See
    /// <c>docs/observability.md</c>.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The same builder.</returns>
    public static TracerProviderBuilder AddZkSyncInstrumentation(this TracerProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddSource(ZkSyncDiagnostics.SourceName);
    }
}
