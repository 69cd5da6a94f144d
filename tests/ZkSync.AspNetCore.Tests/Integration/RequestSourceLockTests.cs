using System.Diagnostics.Metrics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using ZkSync.AspNetCore.Tests.Support;
using ZkSync.Client;

namespace ZkSync.AspNetCore.Tests.Integration;

/// <summary>
/// Locks named by any request source (route, query, header, claim, bound argument and body property), in two app
/// instances on the real ensemble: exclusion per key, parallelism across keys, 400s that never reach ZooKeeper, startup
/// checks, locks held while a filter-locked endpoint streams, and re-execution (S4).
/// </summary>
public sealed class RequestSourceLockTests : IAsyncLifetime
{
    private readonly TestGates _gates = new();
    private readonly List<WebApplication> _apps = [];
    private ZooKeeperTestEnvironment _zk = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _zk = await ZooKeeperTestEnvironment.CreateAsync();

    public async ValueTask DisposeAsync()
    {
        foreach (var gate in new[] { "a", "b", "s" })
        {
            _gates[gate].Release();
        }

        foreach (var app in _apps)
        {
            await app.DisposeAsync();
        }

        await _zk.DisposeAsync();
    }

    public static TheoryData<string> Sources => ["header", "query", "claim", "body", "typed-route", "mvc-body"];

    [Theory]
    [MemberData(nameof(Sources))]
    public async Task SameKey_NeverOverlapsAcrossApps_DifferentKeysRunInParallel(string source)
    {
        var (_, client1) = await StartAsync("app1");
        var (_, client2) = await StartAsync("app2");

        var first = client1.SendAsync(Request(source, "k1", gate: "a"), Ct);
        var held = await _gates["a"].Entered;
        using var sameKey = await client2.SendAsync(Request(source, "k1"), Ct);
        var otherKey = client2.SendAsync(Request(source, "k2", gate: "b"), Ct);
        var heldOther = await _gates["b"].Entered;
        _gates["a"].Release();
        _gates["b"].Release();
        using var firstResponse = await first;
        using var otherResponse = await otherKey;
        using var afterwards = await client2.SendAsync(Request(source, "k1"), Ct);

        var prefix = source switch { "header" => "payments", "query" => "reports", "claim" => "tenants", "typed-route" => "typed", _ => "customers" };
        Assert.Equal(prefix + "/k1".Replace("k", source == "typed-route" ? "" : "k", StringComparison.Ordinal), held!.Name);
        Assert.Equal(HttpStatusCode.Conflict, sameKey.StatusCode);
        Assert.Equal(held.Name, ((JsonElement)(await sameKey.Content.ReadFromJsonAsync<ProblemDetails>(Ct))!.Extensions["lock"]!).GetString());
        Assert.NotEqual(held.Name, heldOther!.Name);
        Assert.Equal(HttpStatusCode.OK, firstResponse.StatusCode);
        Assert.Equal(held.FencingToken.ToString(CultureInfo.InvariantCulture), Assert.Single(firstResponse.Headers.GetValues("X-Fencing-Token")));
        Assert.Equal(HttpStatusCode.OK, otherResponse.StatusCode);
        Assert.Equal(HttpStatusCode.OK, afterwards.StatusCode);
        Assert.Empty(await _zk.LockNodesAsync(held.Name));
    }

