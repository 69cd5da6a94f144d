using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using ZkSync.AspNetCore.Tests.Support;
using ZkSync.TestSupport.Peers;

namespace ZkSync.AspNetCore.Tests.Integration;

/// <summary>Minimal-API apps built by the tests, against the real ensemble, one lock root per test.</summary>
public sealed class CustomAppLockTests : IAsyncLifetime
{
    private readonly TestGates _gates = new();
    private readonly List<WebApplication> _apps = [];
    private ZooKeeperTestEnvironment _zk = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _zk = await ZooKeeperTestEnvironment.CreateAsync();

    public async ValueTask DisposeAsync()
    {
        foreach (var gate in new[] { "s", "o1", "o2", "e1", "m1", "m2", "h" })
        {
            _gates[gate].Release();
        }

        foreach (var app in _apps)
        {
            await app.DisposeAsync();
        }

        await _zk.DisposeAsync();
    }

    [Fact]
    public async Task LockIsHeldWhileTheResponseIsWritten_AndTheFencingTokenHeaderLeadsIt()
    {
        var (app, client) = await StartAsync(app => app.MapGet("/reports/{id}", (HttpContext context) => Results.Stream(async body =>
        {
            await body.WriteAsync("first part\n"u8.ToArray(), context.RequestAborted);
            await body.FlushAsync(context.RequestAborted);
            await _gates["s"].PassAsync(context.Features.Get<IDistributedLockFeature>(), context.RequestAborted);
            await body.WriteAsync("second part\n"u8.ToArray(), context.RequestAborted);
        }, "text/plain")).RequireDistributedLock("/reports/{id}"));

        using var streaming = await client.GetAsync("/reports/1", HttpCompletionOption.ResponseHeadersRead, Ct);
        var held = await _gates["s"].Entered;
        using var meanwhile = await client.GetAsync("/reports/1", Ct);
        _gates["s"].Release();
        var body = await streaming.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, streaming.StatusCode);
        Assert.Equal(held!.FencingToken.ToString(CultureInfo.InvariantCulture), Assert.Single(streaming.Headers.GetValues("X-Fencing-Token")));
        Assert.Equal(HttpStatusCode.Conflict, meanwhile.StatusCode);
        Assert.Equal("first part\nsecond part\n", body);
        _ = app;
    }

    [Fact]
    public async Task OnRejected_CanChangeTheStatus_OrWriteItsOwnResponse()
    {
        var (_, client) = await StartAsync(
            app =>
            {
                app.MapPost("/a/{id}", (HttpContext c) => _gates["o1"].PassAsync(c.Features.Get<IDistributedLockFeature>(), c.RequestAborted)).RequireDistributedLock("/a/{id}");
                app.MapPost("/b/{id}", (HttpContext c) => _gates["o2"].PassAsync(c.Features.Get<IDistributedLockFeature>(), c.RequestAborted)).RequireDistributedLock("/b/{id}");
            },
            configure: services => services.Configure<ZkSyncOptions>(o => o.Locks.OnRejected = async (rejected, token) =>
            {
                Assert.Equal(DistributedLockRejectionReason.Contention, rejected.Reason);
                Assert.Equal("1", rejected.HttpContext.Response.Headers.RetryAfter.ToString());
                rejected.HttpContext.Response.StatusCode = StatusCodes.Status423Locked;
                rejected.HttpContext.Response.Headers["X-Lock"] = rejected.LockName;
                if (rejected.LockName.StartsWith("b/", StringComparison.Ordinal))
                {
                    await rejected.HttpContext.Response.WriteAsync("busy", token);
                }
            }));
        var holdA = client.PostAsync("/a/1", null, Ct);
        var holdB = client.PostAsync("/b/1", null, Ct);
        await _gates["o1"].Entered;
        await _gates["o2"].Entered;

        using var a = await client.PostAsync("/a/1", null, Ct);
        using var b = await client.PostAsync("/b/1", null, Ct);
        _gates["o1"].Release();
        _gates["o2"].Release();
        await Task.WhenAll(holdA, holdB);

        Assert.Equal(HttpStatusCode.Locked, a.StatusCode);
        Assert.Equal("a/1", Assert.Single(a.Headers.GetValues("X-Lock")));
        Assert.Equal(423, (await a.Content.ReadFromJsonAsync<ProblemDetails>(Ct))!.Status);
        Assert.Equal(HttpStatusCode.Locked, b.StatusCode);
        Assert.Equal("busy", await b.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Owner_SameOwnerSharesTheLock_UnlessReentrancyIsError()
    {
        var (_, sharing) = await StartAsync(app => app.MapPost("/jobs/{id}", (HttpContext c, string gate) => _gates[gate].PassAsync(c.Features.Get<IDistributedLockFeature>(), c.RequestAborted))
            .RequireDistributedLock("/jobs/{id}", p => p.OwnerId = "nightly-import"));
        var (_, strict) = await StartAsync(
            app => app.MapPost("/jobs/{id}", (HttpContext c, string gate) => _gates[gate].PassAsync(c.Features.Get<IDistributedLockFeature>(), c.RequestAborted))
                .RequireDistributedLock("/jobs/{id}", p => p.OwnerSelector = c => c.Request.Headers["X-Owner"]),
            settings: new Dictionary<string, string?> { ["ZkSync:Locks:Reentrancy"] = "Error" });

        var first = sharing.PostAsync("/jobs/1?gate=o1", null, Ct);
        var heldFirst = await _gates["o1"].Entered;
        var second = sharing.PostAsync("/jobs/1?gate=o2", null, Ct);
        var held = new[] { heldFirst, await _gates["o2"].Entered };
        var strictFirst = strict.SendAsync(OwnedRequest("/jobs/2?gate=e1", "me"), Ct);
        await _gates["e1"].Entered;
        using var strictSecond = await strict.SendAsync(OwnedRequest("/jobs/2?gate=never", "me"), Ct);
        _gates["o1"].Release();
        _gates["o2"].Release();
        _gates["e1"].Release();

        Assert.Equal(held[0]!.FencingToken, held[1]!.FencingToken);
        Assert.Equal("nightly-import", held[0]!.Handle.OwnerId);
        Assert.Equal(HttpStatusCode.Conflict, strictSecond.StatusCode);
        Assert.All(await Task.WhenAll(first, second, strictFirst), r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
    }

    [Fact]
    public async Task Health_ListsAtMostMaxListedLocks_AndContentionIsLogged()
    {
        var (app, client) = await StartAsync(
            app =>
            {
                app.MapPost("/m/{id}", (HttpContext c, string gate) => _gates[gate].PassAsync(c.Features.Get<IDistributedLockFeature>(), c.RequestAborted)).RequireDistributedLock("/m/{id}");
                app.MapHealthChecks("/ready", new() { ResponseWriter = HealthChecks.UI.Client.UIResponseWriter.WriteHealthCheckUIResponse });
            },
            settings: new Dictionary<string, string?> { ["ZkSync:HealthChecks:MaxListedLocks"] = "1" },
            logging: true);
        var one = client.PostAsync("/m/1?gate=m1", null, Ct);
        var two = client.PostAsync("/m/2?gate=m2", null, Ct);
        await _gates["m1"].Entered;
        await _gates["m2"].Entered;

        using var health = JsonDocument.Parse(await client.GetStringAsync("/ready", Ct));
        using var rejected = await client.PostAsync("/m/1?gate=h", null, Ct);
        _gates["m1"].Release();
        _gates["m2"].Release();
        await Task.WhenAll(one, two);

        var data = health.RootElement.GetProperty("entries").GetProperty("zookeeper").GetProperty("data");
        Assert.Equal(2, data.GetProperty("heldLockCount").GetInt32());
        Assert.Single(data.GetProperty("heldLocks").EnumerateArray());
        Assert.True(data.GetProperty("heldLocksTruncated").GetBoolean());
        Assert.Equal(HttpStatusCode.Conflict, rejected.StatusCode);
        var log = Assert.Single(app.Services.GetFakeLogCollector().GetSnapshot(), r => r.Id.Id == 5001);
        Assert.Equal("LockContended", log.Id.Name);
        Assert.Equal(LogLevel.Debug, log.Level); // expected under load, like ASP.NET Core's rate limiter rejections
        Assert.Contains("'m/1'", log.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LockHeldByCurator_EndpointAnswers409_ThenRunsOnceCuratorReleases()
    {
        await using var curator = await CuratorPeer.StartAsync(ZooKeeperTestEnvironment.ConnectionString, cancellationToken: Ct);
        var (_, client) = await StartAsync(app => app.MapPost("/orders/{id}/pay", (HttpContext c) =>
            Results.Ok(c.Features.Get<IDistributedLockFeature>()!.LockPath)).RequireDistributedLock("/orders/{id}"));

        Assert.True(await curator.AcquireMutexAsync("java", _zk.LockRoot + "/orders/5", ZooKeeperTestEnvironment.Patience, Ct));
        using var whileJavaHolds = await client.PostAsync("/orders/5/pay", null, Ct);
        using var otherOrder = await client.PostAsync("/orders/6/pay", null, Ct);
        await curator.ReleaseMutexAsync("java", Ct);
        using var afterRelease = await client.PostAsync("/orders/5/pay", null, Ct);

        Assert.Equal(HttpStatusCode.Conflict, whileJavaHolds.StatusCode);
        Assert.Equal("application/problem+json", whileJavaHolds.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, otherOrder.StatusCode);
        Assert.Equal(HttpStatusCode.OK, afterRelease.StatusCode);
        Assert.Equal(_zk.LockRoot + "/orders/5", await afterRelease.Content.ReadFromJsonAsync<string>(Ct));
        await _zk.WaitForLockNodesAsync("orders/5", count => count == 0); // released right after the response
    }

    [Fact]
    public async Task ResponseStartedBeforeTheMiddleware_TheLockIsStillReleased()
    {
        // F9: a middleware ahead of UseZkSync that starts the response made the fencing-token OnStarting registration
        // throw after the lock was taken and before the try that releases it: the node stayed until the session ended.
        var (_, client) = await StartAsync(
            app => app.MapPost("/early/{id}", () => Results.Empty).RequireDistributedLock("/early/{id}"),
            beforeZkSync: app => app.Use(async (context, next) =>
            {
                await context.Response.StartAsync(context.RequestAborted);
                await next(context);
            }));

        using var response = await client.PostAsync("/early/1", null, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await _zk.WaitForLockNodesAsync("early/1", count => count == 0);
        var provider = new Locks.ZooKeeperLockProvider(_zk.Admin, new Locks.ZooKeeperLockOptions { RootPath = _zk.LockRoot });
        await using var handle = await provider.TryAcquireAsync("early/1", TimeSpan.Zero, Ct);
        Assert.NotNull(handle);
    }

    private static HttpRequestMessage OwnedRequest(string url, string owner)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url);
        request.Headers.Add("X-Owner", owner);
        return request;
    }

    private async Task<(WebApplication App, HttpClient Client)> StartAsync(
        Action<WebApplication> map, Action<IServiceCollection>? configure = null, IDictionary<string, string?>? settings = null, bool logging = false,
        Action<WebApplication>? beforeZkSync = null)
    {
        var builder = TestApps.CreateBuilder(ZooKeeperTestEnvironment.ConnectionString, _zk.LockRoot, settings);
        if (logging)
        {
            builder.Logging.AddFakeLogging().SetMinimumLevel(LogLevel.Debug);
        }

        builder.Services.AddZkSync(builder.Configuration);
        configure?.Invoke(builder.Services);
        var app = builder.Build();
        _apps.Add(app);
        beforeZkSync?.Invoke(app);
        app.UseZkSync();
        map(app);
        await app.StartAsync(Ct);
        using var connected = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        connected.CancelAfter(ZooKeeperTestEnvironment.Patience);
        await app.Services.GetRequiredService<Client.ZooKeeperClient>().WaitForConnectedAsync(connected.Token);
        return (app, app.GetTestClient());
    }
}
