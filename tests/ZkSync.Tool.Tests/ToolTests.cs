using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using ZkSync.AspNetCore;
using ZkSync.Client;
using ZkSync.TestSupport;
using ZkSync.TestSupport.Peers;

[assembly: AssemblyFixture(typeof(ZkSync.Tool.Tests.InstalledTool))]

namespace ZkSync.Tool.Tests;

/// <summary>The packed and installed <c>zksync</c> tool, run as a process against the real ensemble.</summary>
public sealed class ToolTests(InstalledTool tool) : IAsyncLifetime
{
    private readonly string _root = TestPaths.Unique("tool");
    private ZooKeeperClient _admin = null!;

    private static string Server => ZooKeeperEnsemble.ConnectionString;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string LockRoot => _root + "/locks";

    public async ValueTask InitializeAsync()
    {
        using var cts = new CancellationTokenSource(WaitHelper.DefaultTimeout);
        _admin = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectionString = Server }, cancellationToken: cts.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await DeleteTreeAsync(_root);
        await _admin.DisposeAsync();
    }

    [Fact]
    public async Task Locks_NamesTheHolders_OfAnHttpRequestAndOfACuratorPeer()
    {
        await using var app = await LockedApp.StartAsync(LockRoot, _root + "/deploy/migrations");
        var request = app.Client.PostAsync("/orders/42/ship", null, Ct);
        await app.Entered.Task.WaitAsync(WaitHelper.DefaultTimeout, Ct);
        CuratorPeer curator;
        try
        {
            curator = await CuratorPeer.StartAsync(Server, cancellationToken: Ct);
        }
        catch (PeerUnavailableException ex)
        {
            Assert.Skip(ex.Message);
            return;
        }

        await using (curator)
        {
            Assert.True(await curator.AcquireMutexAsync("m", LockRoot + "/reports/daily", WaitHelper.DefaultTimeout, Ct));

            var table = await tool.RunAsync(["locks", "--server", Server, "--root", LockRoot]);
            var json = await tool.RunAsync(["locks", "--server", Server, "--root", LockRoot, "--json"]);

            Assert.True(table.ExitCode == 0, table.ToString());
            var http = Assert.Single(table.StandardOutput.Split('\n'), line => line.StartsWith("orders/42 ", StringComparison.Ordinal));
            Assert.Contains("holds", http, StringComparison.Ordinal);
            Assert.Contains($"instance={Environment.MachineName}", http, StringComparison.Ordinal);
            Assert.Contains("endpoint=POST /orders/{id}/ship", http, StringComparison.Ordinal);
            Assert.Contains("requestId=", http, StringComparison.Ordinal);
            Assert.Contains($"0x{app.SessionId:x}", http, StringComparison.Ordinal);
            var peer = Assert.Single(table.StandardOutput.Split('\n'), line => line.StartsWith("reports/daily ", StringComparison.Ordinal));
            Assert.Contains("holds", peer, StringComparison.Ordinal);
            Assert.Contains("data=", peer, StringComparison.Ordinal); // Curator's default node data: the client's IP address

            Assert.True(json.ExitCode == 0, json.ToString());
            using var document = JsonDocument.Parse(json.StandardOutput);
            var locks = document.RootElement.GetProperty("locks").EnumerateArray().ToDictionary(l => l.GetProperty("name").GetString()!);
            var holder = Assert.Single(locks["orders/42"].GetProperty("holders").EnumerateArray());
            Assert.Equal("POST /orders/{id}/ship", holder.GetProperty("metadata").GetProperty("endpoint").GetString());
            Assert.Equal($"0x{app.SessionId:x}", holder.GetProperty("sessionId").GetString());
            Assert.Single(locks["reports/daily"].GetProperty("holders").EnumerateArray());
            await curator.ReleaseMutexAsync("m", Ct);
        }

        app.Release.TrySetResult();
        Assert.Equal(HttpStatusCode.OK, (await request).StatusCode);
    }

    [Fact]
    public async Task LockRun_PassesTheExitCodeThrough_WithTheFencingTokenInTheEnvironment()
    {
        var result = await tool.RunAsync(["lock", "run", "jobs/reindex", "--server", Server, "--root", LockRoot, "--",
            "sh", "-c", "echo token=$ZKSYNC_FENCING_TOKEN; exit 7"]);

        Assert.True(result.ExitCode == 7, result.ToString());
        var token = long.Parse(result.StandardOutput.Trim().Split('=')[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(token > 0, result.ToString());
        Assert.Empty(await ChildrenAsync(LockRoot + "/jobs/reindex"));
    }

    [Fact]
    public async Task LockRun_SecondRunOnTheSameName_ExitsHeldNamingTheHolder_AndRunsOnceReleased()
    {
        await using var first = tool.Start(["lock", "run", "jobs/nightly", "--server", Server, "--root", LockRoot, "--", "sh", "-c", "echo started; read line; exit 0"]);
        await first.WaitForLineAsync(line => line == "started");

        var second = await tool.RunAsync(["lock", "run", "jobs/nightly", "--server", Server, "--root", LockRoot, "--", "sh", "-c", "echo second"]);

        Assert.True(second.ExitCode == 13, second.ToString());
        Assert.DoesNotContain("second", second.StandardOutput, StringComparison.Ordinal);
        var line = Assert.Single(second.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("is held by session 0x", line, StringComparison.Ordinal);
        Assert.Contains("command=sh", line, StringComparison.Ordinal);

        await first.WriteLineAsync("go");
        Assert.Equal(0, await first.WaitForExitAsync(WaitHelper.DefaultTimeout));
        var third = await tool.RunAsync(["lock", "run", "jobs/nightly", "--server", Server, "--root", LockRoot, "--", "sh", "-c", "echo third"]);
        Assert.True(third.ExitCode == 0, third.ToString());
        Assert.Equal("third", third.StandardOutput.Trim());
    }

    [Fact]
    public async Task LockRun_SessionCutOffUntilItExpires_StopsTheCommand_AndExitsLost()
    {
        var target = Server.Split(',')[0].Split(':');
        await using var proxy = new FaultProxy(target[0], int.Parse(target[1], System.Globalization.CultureInfo.InvariantCulture));

        // The command ignores SIGTERM: the tool must then SIGKILL it after the grace period.
        await using var run = tool.Start(["lock", "run", "jobs/lost", "--server", proxy.Endpoint, "--session-timeout", "4s", "--grace", "1s", "--root", LockRoot, "--",
            "sh", "-c", "trap 'echo got-term' TERM; echo started; while true; do sleep 0.1; done"]);
        await run.WaitForLineAsync(line => line == "started");
        var node = Assert.Single(await ChildrenAsync(LockRoot + "/jobs/lost"));
        var owner = (await _admin.ExistsAsync(LockRoot + "/jobs/lost/" + node, cancellationToken: Ct))!.EphemeralOwner;

        proxy.Mode = FaultMode.Blackhole;

        await run.WaitForLineAsync(line => line.Contains("lost", StringComparison.Ordinal));
        await run.WaitForLineAsync(line => line == "got-term");
        Assert.Equal(14, await run.WaitForExitAsync(WaitHelper.DefaultTimeout));
        Assert.Contains("SIGKILL", run.StandardError, StringComparison.Ordinal);

        // The server ends the session (nobody pings it): its node goes, and nobody else could take the lock before the command stopped.
        await WaitHelper.WaitUntilAsync(async () => await _admin.ExistsAsync(LockRoot + "/jobs/lost/" + node, cancellationToken: Ct) is null, cancellationToken: Ct);
        Assert.NotEqual(0, owner);
    }

    [Fact]
    public async Task BarrierHold_KeepsTheAppNotReadyWhileTheCommandRuns_AndReadyAfter()
    {
        var barrier = _root + "/deploy/migrations";
        await using var app = await LockedApp.StartAsync(LockRoot, barrier);
        await WaitForReadinessAsync(app, HttpStatusCode.OK);

        await using var hold = tool.Start(["barrier", "hold", barrier, "--server", Server, "--note", "job-42", "--", "sh", "-c", "echo migrating; read line; exit 0"]);
        await hold.WaitForLineAsync(line => line == "migrating");
        await WaitForReadinessAsync(app, HttpStatusCode.ServiceUnavailable);
        var status = await tool.RunAsync(["barrier", "status", barrier, "--server", Server]);
        Assert.Contains("set since", status.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("job-42", status.StandardOutput, StringComparison.Ordinal);

        await hold.WriteLineAsync("done");
        Assert.Equal(0, await hold.WaitForExitAsync(WaitHelper.DefaultTimeout));
        Assert.Null(await ExistsAsync(barrier));
        await WaitForReadinessAsync(app, HttpStatusCode.OK);
    }

    [Fact]
    public async Task BarrierHold_FailingCommand_KeepsTheBarrierSetUnlessClearOnFailure()
    {
        var barrier = _root + "/deploy/failing";

        var failed = await tool.RunAsync(["barrier", "hold", barrier, "--server", Server, "--", "sh", "-c", "exit 3"]);
        Assert.True(failed.ExitCode == 3, failed.ToString());
        Assert.NotNull(await ExistsAsync(barrier));
        var wait = await tool.RunAsync(["barrier", "wait", barrier, "--timeout", "0", "--server", Server]);
        Assert.True(wait.ExitCode == 12, wait.ToString());

        var cleared = await tool.RunAsync(["barrier", "hold", barrier, "--clear-on-failure", "--server", Server, "--", "sh", "-c", "exit 4"]);
        Assert.True(cleared.ExitCode == 4, cleared.ToString());
        Assert.Null(await ExistsAsync(barrier));
        Assert.Equal(0, (await tool.RunAsync(["barrier", "wait", barrier, "--timeout", "0", "--server", Server])).ExitCode);
    }

    [Fact]
    public async Task Leaders_ListsTheLeader_AndResignMovesLeadershipOn()
    {
        await using var one = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectionString = Server }, cancellationToken: Ct);
        var leadersRoot = _root + "/leaders";
        await using var first = new Leadership.ZooKeeperLeaderElection(one, "jobs/nightly", new() { RootPath = leadersRoot, ParticipantId = "replica-1" });
        await using var second = new Leadership.ZooKeeperLeaderElection(_admin, "jobs/nightly", new() { RootPath = leadersRoot, ParticipantId = "replica-2" });
        var leadership = await first.ElectAsync(WaitHelper.DefaultTimeout, Ct);
        var standing = second.ElectAsync(cancellationToken: Ct);

        var list = await tool.RunAsync(["leaders", "--server", Server, "--root", leadersRoot]);
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Matches(@"jobs/nightly\s+leader\s+replica-1", list.StandardOutput);

        var refused = await tool.RunAsync(["leader", "resign", "jobs/nightly", "--participant", "replica-1", "--server", Server, "--root", leadersRoot]);
        Assert.True(refused.ExitCode == 2, refused.ToString());
        var resign = await tool.RunAsync(["leader", "resign", "jobs/nightly", "--participant", "replica-1", "--yes", "--server", Server, "--root", leadersRoot]);
        Assert.True(resign.ExitCode == 0, resign.ToString());

        await leadership.Revoked.WhenCancelled().WaitAsync(WaitHelper.DefaultTimeout, Ct);
        await using var next = await standing.WaitAsync(WaitHelper.DefaultTimeout, Ct);
        Assert.Equal("replica-2", next.ParticipantId);
        await leadership.DisposeAsync();
        var missing = await tool.RunAsync(["leader", "resign", "jobs/nightly", "--participant", "nobody", "--yes", "--server", Server, "--root", leadersRoot]);
        Assert.True(missing.ExitCode == 15, missing.ToString());
    }

    [Fact]
    public async Task BadArgumentsAndAnUnreachableServer_OneClearLineAndTheDocumentedExitCode()
    {
        var missing = await tool.RunAsync(["lock", "run", "--server", Server]);
        var unknown = await tool.RunAsync(["locks", "--bogus", "--server", Server]);
        var duration = await tool.RunAsync(["lock", "run", "x", "--wait", "soon", "--server", Server, "--", "true"]);
        var noServer = await tool.RunAsync(["check"]);
        var unreachable = await tool.RunAsync(["check", "--server", "127.0.0.1:1", "--connect-timeout", "2s"]);
        var badPath = await tool.RunAsync(["barrier", "set", "deploy/x", "--server", Server]);

        foreach (var (result, code, text) in new[]
        {
            (missing, 2, "Required argument missing"),
            (unknown, 2, "--bogus"),
            (duration, 2, "Invalid duration 'soon' for --wait"),
            (noServer, 2, "--server"),
            (unreachable, 10, "ZooKeeper not reached at 127.0.0.1:1"),
            (badPath, 2, "Invalid barrier PATH 'deploy/x'"),
        })
        {
            Assert.True(result.ExitCode == code, result.ToString());
            var line = Assert.Single(result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("zksync: ", line, StringComparison.Ordinal);
            Assert.Contains(text, line, StringComparison.Ordinal);
            Assert.Empty(result.StandardOutput);
        }

        var check = await tool.RunAsync(["check", "--server", Server, "--json"]);
        Assert.True(check.ExitCode == 0, check.ToString());
        using var facts = JsonDocument.Parse(check.StandardOutput);
        Assert.StartsWith("0x", facts.RootElement.GetProperty("sessionId").GetString(), StringComparison.Ordinal);
    }

    private async Task WaitForReadinessAsync(LockedApp app, HttpStatusCode expected) =>
        await WaitHelper.WaitUntilAsync(async () => (await app.Client.GetAsync("/health/ready", Ct)).StatusCode == expected, cancellationToken: Ct);

    private async Task<IReadOnlyList<string>> ChildrenAsync(string path)
    {
        try
        {
            await _admin.SyncAsync(path, Ct);
            return await _admin.GetChildrenAsync(path, cancellationToken: Ct);
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
        {
            return [];
        }
    }

    // The tool's sessions wrote the node, perhaps through other members: sync first, as ChildrenAsync does.
    private async Task<ZooKeeperStat?> ExistsAsync(string path)
    {
        await _admin.SyncAsync(path, Ct);
        return await _admin.ExistsAsync(path, cancellationToken: Ct);
    }

    private async Task DeleteTreeAsync(string path)
    {
        foreach (var child in await ChildrenAsync(path))
        {
            await DeleteTreeAsync(path + "/" + child);
        }

        try
        {
            await _admin.DeleteAsync(path);
        }
        catch (ZooKeeperException ex) when (ex.Code is ZooKeeperErrorCode.NoNode or ZooKeeperErrorCode.NotEmpty)
        {
        }
    }

    /// <summary>A minimal ZkSync web app (in memory): a locked endpoint that waits for the test, and /health/ready behind a startup barrier.</summary>
    private sealed class LockedApp : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private LockedApp(WebApplication app) => _app = app;

        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public HttpClient Client { get; private set; } = null!;

        public long SessionId => _app.Services.GetRequiredService<ZooKeeperClient>().Session.SessionId;

        public static async Task<LockedApp> StartAsync(string lockRoot, string barrier)
        {
            var builder = WebApplication.CreateBuilder();
            builder.WebHost.UseTestServer();
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ZkSync:ConnectionString"] = Server,
                ["ZkSync:Locks:RootPath"] = lockRoot,
            });
            builder.Services.AddZkSync(builder.Configuration).AddStartupBarrier(barrier, options => options.Mode = StartupBarrierMode.ReadinessOnly);
            var app = builder.Build();
            LockedApp? locked = null;
            app.UseRouting();
            app.UseZkSync();
            app.MapPost("/orders/{id}/ship", async (string id) =>
            {
                locked!.Entered.TrySetResult();
                await locked.Release.Task;
                return Results.Ok(id);
            }).RequireDistributedLock("/orders/{id}");
            app.MapHealthChecks("/health/ready", new() { Predicate = r => r.Tags.Contains("ready") });
            locked = new LockedApp(app);
            await app.StartAsync(Ct);
            locked.Client = app.GetTestClient();
            await app.Services.GetRequiredService<ZooKeeperClient>().WaitForConnectedAsync(Ct).WaitAsync(WaitHelper.DefaultTimeout, Ct);
            return locked;
        }

        public async ValueTask DisposeAsync()
        {
            Release.TrySetResult();
            Client?.Dispose();
            await _app.StopAsync(CancellationToken.None);
            await _app.DisposeAsync();
        }
    }
}

internal static class CancellationTokenExtensions
{
    public static Task WhenCancelled(this CancellationToken token)
    {
        var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        token.Register(() => completion.TrySetResult());
        return completion.Task;
    }
}
