using HealthChecks.UI.Client;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using WebApp.Orders;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddProblemDetails();
builder.Services.AddControllers();
builder.Services.AddSingleton<OrderStore>();
builder.Services.AddSingleton<PaymentStore>();

// ZooKeeper coordination. The "ZkSync" section of appsettings.json (ZkSync__ConnectionString in the environment
// overrides it) configures the shared session; an invalid section stops the app at startup, an unreachable ZooKeeper
// does not (see /health/ready). Lock policies, leader-only jobs and the startup barrier: Orders/OrderCoordination.cs.
builder.Services.AddZkSync(builder.Configuration).AddOrderCoordination();

// Traces and metrics through OpenTelemetry, ZkSync's included in one line each (docs/observability.md). Point an OTLP
// exporter at your collector; "Telemetry:Console": true (or Telemetry__Console=true) writes them to the console.
var telemetry = builder.Services.AddOpenTelemetry()
    .WithTracing(tracing => tracing.AddSource("Microsoft.AspNetCore").AddZkSyncInstrumentation())
    .WithMetrics(metrics => metrics.AddMeter("Microsoft.AspNetCore.Hosting").AddZkSyncInstrumentation());
if (builder.Configuration.GetValue<bool>("Telemetry:Console"))
{
    telemetry.WithTracing(tracing => tracing.AddConsoleExporter()).WithMetrics(metrics => metrics.AddConsoleExporter());
}

var app = builder.Build();

app.UseExceptionHandler();
app.UseRouting();
app.UseAuthorization();

// After routing and authorization: takes the locks that endpoints ask for ([DistributedLock], RequireDistributedLock).
app.UseZkSync();

app.MapControllers();
app.MapOrders();
app.MapPayments();

// Readiness includes ZooKeeper (session, held locks); liveness never does, so an outage does not restart replicas.
app.MapHealthChecks("/health/ready", new HealthCheckOptions
{
    Predicate = registration => registration.Tags.Contains("ready"),
    ResponseWriter = UIResponseWriter.WriteHealthCheckUIResponse,
});
app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });

app.Run();

/// <summary>Entry point, public so that WebApplicationFactory can find it.</summary>
public partial class Program;
