using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using ZkSync.AspNetCore.Tests.Support;

namespace ZkSync.AspNetCore.Tests.Unit;

/// <summary>
/// How the middleware, metadata and startup checks fit together. ZooKeeper is unreachable here: everything tested
/// happens before a lock is asked for, or is the answer to ZooKeeper being away.
/// </summary>
public sealed class MiddlewareWiringTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task MinimalEndpointWithLock_WithoutUseZkSync_FailsStartup()
    {
        var builder = TestApps.CreateBuilder(TestApps.UnreachableZooKeeper);
        builder.Services.AddZkSync(builder.Configuration);
        await using var app = builder.Build();
        app.MapPost("/orders/{id}/ship", () => "shipped").RequireDistributedLock("/orders/{id}");

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => app.StartAsync(Ct));

        Assert.Contains("Endpoint 'HTTP: POST /orders/{id}/ship' contains distributed lock metadata, but the ZkSync middleware was not found", ex.Message, StringComparison.Ordinal);
        Assert.Contains("app.UseZkSync()", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ControllerWithLock_WithoutUseZkSync_FailsStartup()
    {
        var builder = TestApps.CreateBuilder(TestApps.UnreachableZooKeeper);
        builder.Services.AddZkSync(builder.Configuration);
        builder.AddTestControllers();
        await using var app = builder.Build();
        app.MapControllers();

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => app.StartAsync(Ct));

        Assert.Contains("TestOrdersController.Work", ex.Message, StringComparison.Ordinal);
        Assert.Contains("distributed lock metadata, but the ZkSync middleware was not found", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UseZkSyncBeforeRouting_MinimalEndpoint_ThrowsInsteadOfRunningUnlocked()
    {
        var ran = false;
        var builder = TestApps.CreateBuilder(TestApps.UnreachableZooKeeper);
        builder.Services.AddZkSync(builder.Configuration);
        await using var app = builder.Build();
        app.UseZkSync();
        app.UseRouting();
        app.MapPost("/orders/{id}/ship", () => ran = true).RequireDistributedLock("/orders/{id}");
        await app.StartAsync(Ct);
        using var client = app.GetTestClient();

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => client.PostAsync("/orders/1/ship", null, Ct));

        Assert.Contains("contains distributed lock metadata, but the ZkSync middleware did not run for this request", ex.Message, StringComparison.Ordinal);
        Assert.False(ran);
    }

    [Fact]
    public async Task UseZkSyncBeforeRouting_Controller_ThrowsInsteadOfRunningUnlocked()
    {
        var builder = TestApps.CreateBuilder(TestApps.UnreachableZooKeeper);
        builder.Services.AddZkSync(builder.Configuration);
        var gates = new TestGates();
        builder.AddTestControllers(gates);
        await using var app = builder.Build();
        app.UseZkSync();
        app.UseRouting();
        app.MapControllers();
        await app.StartAsync(Ct);
        using var client = app.GetTestClient();

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => client.PostAsync("/test/orders/1/work?gate=g", null, Ct));

        Assert.Contains("Endpoint Support.TestOrdersController.Work", ex.Message.Replace("ZkSync.AspNetCore.Tests.", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.False(gates["g"].Entered.IsCompleted);
    }

    [Fact]
    public async Task UseZkSyncBeforeRouting_ControllersLockedByConvention_ThrowInsteadOfRunningUnlocked()
    {
        var builder = TestApps.CreateBuilder(TestApps.UnreachableZooKeeper);
        builder.Services.AddZkSync(builder.Configuration);
        builder.AddTestControllers();
        await using var app = builder.Build();
        app.UseZkSync();
        app.UseRouting();
        app.MapControllers().RequireDistributedLock("/everything");
        await app.StartAsync(Ct);
        using var client = app.GetTestClient();

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => client.GetAsync("/test/plain", Ct));

        Assert.Contains("TestPlainController.Plain", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UseZkSync_WithoutAddZkSync_Throws()
    {
        var builder = TestApps.CreateBuilder(TestApps.UnreachableZooKeeper);
        await using var app = builder.Build();

        var ex = Assert.Throws<InvalidOperationException>(() => app.UseZkSync());

        Assert.Contains("AddZkSync", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PlaceholderThatIsNotARouteParameter_FailsStartupNamingEndpointAndPlaceholder()
    {
        var builder = TestApps.CreateBuilder(TestApps.UnreachableZooKeeper);
        builder.Services.AddZkSync(builder.Configuration);
        await using var app = builder.Build();
        app.UseZkSync();
        app.MapPost("/orders/{id}/ship", () => "shipped").RequireDistributedLock("/orders/{orderId}");

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => app.StartAsync(Ct));

        Assert.Contains("Endpoint 'HTTP: POST /orders/{id}/ship': placeholder '{orderId}' of the distributed lock template '/orders/{orderId}' is not a route parameter of the endpoint (route parameters: id)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownPolicy_FailsStartup()
    {
        var builder = TestApps.CreateBuilder(TestApps.UnreachableZooKeeper);
        builder.Services.AddZkSync(builder.Configuration).AddLockPolicy("writes", _ => { });
        await using var app = builder.Build();
        app.UseZkSync();
        app.MapPost("/orders/{id}/ship", () => "shipped").RequireDistributedLock("/orders/{id}", "orders");

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => app.StartAsync(Ct));

        Assert.Contains("the distributed lock policy 'orders' is not registered", ex.Message, StringComparison.Ordinal);
        Assert.Contains("(registered: writes)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidTemplate_ThrowsWhereItIsWritten()
    {
        var builder = TestApps.CreateBuilder(TestApps.UnreachableZooKeeper);
        await using var app = builder.Build();

        var ex = Assert.Throws<ArgumentException>(() => app.MapPost("/orders/{id}", () => "").RequireDistributedLock("/orders/{id:int}"));

        Assert.Contains("write '{id}'", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/test/optional", "id", "the route value is missing")]
    [InlineData("/test/files/a/b", "path", "the route value contains '/'")]
    [InlineData("/test/orders/%01/work", "id", "control character")]
    [InlineData("/test/orders/_c_x/work", "id", "reserved for lock nodes")]
    [InlineData("/test/orders/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx/work", "id", "is 300 characters long; at most 256")]
    public async Task UnusableRouteValue_Answers400NamingThePlaceholder(string url, string placeholder, string reason)
    {
        await using var app = await StartControllersAppAsync();
        using var client = app.GetTestClient();

        using var response = await client.PostAsync(url, null, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<ProblemDetails>(Ct);
        Assert.Equal(400, problem!.Status);
        Assert.Contains($"Route value '{placeholder}'", problem.Detail, StringComparison.Ordinal);
        Assert.Contains(reason, problem.Detail, StringComparison.Ordinal);
        Assert.Equal(placeholder, ((JsonElement)problem.Extensions["placeholder"]!).GetString());
    }

    [Fact]
    public async Task ZooKeeperUnreachable_LockedEndpointAnswers503AtOnce_OthersWork_HealthDegraded()
    {
        var builder = TestApps.CreateBuilder(TestApps.UnreachableZooKeeper);
        builder.Services.AddZkSync(builder.Configuration);
        await using var app = builder.Build();
        app.UseZkSync();
        app.MapPost("/orders/{id}/ship", () => "shipped").RequireDistributedLock("/orders/{id}");
        app.MapGet("/ping", () => "pong");
        app.MapHealthChecks("/health/ready", new() { Predicate = r => r.Tags.Contains("ready") });
        await app.StartAsync(Ct);
        using var client = app.GetTestClient();

        using var locked = await client.PostAsync("/orders/1/ship", null, Ct);
        var pong = await client.GetStringAsync("/ping", Ct);
        var health = await client.GetStringAsync("/health/ready", Ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, locked.StatusCode);
        Assert.Equal("1", locked.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(CultureInfo.InvariantCulture));
        var problem = await locked.Content.ReadFromJsonAsync<ProblemDetails>(Ct);
        Assert.Equal("The distributed lock service is unavailable.", problem!.Title);
        Assert.Equal("pong", pong);
        Assert.Equal("Degraded", health);
    }

    [Fact]
    public async Task ZooKeeperUnreachable_OnRejectedSeesUnavailableAndCanChangeTheStatus()
    {
        DistributedLockRejectedContext? seen = null;
        var builder = TestApps.CreateBuilder(TestApps.UnreachableZooKeeper);
        builder.Services.AddZkSync(builder.Configuration);
        builder.Services.Configure<ZkSyncOptions>(o => o.Locks.OnRejected = (context, _) =>
        {
            seen = context;
            Assert.Equal(503, context.HttpContext.Response.StatusCode);
            context.HttpContext.Response.StatusCode = StatusCodes.Status502BadGateway;
            return ValueTask.CompletedTask;
        });
        await using var app = builder.Build();
        app.UseZkSync();
        app.MapPost("/orders/{id}/ship", () => "shipped").RequireDistributedLock("/orders/{id}");
        await app.StartAsync(Ct);
        using var client = app.GetTestClient();

        using var response = await client.PostAsync("/orders/7/ship", null, Ct);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal(502, (await response.Content.ReadFromJsonAsync<ProblemDetails>(Ct))!.Status);
        Assert.Equal(DistributedLockRejectionReason.Unavailable, seen!.Reason);
        Assert.Equal("orders/7", seen.LockName);
        Assert.Equal("/orders/{id}", seen.Template);
        Assert.NotNull(seen.Exception);
    }

    [Fact]
    public async Task EndpointWithoutMetadata_OrDisabled_RunsWithoutLock()
    {
        var builder = TestApps.CreateBuilder(TestApps.UnreachableZooKeeper);
        builder.Services.AddZkSync(builder.Configuration);
        await using var app = builder.Build();
        app.UseZkSync();
        static string Probe(HttpContext context) => context.Features.Get<IDistributedLockFeature>() is null ? "unlocked" : "locked";
        app.MapGet("/plain", Probe);
        var group = app.MapGroup("/orders/{id}").RequireDistributedLock("/orders/{id}");
        group.MapGet("/status", Probe).DisableDistributedLock();
        await app.StartAsync(Ct);
        using var client = app.GetTestClient();

        Assert.Equal("unlocked", await client.GetStringAsync("/plain", Ct));
        Assert.Equal("unlocked", await client.GetStringAsync("/orders/1/status", Ct));
    }

    [Fact]
    public void Metadata_MostSpecificWins_AndDisableIsSeen()
    {
        var builder = TestApps.CreateBuilder(TestApps.UnreachableZooKeeper);
        builder.Services.AddZkSync(builder.Configuration).AddLockPolicy("reads", _ => { });
        var app = builder.Build();
        var group = app.MapGroup("/tenants/{tenant}").RequireDistributedLock("/tenants/{tenant}");
        group.MapGet("/orders/{id}", () => "").RequireDistributedLock("/orders/{id}", "reads").WithName("own");
        group.MapGet("/info", () => "").WithName("inherited");
        group.MapGet("/free", () => "").DisableDistributedLock().WithName("free");

        var endpoints = ((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints).ToDictionary(e => e.Metadata.GetMetadata<IEndpointNameMetadata>()!.EndpointName);

        var own = endpoints["own"].Metadata.GetMetadata<DistributedLockAttribute>()!;
        Assert.Equal(("/orders/{id}", "reads"), (own.Template, own.PolicyName));
        Assert.Equal("/tenants/{tenant}", endpoints["inherited"].Metadata.GetMetadata<DistributedLockAttribute>()!.Template);
        Assert.NotNull(endpoints["free"].Metadata.GetMetadata<DisableDistributedLockAttribute>());
    }

    [Fact]
    public void Attribute_ExplicitValues_AndValidation()
    {
        var attribute = new DistributedLockAttribute("/orders/{id}") { Mode = Locks.ZooKeeperLockMode.Shared, WaitTimeoutMilliseconds = -1, TtlMilliseconds = 500, OwnerId = "me" };

        Assert.Equal(Timeout.InfiniteTimeSpan, attribute.ExplicitWaitTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(500), attribute.ExplicitTtl);
        Assert.Null(new DistributedLockAttribute("/x").ExplicitWaitTimeout);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DistributedLockAttribute("/x") { WaitTimeoutMilliseconds = -2 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new DistributedLockAttribute("/x") { TtlMilliseconds = 0 });
    }

    private static async Task<Microsoft.AspNetCore.Builder.WebApplication> StartControllersAppAsync()
    {
        var builder = TestApps.CreateBuilder(TestApps.UnreachableZooKeeper);
        builder.Services.AddZkSync(builder.Configuration);
        builder.AddTestControllers();
        var app = builder.Build();
        app.UseRouting();
        app.UseZkSync();
        app.MapControllers();
        await app.StartAsync(Ct);
        return app;
    }
}
