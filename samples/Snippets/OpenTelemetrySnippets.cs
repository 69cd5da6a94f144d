using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

public static class OpenTelemetrySnippets
{
    public static void Register(IServiceCollection services)
    {
        #region registration
        services.AddOpenTelemetry()
            .WithTracing(tracing => tracing.AddZkSyncInstrumentation())
            .WithMetrics(metrics => metrics.AddZkSyncInstrumentation());
        #endregion
    }

    public static void RegisterWithAspNetCore(WebApplicationBuilder builder)
    {
        #region aspnetcore
        builder.Services.AddOpenTelemetry()
            .WithTracing(tracing => tracing.AddAspNetCoreInstrumentation().AddZkSyncInstrumentation())
            .WithMetrics(metrics => metrics.AddAspNetCoreInstrumentation().AddZkSyncInstrumentation());
        #endregion
    }
}