    [Theory]
    [InlineData("/typed/abc/work")]
    [InlineData("/typed/99999999999/work")]
    [InlineData("/test/mvc/typed/abc")]
    [InlineData("/test/plain/typed/abc")]
    public async Task TypedRouteValueThatDoesNotBind_Answers400_WithoutAnyZooKeeperRequest(string url)
    {
        var (app, client) = await StartAsync("app1");
        using var requests = new MetricCollector<double>(app.Services.GetRequiredService<IMeterFactory>(), ZkSyncDiagnostics.MeterName, "db.client.operation.duration");

        using var bad = await client.PostAsync(url, null, Ct);
        var duringBad = LockRequests(requests);
        using var good = await client.PostAsync(url.Replace("abc", "7", StringComparison.Ordinal).Replace("99999999999", "7", StringComparison.Ordinal), null, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.False(bad.Headers.Contains("X-Fencing-Token"));
        Assert.Equal(0, duringBad);
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        Assert.True(LockRequests(requests) > 0, "The counter sees the requests of a lock that is taken.");
        Assert.Equal("typed/7", (await good.Content.ReadFromJsonAsync<HeldLock>(Ct))!.Name);
    }

    [Fact]
    public async Task TypedRouteValue_NamesTheLockWithTheBoundValue_SoEqualValuesShareIt()
    {
        var (_, client) = await StartAsync("app1");

        var holder = client.PostAsync("/typed/42/work?gate=a", null, Ct);
        var held = await _gates["a"].Entered;
        using var sameNumber = await client.PostAsync("/typed/042/work", null, Ct);
        _gates["a"].Release();
        using var holderResponse = await holder;

        Assert.Equal("typed/42", held!.Name);
        Assert.Equal(HttpStatusCode.Conflict, sameNumber.StatusCode);
        Assert.Equal(HttpStatusCode.OK, holderResponse.StatusCode);
    }

    [Theory]
    [InlineData("header-missing", "header.Idempotency-Key", "header", "Header 'Idempotency-Key'", "the header is missing")]
    [InlineData("header-twice", "header.Idempotency-Key", "header", "Header 'Idempotency-Key'", "has 2 values")]
    [InlineData("query-missing", "query.date", "query", "Query value 'date'", "the query value is missing")]
    [InlineData("claim-anonymous", "claim.tenant", "claim", "Claim 'tenant'", "no authenticated user")]
    [InlineData("claim-ambiguous", "claim.tenant", "claim", "Claim 'tenant'", "several different values")]
    [InlineData("body-property-null", "arg.order.CustomerId", "argument", "Argument 'order.CustomerId'", "the argument is missing")]
    [InlineData("mvc-body-property-null", "arg.order.CustomerId", "argument", "Argument 'order.CustomerId'", "the argument is missing")]
    [InlineData("body-property-slash", "arg.order.CustomerId", "argument", "Argument 'order.CustomerId'", "contains '/'")]
    public async Task MissingOrUnusableValue_Answers400NamingPlaceholderAndSource_WithoutZooKeeper(string @case, string placeholder, string source, string described, string reason)
    {
        var (app, client) = await StartAsync("app1");
        using var requests = new MetricCollector<double>(app.Services.GetRequiredService<IMeterFactory>(), ZkSyncDiagnostics.MeterName, "db.client.operation.duration");
        var request = @case switch
        {
            "header-missing" => new HttpRequestMessage(HttpMethod.Post, "/pay"),
            "header-twice" => Request("header", "k1", extraHeader: "k2"),
            "query-missing" => new HttpRequestMessage(HttpMethod.Post, "/reports"),
            "claim-anonymous" => new HttpRequestMessage(HttpMethod.Post, "/tenant/work"),
            "claim-ambiguous" => Request("claim", "k1", extraHeader: "k2"),
            "body-property-null" => Json("/customers/orders", """{"item":"book"}"""),
            "mvc-body-property-null" => Json("/test/mvc/customers", """{"item":"book"}"""),
            _ => Json("/customers/orders", """{"customerId":"a/b"}"""),
        };

        using var response = await client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<ProblemDetails>(Ct);
        Assert.Equal(placeholder, ((JsonElement)problem!.Extensions["placeholder"]!).GetString());
        Assert.Equal(source, ((JsonElement)problem.Extensions["source"]!).GetString());
        Assert.StartsWith(described + " cannot name the lock", problem.Detail, StringComparison.Ordinal);
        Assert.Contains(reason, problem.Detail, StringComparison.Ordinal);
        Assert.Equal(0, LockRequests(requests));
    }

    [Fact]
    public async Task InvalidJsonBody_OrValidationFailure_NeverTakesTheLock()
    {
        var (app, client) = await StartAsync("app1");
        using var requests = new MetricCollector<double>(app.Services.GetRequiredService<IMeterFactory>(), ZkSyncDiagnostics.MeterName, "db.client.operation.duration");

        using var notJson = await client.SendAsync(Json("/customers/orders", "not json"), Ct);
        using var mvcNotJson = await client.SendAsync(Json("/test/mvc/customers", "not json"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, mvcNotJson.StatusCode);
        Assert.Equal(0, LockRequests(requests));
    }

    [Theory]
    [InlineData("/customers/{arg.nope}", "'{arg.nope}'", "is not a parameter of the handler (parameters: order, context, gate)")]
    [InlineData("/customers/{arg.order.Customer}", "'{arg.order.Customer}'", "type 'CustomerOrder' has no public property 'Customer' (properties: CustomerId, Item)")]
    [InlineData("/customers/{arg.order}", "'{arg.order}'", "is of type 'CustomerOrder', which has no text form for a lock name")]
    [InlineData("/customers/{customer}", "'{customer}'", "is not a route parameter of the endpoint (route parameters: none)")]
    public async Task UnknownPlaceholder_FailsStartupNamingEndpointAndPlaceholder(string template, string placeholder, string expected)
    {
        var builder = TestApps.CreateBuilder(TestApps.UnreachableZooKeeper);
        builder.Services.AddZkSync(builder.Configuration);
        await using var app = builder.Build();
        app.UseZkSync();
        app.MapPost("/customers/orders", (CustomerOrder order, HttpContext context, string? gate) => "").RequireDistributedLock(template);

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => app.StartAsync(Ct));

        Assert.Contains($"Endpoint 'HTTP: POST /customers/orders': placeholder {placeholder} of the distributed lock template '{template}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ArgumentPlaceholder_OnARequestDelegateOrAnAttribute_FailsStartupSayingWhy()
    {
        var builder = TestApps.CreateBuilder(TestApps.UnreachableZooKeeper);
        builder.Services.AddZkSync(builder.Configuration);
        await using var app = builder.Build();
        app.UseZkSync();
        app.MapPost("/raw", (RequestDelegate)(_ => Task.CompletedTask)).RequireDistributedLock("/raw/{arg.order.CustomerId}");
        app.MapPost("/attributed", [DistributedLock("/customers/{arg.order.CustomerId}")] (CustomerOrder order) => "");

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => app.StartAsync(Ct));

        Assert.Contains("Endpoint 'HTTP: POST /raw': placeholder '{arg.order.CustomerId}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("names a handler argument, but the endpoint has no handler parameters", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Endpoint 'HTTP: POST /attributed': the distributed lock template '/customers/{arg.order.CustomerId}' needs bound arguments", ex.Message, StringComparison.Ordinal);
        Assert.Contains(".RequireDistributedLock(\"/customers/{arg.order.CustomerId}\")", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnconstrainedRouteParameterOfATypedHandlerParameter_WarnsAtStartupSuggestingTheConstraint()
    {
        var (app, _) = await StartAsync("app1", logging: true);

        var warnings = app.Services.GetFakeLogCollector().GetSnapshot().Where(r => r.Id.Id == 5301).ToList();

        var minimal = Assert.Single(warnings, w => w.Message.Contains("'HTTP: POST /typed/{id}/work'", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Warning, minimal.Level);
        Assert.Equal("UnconstrainedLockRouteValue", minimal.Id.Name);
        Assert.Contains("route parameter 'id' has no constraint but binds a handler parameter of type Int32", minimal.Message, StringComparison.Ordinal);
        Assert.Contains("write {id:int} in the route", minimal.Message, StringComparison.Ordinal);
        Assert.Single(warnings, w => w.Message.Contains("TestBoundLocksController.Typed", StringComparison.Ordinal));
        Assert.DoesNotContain(warnings, w => w.Message.Contains("/constrained/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FilterLockedEndpoint_HoldsTheLockWhileItStreamsTheResponse()
    {
        var (_, client) = await StartAsync("app1");

        using var streaming = await client.SendAsync(Json("/customers/export?gate=s", """{"customerId":"c9"}"""), HttpCompletionOption.ResponseHeadersRead, Ct);
        var held = await _gates["s"].Entered;
        using var meanwhile = await client.SendAsync(Json("/customers/orders", """{"customerId":"c9"}"""), Ct);
        var nodesWhileStreaming = await _zk.LockNodesAsync("customers/c9");
        _gates["s"].Release();
        var body = await streaming.Content.ReadAsStringAsync(Ct);

        Assert.Equal("customers/c9", held!.Name);
        Assert.Equal(HttpStatusCode.Conflict, meanwhile.StatusCode);
        Assert.Single(nodesWhileStreaming);
        Assert.Equal(held.FencingToken.ToString(CultureInfo.InvariantCulture), Assert.Single(streaming.Headers.GetValues("X-Fencing-Token")));
        Assert.Equal("first part\nsecond part\n", body);
        await _zk.WaitForLockNodesAsync("customers/c9", count => count == 0);
    }

    [Fact]
    public async Task FilterLockedEndpoint_LostLockAbortsTheRequest_Answers503()
    {
        var (_, client) = await StartAsync("app1");

        var holder = client.SendAsync(Json("/customers/orders?gate=a", """{"customerId":"c3"}"""), Ct);
        var held = await _gates["a"].Entered;
        await _zk.Admin.DeleteAsync(held!.Handle.NodePath, cancellationToken: Ct);
        using var response = await holder;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("The distributed lock was lost.", (await response.Content.ReadFromJsonAsync<ProblemDetails>(Ct))!.Title);
        Assert.True(held.Lost.IsCancellationRequested);
    }

    [Theory]
    [InlineData("/boom/1", "/error")]
    [InlineData("/boom/1", "/error-locked")]
    [InlineData("/teapot/1", "/error")]
    [InlineData("/teapot/1", "/error-locked")]
    [InlineData("/boom-unlocked/1", "/error-locked")] // the first endpoint had no lock: no scope is open at all
    [InlineData("/teapot-unlocked/1", "/error-locked")]
    public async Task ReExecutedPipeline_DoesNotInheritTheFirstEndpointsLock_AndTakesItsOwn(string url, string errorPath)
    {
        // The exception handler and status-code pages sit after UseZkSync (correctness review S4): the error page runs
        // while the first endpoint's lock scope is still open.
        var (_, client) = await StartAsync("app1", errorPath: errorPath);

        using var response = await client.PostAsync(url, null, Ct);

        Assert.Equal(errorPath == "/error" ? "error page: no lock" : "error page: errors/handler", await response.Content.ReadAsStringAsync(Ct));
        await _zk.WaitForLockNodesAsync(url.TrimStart('/'), count => count == 0);
        await _zk.WaitForLockNodesAsync("errors/handler", count => count == 0);
    }

    private static int LockRequests(MetricCollector<double> requests) =>
        requests.GetMeasurementSnapshot().Count(m => !Equals(m.Tags["db.operation.name"], "whoAmI"));

    private static HttpRequestMessage Json(string url, string json) =>
        new(HttpMethod.Post, url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    private static HttpRequestMessage Request(string source, string key, string? gate = null, string? extraHeader = null)
    {
        var query = gate is null ? "" : "gate=" + gate;
        HttpRequestMessage request;
        switch (source)
        {
            case "header":
                request = new HttpRequestMessage(HttpMethod.Post, "/pay?" + query);
                request.Headers.Add("Idempotency-Key", extraHeader is null ? [key] : [key, extraHeader]);
                return request;
            case "query":
                return new HttpRequestMessage(HttpMethod.Post, $"/reports?date={key}&{query}");
            case "claim":
                request = new HttpRequestMessage(HttpMethod.Post, "/tenant/work?" + query);
                request.Headers.Add(TestAuthenticationHandler.TenantHeader, extraHeader is null ? [key] : [key, extraHeader]);
                return request;
            case "typed-route":
                return new HttpRequestMessage(HttpMethod.Post, $"/typed/{key.TrimStart('k')}/work?{query}");
            case "mvc-body":
                return Json("/test/mvc/customers?" + query, $$"""{"customerId":"{{key}}","item":"book"}""");
            default:
                return Json("/customers/orders?" + query, $$"""{"customerId":"{{key}}","item":"book"}""");
        }
    }

    private async Task<(WebApplication App, HttpClient Client)> StartAsync(string name, bool logging = false, string? errorPath = null)
    {
        var builder = TestApps.CreateBuilder(ZooKeeperTestEnvironment.ConnectionString, _zk.LockRoot);
        if (logging)
        {
            builder.Logging.AddFakeLogging();
        }

        builder.Services.AddAuthentication(TestAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, TestAuthenticationHandler>(TestAuthenticationHandler.SchemeName, null);
        builder.Services.AddProblemDetails();
        builder.Services.AddZkSync(builder.Configuration);
        builder.AddTestControllers(_gates, name: name);
        var app = builder.Build();
        _apps.Add(app);
        app.UseAuthentication();
        app.UseZkSync();
        if (errorPath is not null)
        {
            app.UseExceptionHandler(errorPath);
            app.UseStatusCodePagesWithReExecute(errorPath);
        }

        app.MapControllers();
        app.MapPost("/pay", (HttpContext c, string? gate) => HoldAsync(c, gate)).RequireDistributedLock("/payments/{header.Idempotency-Key}");
        app.MapPost("/reports", (HttpContext c, string? gate) => HoldAsync(c, gate)).RequireDistributedLock("/reports/{query.date}");
        app.MapPost("/tenant/work", (HttpContext c, string? gate) => HoldAsync(c, gate)).RequireDistributedLock("/tenants/{claim.tenant}");
        app.MapPost("/customers/orders", (CustomerOrder order, HttpContext c, string? gate) => HoldAsync(c, gate)).RequireDistributedLock("/customers/{arg.order.CustomerId}");
        app.MapPost("/typed/{id}/work", (int id, HttpContext c, string? gate) => HoldAsync(c, gate)).RequireDistributedLock("/typed/{id}");
        app.MapPost("/constrained/{id:int}/work", (int id, HttpContext c) => HoldAsync(c, null)).RequireDistributedLock("/typed/{id}");
        app.MapPost("/customers/export", (CustomerOrder order, HttpContext c, string gate) => Results.Stream(async body =>
        {
            await body.WriteAsync("first part\n"u8.ToArray(), c.RequestAborted);
            await body.FlushAsync(c.RequestAborted);
            await _gates[gate].PassAsync(c.Features.Get<IDistributedLockFeature>(), c.RequestAborted);
            await body.WriteAsync("second part\n"u8.ToArray(), c.RequestAborted);
        }, "text/plain")).RequireDistributedLock("/customers/{arg.order.CustomerId}");
        if (errorPath is not null)
        {
            app.MapPost("/boom/{id}", (string id) => Results.Ok(Throw())).RequireDistributedLock("/boom/{id}");
            app.MapPost("/teapot/{id}", (string id) => Results.StatusCode(StatusCodes.Status418ImATeapot)).RequireDistributedLock("/teapot/{id}");
            app.MapPost("/boom-unlocked/{id}", (string id) => Results.Ok(Throw()));
            app.MapPost("/teapot-unlocked/{id}", (string id) => Results.StatusCode(StatusCodes.Status418ImATeapot));
            app.Map("/error", ErrorPage);
            app.Map("/error-locked", ErrorPage).RequireDistributedLock("/errors/handler");
        }

        await app.StartAsync(Ct);
        using var connected = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        connected.CancelAfter(ZooKeeperTestEnvironment.Patience);
        await app.Services.GetRequiredService<ZooKeeperClient>().WaitForConnectedAsync(connected.Token);
        return (app, app.GetTestClient());
    }

    private static string ErrorPage(HttpContext context) =>
        "error page: " + (context.Features.Get<IDistributedLockFeature>()?.Name ?? "no lock");

    private static object Throw() => throw new InvalidOperationException("The handler failed on purpose.");

    private async Task<IResult> HoldAsync(HttpContext context, string? gate)
    {
        var held = context.Features.Get<IDistributedLockFeature>() ?? throw new InvalidOperationException("No lock held.");
        if (gate is not null)
        {
            await _gates[gate].PassAsync(held, context.RequestAborted);
        }

        return Results.Ok(new HeldLock("app", held.Name, held.LockPath, held.Mode.ToString(), held.FencingToken));
    }
}
