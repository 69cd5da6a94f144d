using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Microsoft.Extensions.DependencyInjection;
using ZkSync.AspNetCore;
using ZkSync.TestSupport;

namespace ZkSync.OpenTelemetry.Tests;

/// <summary>What an operator sees of a locked request, through OpenTelemetry's SDK and in-memory exporters.</summary>
public sealed class LockedRequestTelemetryTests
{
    [Fact]
    public async Task LockedRequest_TraceShowsWaitRoundTripsAndHandlerUnderTheRequest()
    {
        var spans = new List<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource("Microsoft.AspNetCore", TraceCapture.TestSource.Name)
            .AddZkSyncInstrumentation()
            .SetSampler(new AlwaysOnSampler())
            .AddInMemoryExporter(spans)
            .Build();
        await using var app = await StartAppAsync();
        using var http = app.GetTestClient();

        using var response = await http.PostAsync(new Uri("/orders/42/pay", UriKind.Relative), null, TestContext.Current.CancellationToken);

        response.EnsureSuccessStatusCode();
        tracing.ForceFlush();
        Activity[] exported;
        lock (spans)
        {
            exported = [.. spans];
        }

        var server = Assert.Single(exported, s => s.Source.Name == "Microsoft.AspNetCore" && s.Kind == ActivityKind.Server);
        var trace = exported.Where(s => s.TraceId == server.TraceId).ToList();
        var acquire = Assert.Single(trace, s => s.DisplayName == "zksync.lock.acquire");
        var handler = Assert.Single(trace, s => s.DisplayName == "pay-order");
        Assert.Equal(server.SpanId, acquire.ParentSpanId);
        Assert.Equal(server.SpanId, handler.ParentSpanId);
        Assert.Equal("acquired", acquire.GetTagItem("zksync.lock.outcome"));
        Assert.Equal("exclusive", acquire.GetTagItem("zksync.lock.mode"));
        Assert.IsType<long>(acquire.GetTagItem("zksync.lock.fencing_token"));

        // The acquisition's round trips are its children; the release's delete comes after the handler, under the request.
        var zookeeper = trace.Where(s => s.Kind == ActivityKind.Client && Equals(s.GetTagItem("db.system.name"), "zookeeper")).ToList();
        Assert.Contains(zookeeper, s => s.ParentSpanId == acquire.SpanId && s.DisplayName == "create");
        Assert.Contains(zookeeper, s => s.ParentSpanId == server.SpanId && s.DisplayName == "delete" && s.StartTimeUtc >= handler.StartTimeUtc + handler.Duration);
        Assert.All(zookeeper, s => Assert.NotEqual(ActivityStatusCode.Error, s.Status));
        Assert.True(acquire.StartTimeUtc + acquire.Duration <= handler.StartTimeUtc, "the handler ran before the lock was acquired");
    }

    [Fact]
    public async Task DurationHistograms_UseSecondScaleBuckets()
    {
        var metrics = new List<Metric>();
        using (var meterProvider = Sdk.CreateMeterProviderBuilder().AddZkSyncInstrumentation().AddInMemoryExporter(metrics).Build())
        {
            await using var app = await StartAppAsync();
            using var http = app.GetTestClient();
            using var response = await http.PostAsync(new Uri("/orders/7/pay", UriKind.Relative), null, TestContext.Current.CancellationToken);
            response.EnsureSuccessStatusCode();
            meterProvider.ForceFlush();
        }

        double[] BoundsOf(string name)
        {
            var metric = metrics.Last(m => m.Name == name);
            Assert.Equal(MetricType.Histogram, metric.MetricType);
            Assert.Equal("s", metric.Unit);
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                var bounds = new List<double>();
                foreach (var bucket in point.GetHistogramBuckets())
                {
                    bounds.Add(bucket.ExplicitBound);
                }

                return [.. bounds];
            }

            throw new InvalidOperationException($"{name} has no points.");
        }

        // Not the SDK's millisecond defaults (0, 5, 10, 25, ... 10000): bounds in seconds, sub-millisecond at the bottom.
        Assert.Equal(0.0005, BoundsOf("db.client.operation.duration")[0]);
        Assert.Equal(10, BoundsOf("db.client.operation.duration")[^2]);
        Assert.Equal(0.001, BoundsOf("zksync.lock.acquire.duration")[0]);
        Assert.Equal(3600, BoundsOf("zksync.lock.hold.duration")[^2]);
        Assert.Equal(3600, BoundsOf("zksync.aspnetcore.lock.wait.duration")[^2]);
    }

    private static async Task<WebApplication> StartAppAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Configuration["ZkSync:ConnectionString"] = ZooKeeperEnsemble.ConnectionString;
        builder.Configuration["ZkSync:Locks:RootPath"] = TestClients.UniqueRoot("requests");
        builder.Services.AddZkSync(builder.Configuration);
        var app = builder.Build();
        app.UseRouting();
        app.UseZkSync();
        app.MapPost("/orders/{id:int}/pay", (int id) =>
        {
            using var work = TraceCapture.TestSource.StartActivity("pay-order");
            return Results.Ok(id);
        }).RequireDistributedLock("/orders/{id}");
        await app.StartAsync(TestContext.Current.CancellationToken);
        return app;
    }
}
