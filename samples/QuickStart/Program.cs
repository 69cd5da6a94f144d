using ZkSync.AspNetCore;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddZkSync(builder.Configuration)                 // binds and validates the "ZkSync" section
    .AddLeaderService<NightlyReport>("jobs/nightly-report")        // runs on one replica at a time
    .AddStartupBarrier("/deploy/migrations",                       // not ready while a migration holds the barrier
        barrier => barrier.Mode = StartupBarrierMode.ReadinessOnly);

var app = builder.Build();
app.UseRouting();
app.UseZkSync();                                                   // after routing and authorization

app.MapPost("/orders/{id:int}/ship", (int id) => Results.Ok(new { id, shipped = true }))
   .RequireDistributedLock("/orders/{id}");                        // znode /zksync/locks/orders/{id}; 409 when held
app.MapHealthChecks("/health/ready", new() { Predicate = r => r.Tags.Contains("ready") });

app.Run();

// On a controller action instead: [HttpPost("{id}/pay"), DistributedLock("/orders/{id}")]

public sealed class NightlyReport(ILogger<NightlyReport> logger) : LeaderBackgroundService
{
    protected override async Task ExecuteAsLeaderAsync(CancellationToken stoppingToken)
    {
        // stoppingToken fires when the leadership is revoked or the host stops; the service then stands again.
        logger.LogInformation("Leading with fencing token {FencingToken}", Leadership!.FencingToken);
        await Task.Delay(Timeout.Infinite, stoppingToken);
    }
}
