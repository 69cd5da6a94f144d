using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using ZkSync.AspNetCore.Tests.Support;
using ZkSync.Client;

namespace ZkSync.AspNetCore.Tests.Integration;

/// <summary>
/// Two instances of the sample app (two WebApplicationFactory hosts, two ZooKeeper sessions) against the real ensemble,
/// with the test controllers added. Every test has its own lock root, deleted afterwards.
/// </summary>
public sealed class DistributedLockEndpointTests : IAsyncLifetime
{
    private readonly TestGates _gates = new();
    private readonly LockRecorder _recorder = new();
    private ZooKeeperTestEnvironment _zk = null!;
    private TestApps.SampleApp _app1 = null!;
    private TestApps.SampleApp _app2 = null!;
    private HttpClient _client1 = null!;
    private HttpClient _client2 = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _zk = await ZooKeeperTestEnvironment.CreateAsync();
        _app1 = new TestApps.SampleApp("app1", ZooKeeperTestEnvironment.ConnectionString, _zk.LockRoot, _gates, _recorder);
        _app2 = new TestApps.SampleApp("app2", ZooKeeperTestEnvironment.ConnectionString, _zk.LockRoot, _gates, _recorder);
        _client1 = _app1.CreateClient();
        _client2 = _app2.CreateClient();
        await WaitConnectedAsync(_app1);
        await WaitConnectedAsync(_app2);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var gate in new[] { "a", "b", "h", "r1", "r2", "r3", "w", "l", "x" })
        {
            _gates[gate].Release();
        }

        _client1?.Dispose();
        _client2?.Dispose();
        if (_app1 is not null)
        {
            await _app1.DisposeAsync();
        }

        if (_app2 is not null)
        {
            await _app2.DisposeAsync();
        }

        if (_zk is not null)
        {
            await _zk.DisposeAsync();
        }
    }

    [Fact]
    public async Task SameId_ParallelRequestsFromTwoApps_NeverOverlap()
    {
        const int PerApp = 8;
        Assert.NotEqual(Session(_app1).SessionId, Session(_app2).SessionId);

        var requests = Enumerable.Range(0, PerApp)
            .SelectMany(_ => new[] { _client1, _client2 })
            .Select(client => client.PostAsync("/test/orders/42/queue", null, Ct))
            .ToList();
        var responses = await Task.WhenAll(requests);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var held = await Task.WhenAll(responses.Select(r => r.Content.ReadFromJsonAsync<HeldLock>(Ct)));
        Assert.Equal(PerApp, held.Count(h => h!.App == "app1"));
        Assert.Equal(PerApp, held.Count(h => h!.App == "app2"));
        Assert.Equal(1, _recorder.MaxConcurrent);
        var intervals = _recorder.Intervals.Where(i => i.Lock == "orders/42").OrderBy(i => i.Entered).ToList();
        Assert.Equal(2 * PerApp, intervals.Count);
        for (var i = 1; i < intervals.Count; i++)
        {
            Assert.True(intervals[i].Entered >= intervals[i - 1].Exited, $"Holder {i} ({intervals[i].App}) entered before holder {i - 1} ({intervals[i - 1].App}) left.");
        }

        // Every holder got its own, larger fencing token.
        Assert.Equal(held.Length, held.Select(h => h!.FencingToken).Distinct().Count());
        Assert.Empty(await _zk.LockNodesAsync("orders/42"));
    }

    [Fact]
    public async Task HeldLock_NodeNamesTheReplicaEndpointAndRequest_ForOperators()
    {
        // As OpenTelemetry's ASP.NET Core instrumentation does: with a listener, the server's request activity continues the caller's trace.
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = source => source.Name == "Microsoft.AspNetCore",
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllData,
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/test/orders/77/work?gate=h");
        request.Headers.Add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        var holder = _client1.SendAsync(request, Ct);
        await _gates["h"].Entered;

        // The app's session created the node, perhaps through another member: sync the admin session before it reads.
        await _zk.Admin.SyncAsync(_zk.LockRoot + "/orders/77", Ct);
        var info = await new ZkSync.Inspection.ZooKeeperInspector(_zk.Admin).GetLockAsync(_zk.LockRoot + "/orders/77", cancellationToken: Ct);

        var node = Assert.Single(info!.Holders);
        Assert.Equal(Session(_app1).SessionId, node.SessionId);
        Assert.Equal(Environment.MachineName, node.Metadata["instance"]);
        Assert.Equal("POST /test/orders/{id}/work", node.Metadata["endpoint"]);
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", node.Metadata["traceId"]);
        Assert.False(string.IsNullOrEmpty(node.Metadata["requestId"]));
        Assert.DoesNotContain(node.Metadata.Values, value => value.Contains("77", StringComparison.Ordinal));
        _gates["h"].Release();
        Assert.Equal(HttpStatusCode.OK, (await holder).StatusCode);
    }

    [Fact]
    public async Task DifferentIds_RunInParallel()
    {
        var a = _client1.PostAsync("/test/orders/A/work?gate=a", null, Ct);
        var b = _client2.PostAsync("/test/orders/B/work?gate=b", null, Ct);

        // Both are inside their locks at the same time before either is let go.
        var heldA = await _gates["a"].Entered;
        var heldB = await _gates["b"].Entered;
        _gates["a"].Release();
        _gates["b"].Release();

        Assert.Equal("orders/A", heldA!.Name);
        Assert.Equal("orders/B", heldB!.Name);
        Assert.Equal(HttpStatusCode.OK, (await a).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await b).StatusCode);
    }

    [Fact]
    public async Task Contention_Answers409ProblemWithRetryAfter_AndHolderGetsItsFencingToken()
    {
        using var rejections = new MetricCollector<long>(_app2.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), ZkSyncDiagnostics.AspNetCoreMeterName, "zksync.aspnetcore.lock.rejections");
        var holder = _client1.PostAsync("/test/orders/7/work?gate=h", null, Ct);
        var held = await _gates["h"].Entered;

        using var rejected = await _client2.PostAsync("/test/orders/7/work", null, Ct);
        _gates["h"].Release();
        using var holderResponse = await holder;
        using var next = await _client2.PostAsync("/test/orders/7/work", null, Ct);

        Assert.Equal(HttpStatusCode.Conflict, rejected.StatusCode);
        Assert.Equal("application/problem+json", rejected.Content.Headers.ContentType?.MediaType);
        Assert.Equal(TimeSpan.FromSeconds(1), rejected.Headers.RetryAfter?.Delta);
        Assert.False(rejected.Headers.Contains("X-Fencing-Token"));
        var problem = await rejected.Content.ReadFromJsonAsync<ProblemDetails>(Ct);
        Assert.Equal(409, problem!.Status);
        Assert.Equal("The resource is locked.", problem.Title);
        Assert.Equal("https://tools.ietf.org/html/rfc9110#section-15.5.10", problem.Type);
        Assert.Equal("orders/7", ((JsonElement)problem.Extensions["lock"]!).GetString());
        Assert.True(problem.Extensions.ContainsKey("traceId"), "Written through the app's IProblemDetailsService.");
        var measurement = Assert.Single(rejections.GetMeasurementSnapshot());
        Assert.Equal("contention", measurement.Tags["zksync.lock.rejection_reason"]);
        Assert.Equal("/orders/{id}", measurement.Tags["zksync.lock.template"]);

        Assert.Equal(HttpStatusCode.OK, holderResponse.StatusCode);
        Assert.Equal(held!.FencingToken.ToString(CultureInfo.InvariantCulture), Assert.Single(holderResponse.Headers.GetValues("X-Fencing-Token")));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.True(long.Parse(Assert.Single(next.Headers.GetValues("X-Fencing-Token")), CultureInfo.InvariantCulture) > held.FencingToken);
    }

    [Fact]
    public async Task SharedMode_ReadersOverlap_AndExcludeWriters()
    {
        var reader1 = _client1.GetAsync("/test/orders/9/read?gate=r1", Ct);
        var reader2 = _client2.GetAsync("/test/orders/9/read?gate=r2", Ct);
        var reader3 = _client2.GetAsync("/test/orders/9/read-policy?gate=r3", Ct);
        var held = new[] { await _gates["r1"].Entered, await _gates["r2"].Entered, await _gates["r3"].Entered };

        using var writerWhileReading = await _client1.PostAsync("/test/orders/9/work", null, Ct);
        _gates["r1"].Release();
        _gates["r2"].Release();
        _gates["r3"].Release();
        Assert.All(await Task.WhenAll(reader1, reader2, reader3), r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));

        var writer = _client1.PostAsync("/test/orders/9/work?gate=w", null, Ct);
        await _gates["w"].Entered;
        using var readerWhileWriting = await _client2.GetAsync("/test/orders/9/read", Ct);
        _gates["w"].Release();

        Assert.All(held, h => Assert.Equal(Locks.ZooKeeperLockMode.Shared, h!.Mode));
        Assert.Equal(HttpStatusCode.Conflict, writerWhileReading.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, readerWhileWriting.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await writer).StatusCode);
    }

    [Fact]
    public async Task ThrowingHandler_ReleasesTheLock()
    {
        using var failed = await _client1.PostAsync("/test/orders/13/fail", null, Ct);

        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Empty(await _zk.LockNodesAsync("orders/13"));
        using var next = await _client2.PostAsync("/test/orders/13/work", null, Ct);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    [Fact]
    public async Task ClientAbort_WhileHoldingOrWaiting_ReleasesAndLeavesNoNode()
    {
        var holder = _client1.PostAsync("/test/orders/21/work?gate=x", null, Ct);
        await _gates["x"].Entered;
        using (var giveUp = CancellationTokenSource.CreateLinkedTokenSource(Ct))
        {
            var waiter = _client2.PostAsync("/test/orders/21/queue", null, giveUp.Token);
            await _zk.WaitForLockNodesAsync("orders/21", count => count == 2);
            await giveUp.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiter);
        }

        await _zk.WaitForLockNodesAsync("orders/21", count => count == 1);
        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var abandoned = _client1.PostAsync("/test/orders/22/work?gate=a", null, abandon.Token);
        await _gates["a"].Entered;
        await abandon.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);

        await _zk.WaitForLockNodesAsync("orders/22", count => count == 0);
        _gates["x"].Release();
        Assert.Equal(HttpStatusCode.OK, (await holder).StatusCode);
    }

    [Fact]
    public async Task LostLock_AbortsTheRequest_Answers503()
    {
        var holder = _client1.PostAsync("/test/orders/31/work?gate=l", null, Ct);
        var held = await _gates["l"].Entered;

        // An operator (or a TTL eviction) deletes the holder's node: the handle's Lost fires, RequestAborted with it.
        await _zk.Admin.DeleteAsync(held!.Handle.NodePath, cancellationToken: Ct);
        using var response = await holder;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<ProblemDetails>(Ct);
        Assert.Equal("The distributed lock was lost.", problem!.Title);
        Assert.True(held.Lost.IsCancellationRequested);
        using var next = await _client2.PostAsync("/test/orders/31/work", null, Ct);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    [Fact]
    public async Task Health_ShowsTheSessionAndTheHeldLocks()
    {
        var holder = _client1.PostAsync("/test/orders/55/work?gate=h", null, Ct);
        var held = await _gates["h"].Entered;

        using var whileHeld = JsonDocument.Parse(await _client1.GetStringAsync("/health/ready", Ct));
        _gates["h"].Release();
        await holder;
        using var afterwards = JsonDocument.Parse(await _client1.GetStringAsync("/health/ready", Ct));
        var live = await _client1.GetStringAsync("/health/live", Ct);

        Assert.Equal("Healthy", whileHeld.RootElement.GetProperty("status").GetString());
        var zookeeper = whileHeld.RootElement.GetProperty("entries").GetProperty("zookeeper");
        Assert.Equal(["ready"], zookeeper.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        var data = zookeeper.GetProperty("data");
        Assert.Equal("Connected", data.GetProperty("state").GetString());
        Assert.Matches("^0x[0-9a-f]+$", data.GetProperty("sessionId").GetString());
        Assert.NotEqual("0x0", data.GetProperty("sessionId").GetString());
        Assert.Contains(data.GetProperty("connectedServer").GetString()!, ZooKeeperTestEnvironment.ConnectionString, StringComparison.Ordinal);
        Assert.Equal(10_000, data.GetProperty("negotiatedTimeoutMs").GetInt64());
        Assert.Matches("^0x[0-9a-f]+$", data.GetProperty("lastZxid").GetString());
        Assert.Equal(1, data.GetProperty("heldLockCount").GetInt32());
        var heldLock = Assert.Single(data.GetProperty("heldLocks").EnumerateArray());
        Assert.Equal("orders/55", heldLock.GetProperty("name").GetString());
        Assert.Equal(_zk.LockRoot + "/orders/55", heldLock.GetProperty("path").GetString());
        Assert.Equal("exclusive", heldLock.GetProperty("mode").GetString());
        Assert.Equal(held!.FencingToken, heldLock.GetProperty("fencingToken").GetInt64());
        Assert.True(heldLock.TryGetProperty("heldSince", out _));

        Assert.Equal(0, afterwards.RootElement.GetProperty("entries").GetProperty("zookeeper").GetProperty("data").GetProperty("heldLockCount").GetInt32());
        Assert.Equal("Healthy", live);
    }

    [Fact]
    public async Task SampleEndpoints_PayShipAndRead_UnderTheOrderLock()
    {
        // The sample's order store lives in memory: one app.
        using var pay = await _client1.PostAsync("/orders/77/pay", null, Ct);
        using var ship = await _client1.PostAsync("/orders/77/ship", null, Ct);
        using var read = await _client1.GetAsync("/orders/77", Ct);
        using var free = await _client1.GetAsync("/test/orders/77/free", Ct);

        Assert.Equal(HttpStatusCode.OK, pay.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ship.StatusCode);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        var tokens = new[] { pay, ship, read }.Select(r => long.Parse(Assert.Single(r.Headers.GetValues("X-Fencing-Token")), CultureInfo.InvariantCulture)).ToArray();
        Assert.True(tokens[0] < tokens[1] && tokens[1] < tokens[2], string.Join(", ", tokens));
        Assert.Equal("unlocked", await free.Content.ReadAsStringAsync(Ct));
        Assert.Contains("\"status\":\"Paid\"", await pay.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SamplePayments_OnePaymentPerIdempotencyKey_AcrossReplicas()
    {
        var provider = new Locks.ZooKeeperLockProvider(_zk.Admin, new Locks.ZooKeeperLockOptions { RootPath = _zk.LockRoot });
        HttpRequestMessage Pay(string? key)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/payments") { Content = JsonContent.Create(new { orderId = "42", amount = 9.5m }) };
            if (key is not null)
            {
                request.Headers.Add("Idempotency-Key", key);
            }

            return request;
        }

        // The key's lock held elsewhere (as by the original request on another replica): the retry is refused, not charged.
        HttpResponseMessage whileHeld;
        await using (var original = await provider.TryAcquireAsync("payments/key-1", TimeSpan.Zero, Ct))
        {
            Assert.NotNull(original);
            whileHeld = await _client2.SendAsync(Pay("key-1"), Ct);
        }

        using var first = await _client1.SendAsync(Pay("key-1"), Ct);
        using var retry = await _client1.SendAsync(Pay("key-1"), Ct);
        using var otherKey = await _client1.SendAsync(Pay("key-2"), Ct);
        using var noKey = await _client1.SendAsync(Pay(null), Ct);

        Assert.Equal(HttpStatusCode.Conflict, whileHeld.StatusCode);
        Assert.Equal("payments/key-1", ((JsonElement)(await whileHeld.Content.ReadFromJsonAsync<ProblemDetails>(Ct))!.Extensions["lock"]!).GetString());
        whileHeld.Dispose();
        var paid = await first.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var replayed = await retry.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.False(paid.GetProperty("replayed").GetBoolean());
        Assert.True(replayed.GetProperty("replayed").GetBoolean());
        Assert.Equal(paid.GetProperty("paymentId").GetString(), replayed.GetProperty("paymentId").GetString());
        Assert.NotEqual(paid.GetProperty("paymentId").GetString(), (await otherKey.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("paymentId").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, noKey.StatusCode);
        Assert.Contains("Header 'Idempotency-Key'", (await noKey.Content.ReadFromJsonAsync<ProblemDetails>(Ct))!.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SampleShipments_BodyKeyedLock_IsTheOrdersLock()
    {
        var provider = new Locks.ZooKeeperLockProvider(_zk.Admin, new Locks.ZooKeeperLockOptions { RootPath = _zk.LockRoot });
        using var pay = await _client1.PostAsync("/orders/55/pay", null, Ct);

        HttpResponseMessage whileHeld;
        await using (var held = await provider.TryAcquireAsync("orders/55", TimeSpan.Zero, Ct))
        {
            Assert.NotNull(held);
            whileHeld = await _client1.PostAsJsonAsync("/shipments", new { orderId = "55", carrier = "dhl" }, Ct);
        }

        using var shipped = await _client1.PostAsJsonAsync("/shipments", new { orderId = "55", carrier = "dhl" }, Ct);
        using var malformed = await _client1.PostAsync("/shipments", new StringContent("{", System.Text.Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.OK, pay.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, whileHeld.StatusCode);
        Assert.Equal("orders/55", ((JsonElement)(await whileHeld.Content.ReadFromJsonAsync<ProblemDetails>(Ct))!.Extensions["lock"]!).GetString());
        whileHeld.Dispose();
        Assert.Equal(HttpStatusCode.OK, shipped.StatusCode);
        Assert.Contains("\"status\":\"Shipped\"", await shipped.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.True(shipped.Headers.Contains("X-Fencing-Token"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.False(malformed.Headers.Contains("X-Fencing-Token"));
    }

    private static ZooKeeperSessionInfo Session(TestApps.SampleApp app) => app.Services.GetRequiredService<ZooKeeperClient>().Session;

    private static async Task WaitConnectedAsync(TestApps.SampleApp app)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(ZooKeeperTestEnvironment.Patience);
        await app.Services.GetRequiredService<ZooKeeperClient>().WaitForConnectedAsync(cts.Token);
    }

    /// <summary>Waits (on child watches, not on a timer) until the lock's node count satisfies <paramref name="condition"/>.</summary>
}
