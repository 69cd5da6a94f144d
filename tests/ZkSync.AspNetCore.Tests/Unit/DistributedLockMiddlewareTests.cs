using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ZkSync.AspNetCore.Internal;
using ZkSync.AspNetCore.Tests.Support;
using ZkSync.Client;
using ZkSync.Locks;

namespace ZkSync.AspNetCore.Tests.Unit;

public sealed class DistributedLockMiddlewareTests : IAsyncDisposable
{
    private readonly ZooKeeperClient _client = new(new ZooKeeperClientOptions { ConnectionString = TestApps.UnreachableZooKeeper });
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    public async ValueTask DisposeAsync()
    {
        await _client.DisposeAsync();
        await _services.DisposeAsync();
    }

    [Fact]
    public void EndpointWithoutLockMetadata_ReturnsTheNextTaskItself()
    {
        var next = new TaskCompletionSource().Task;
        var middleware = CreateMiddleware(_ => next);
        var context = new DefaultHttpContext();

        Assert.Same(next, middleware.InvokeAsync(context));
        context.SetEndpoint(new Endpoint(null, new EndpointMetadataCollection(), "plain"));
        Assert.Same(next, middleware.InvokeAsync(context));
        context.SetEndpoint(new Endpoint(null, new EndpointMetadataCollection(new DistributedLockAttribute("/a"), DisableDistributedLockAttribute.Instance), "disabled"));
        Assert.Same(next, middleware.InvokeAsync(context));
    }

    [Fact]
    public async Task HealthCheck_MapsSessionStates()
    {
        using var tracker = new ZkSyncSessionTracker(_client);
        var check = new ZkSyncHealthCheck([new SessionStatusContributor(_client, tracker)]);
        var registration = new HealthCheckRegistration("zookeeper", check, HealthStatus.Degraded, ["ready"]);
        var context = new HealthCheckContext { Registration = registration };

        var connecting = await check.CheckHealthAsync(context, TestContext.Current.CancellationToken);
        await _client.DisposeAsync();
        var closed = await check.CheckHealthAsync(new HealthCheckContext { Registration = new HealthCheckRegistration("zookeeper", check, null, null) }, TestContext.Current.CancellationToken);
        var closedWithCustomFailure = await check.CheckHealthAsync(context, TestContext.Current.CancellationToken);

        Assert.Equal(HealthStatus.Degraded, connecting.Status);
        Assert.Equal("Connecting", connecting.Data["state"]);
        Assert.Equal("0x0", connecting.Data["sessionId"]);
        Assert.Contains("no session yet", connecting.Description, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Unhealthy, closed.Status);
        Assert.Equal("Closed", closed.Data["state"]);
        Assert.Equal(HealthStatus.Degraded, closedWithCustomFailure.Status);
    }

    private DistributedLockMiddleware CreateMiddleware(RequestDelegate next)
    {
        var options = Options.Create(new ZkSyncOptions { ConnectionString = TestApps.UnreachableZooKeeper });
        return new DistributedLockMiddleware(next, new DistributedLockRunner(
            _client,
            new ZooKeeperLockProvider(_client),
            new DistributedLockResolver(new DistributedLockPolicyRegistry(), options),
            options,
            new DistributedLockMetrics(_services.GetRequiredService<IMeterFactory>()),
            NullLoggerFactory.Instance));
    }
}
