using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ZkSync.AspNetCore.Internal;
using ZkSync.AspNetCore.Tests.Support;
using ZkSync.Client;
using ZkSync.Leadership;
using ZkSync.TestSupport;

namespace ZkSync.AspNetCore.Tests.Integration;

/// <summary>Leader-only services and startup barriers in real hosts against the real ensemble.</summary>
public sealed class HostingTests : IAsyncLifetime
{
    private readonly List<WebApplication> _apps = [];
    private ZooKeeperTestEnvironment _zk = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _zk = await ZooKeeperTestEnvironment.CreateAsync();

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.DisposeAsync();
        }

        await _zk.DisposeAsync();
    }

    [Fact]
    public async Task TwoHosts_OneRunsTheJob_StoppedLeaderHandsOverAndItsTokenFired()
    {
        var journal = new JobJournal();
        var one = await StartAsync("one", b => b.AddLeaderService<NightlyJob>("jobs/nightly", o => o.ParticipantId = "one"), journal);
        var two = await StartAsync("two", b => b.AddLeaderService<NightlyJob>("jobs/nightly", o => o.ParticipantId = "two"), journal);

        var first = await journal.Started.Reader.ReadAsync(Ct).AsTask().WaitAsync(ZooKeeperTestEnvironment.Patience, Ct);
        var (leaderApp, otherApp) = first == "one" ? (one, two) : (two, one);
        var leaderJob = leaderApp.Services.GetRequiredService<NightlyJob>();
        var otherJob = otherApp.Services.GetRequiredService<NightlyJob>();
        Assert.Equal(ZooKeeperLeaderStatus.Leader, leaderJob.Status);
        await WaitForChildrenAsync(_zk.LockRoot + "/leaders/jobs/nightly", 2);
        Assert.Equal(ZooKeeperLeaderStatus.Candidate, otherJob.Status);
        Assert.Equal(first, (await otherJob.GetLeaderAsync(Ct))?.ParticipantId);
        using (var health = await HealthAsync(leaderApp))
        {
            var entry = Assert.Single(Data(health).GetProperty("leaderServices").EnumerateArray());
            Assert.Equal("jobs/nightly", entry.GetProperty("election").GetString());
            Assert.Equal("Leader", entry.GetProperty("status").GetString());
            Assert.Equal(leaderJob.Leadership!.FencingToken, entry.GetProperty("fencingToken").GetInt64());
        }

        await leaderApp.StopAsync(Ct);

        var second = await journal.Started.Reader.ReadAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.NotEqual(first, second);
        Assert.Equal([$"start {first}", $"stop {first}", $"start {second}"], journal.Events);
        Assert.Equal(1, journal.MaxConcurrent);
        Assert.Equal(1, otherJob.Terms);
    }

    [Fact]
    public async Task LeaderSessionExpired_JobTokenFires_AndItLeadsAgainWithANewSession()
    {
        var journal = new JobJournal();
        var app = await StartAsync("solo", b => b.AddLeaderService<NightlyJob>("jobs/expiring"), journal,
            new Dictionary<string, string?> { ["ZkSync:Leaders:RestartDelay"] = "00:00:00.100" });
        await journal.Started.Reader.ReadAsync(Ct).AsTask().WaitAsync(ZooKeeperTestEnvironment.Patience, Ct);
        var job = app.Services.GetRequiredService<NightlyJob>();
        var firstToken = job.Leadership!.FencingToken;

        await SessionKiller.ExpireAsync(app.Services.GetRequiredService<ZooKeeperClient>(), Ct);

        // Revoked reached the job's token (it stopped), and it stood again and leads under a newer token.
        await journal.Started.Reader.ReadAsync(Ct).AsTask().WaitAsync(ZooKeeperTestEnvironment.Patience, Ct);
        Assert.Equal(["start solo", "stop solo", "start solo"], journal.Events);
        Assert.Equal(2, job.Terms);
        Assert.True(job.Leadership!.FencingToken > firstToken);
    }

    [Fact]
    public async Task JobThatThrows_ResignsAndStandsAgain()
    {
        var journal = new JobJournal { FailFirstTerm = true };
        var app = await StartAsync("solo", b => b.AddLeaderService<NightlyJob>("jobs/flaky"), journal,
            new Dictionary<string, string?> { ["ZkSync:Leaders:RestartDelay"] = "00:00:00.100" });

        await journal.Started.Reader.ReadAsync(Ct).AsTask().WaitAsync(ZooKeeperTestEnvironment.Patience, Ct);
        await journal.Started.Reader.ReadAsync(Ct).AsTask().WaitAsync(ZooKeeperTestEnvironment.Patience, Ct);

        var job = app.Services.GetRequiredService<NightlyJob>();
        Assert.Equal(2, job.Terms);
        Assert.Equal("first term fails", job.LastError);
        Assert.Equal(ZooKeeperLeaderStatus.Leader, job.Status);
    }

    [Fact]
    public async Task ReadinessBarrier_SetMeansNotReady_RemovedMeansReady()
    {
        var path = _zk.LockRoot + "/deploy/migrations";
        await _zk.Admin.CreateAsync(_zk.LockRoot, ReadOnlyMemory<byte>.Empty, cancellationToken: Ct);
        await _zk.Admin.CreateAsync(_zk.LockRoot + "/deploy", ReadOnlyMemory<byte>.Empty, cancellationToken: Ct);
        await _zk.Admin.CreateAsync(path, ReadOnlyMemory<byte>.Empty, cancellationToken: Ct);
        var app = await StartAsync("gated", b => b.AddStartupBarrier(path, o => o.Mode = StartupBarrierMode.ReadinessOnly), new JobJournal());
        var barrier = app.Services.GetServices<IHostedService>().OfType<StartupBarrierService>().Single();

        await barrier.WhenStateAsync(StartupBarrierState.Set, Ct).WaitAsync(ZooKeeperTestEnvironment.Patience, Ct);
        using (var whileSet = await HealthAsync(app))
        {
            Assert.Equal("Unhealthy", whileSet.RootElement.GetProperty("status").GetString());
            var entry = Assert.Single(Data(whileSet).GetProperty("startupBarriers").EnumerateArray());
            Assert.Equal(path, entry.GetProperty("path").GetString());
            Assert.Equal("Set", entry.GetProperty("state").GetString());
        }

        await _zk.Admin.DeleteAsync(path, cancellationToken: Ct);

        await barrier.WhenStateAsync(StartupBarrierState.Clear, Ct).WaitAsync(ZooKeeperTestEnvironment.Patience, Ct);
        using var afterwards = await HealthAsync(app);
        Assert.Equal("Healthy", afterwards.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task WaitBeforeStartBarrier_HoldsStartUntilRemoved_AndTimesOutNamingThePath()
    {
        var path = _zk.LockRoot + "/migrations";
        await _zk.Admin.CreateAsync(_zk.LockRoot, ReadOnlyMemory<byte>.Empty, cancellationToken: Ct);
        await _zk.Admin.CreateAsync(path, ReadOnlyMemory<byte>.Empty, cancellationToken: Ct);

        var timedOut = Build("impatient", b => b.AddStartupBarrier(path, o => o.Timeout = TimeSpan.FromMilliseconds(500)), new JobJournal());
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => timedOut.StartAsync(Ct));
        Assert.Contains($"Startup barrier '{path}' was still set after", error.Message, StringComparison.Ordinal);

        var app = Build("patient", b => b.AddStartupBarrier(path), new JobJournal());
        var starting = app.StartAsync(Ct);
        var barrier = app.Services.GetServices<IHostedService>().OfType<StartupBarrierService>().Single();
        await barrier.WhenStateAsync(StartupBarrierState.Set, Ct).WaitAsync(ZooKeeperTestEnvironment.Patience, Ct);
        Assert.False(starting.IsCompleted);

        await _zk.Admin.DeleteAsync(path, cancellationToken: Ct);

        await starting.WaitAsync(ZooKeeperTestEnvironment.Patience, Ct);
        Assert.Equal(StartupBarrierState.Clear, barrier.State);
    }

    [Fact]
    public void Registration_RejectsBadInput()
    {
        var builder = TestApps.CreateBuilder(ZooKeeperTestEnvironment.ConnectionString);
        var zkSync = builder.Services.AddZkSync(builder.Configuration);

        Assert.Contains("'..'", Assert.Throws<ArgumentException>(() => zkSync.AddLeaderService<NightlyJob>("jobs/../x")).Message, StringComparison.Ordinal);
        zkSync.AddLeaderService<NightlyJob>("jobs/nightly");
        Assert.Contains("already registered", Assert.Throws<InvalidOperationException>(() => zkSync.AddLeaderService<NightlyJob>("jobs/other")).Message, StringComparison.Ordinal);
        Assert.Contains("'deploy'", Assert.Throws<ArgumentException>(() => zkSync.AddStartupBarrier("deploy")).Message, StringComparison.Ordinal);
        Assert.Contains("Timeout", Assert.Throws<ArgumentException>(() => zkSync.AddStartupBarrier("/deploy", o => o.Timeout = TimeSpan.Zero)).Message, StringComparison.Ordinal);
    }

    private static JsonElement Data(JsonDocument health) => health.RootElement.GetProperty("entries").GetProperty("zookeeper").GetProperty("data");

    private static async Task<JsonDocument> HealthAsync(WebApplication app)
    {
        // 200 when healthy, 503 when not: the body is the report either way.
        using var response = await app.GetTestClient().GetAsync("/ready", Ct);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
    }

    /// <summary>Waits (on a children watch) until <paramref name="path"/> has <paramref name="count"/> children.</summary>
    private async Task WaitForChildrenAsync(string path, int count)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(ZooKeeperTestEnvironment.Patience);
        while (true)
        {
            var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await _zk.Admin.SyncAsync(path, deadline.Token);
            if ((await _zk.Admin.GetChildrenAsync(path, _ => changed.TrySetResult(), deadline.Token)).Count == count)
            {
                return;
            }

            await changed.Task.WaitAsync(deadline.Token);
        }
    }

    private WebApplication Build(string name, Action<IZkSyncBuilder> configure, JobJournal journal, IDictionary<string, string?>? settings = null)
    {
        var values = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>()) { ["ZkSync:Leaders:RootPath"] = _zk.LockRoot + "/leaders" };
        var builder = TestApps.CreateBuilder(ZooKeeperTestEnvironment.ConnectionString, _zk.LockRoot, values);
        builder.Services.AddSingleton(journal);
        builder.Services.AddSingleton(new TestAppIdentity(name));
        configure(builder.Services.AddZkSync(builder.Configuration));
        var app = builder.Build();
        _apps.Add(app);
        app.MapHealthChecks("/ready", new() { ResponseWriter = HealthChecks.UI.Client.UIResponseWriter.WriteHealthCheckUIResponse });
        return app;
    }

    private async Task<WebApplication> StartAsync(string name, Action<IZkSyncBuilder> configure, JobJournal journal, IDictionary<string, string?>? settings = null)
    {
        var app = Build(name, configure, journal, settings);
        await app.StartAsync(Ct);
        return app;
    }

    /// <summary>What the leader jobs of a test did, in order, across hosts.</summary>
    internal sealed class JobJournal
    {
        private readonly List<string> _events = [];
        private int _running;

        public System.Threading.Channels.Channel<string> Started { get; } = System.Threading.Channels.Channel.CreateUnbounded<string>();

        public bool FailFirstTerm { get; init; }

        public int MaxConcurrent { get; private set; }

        public IReadOnlyList<string> Events
        {
            get
            {
                lock (_events)
                {
                    return [.. _events];
                }
            }
        }

        public void Record(string what, string app, int delta)
        {
            lock (_events)
            {
                _running += delta;
                MaxConcurrent = Math.Max(MaxConcurrent, _running);
                _events.Add($"{what} {app}");
            }
        }
    }

    /// <summary>Runs until cancelled (or fails its first term when asked), recording each term.</summary>
    internal sealed class NightlyJob(JobJournal journal, TestAppIdentity identity) : LeaderBackgroundService
    {
        protected override async Task ExecuteAsLeaderAsync(CancellationToken stoppingToken)
        {
            journal.Record("start", identity.Name, +1);
            journal.Started.Writer.TryWrite(identity.Name);
            try
            {
                if (journal.FailFirstTerm && Terms == 1)
                {
                    throw new InvalidOperationException("first term fails");
                }

                await Task.Delay(Timeout.InfiniteTimeSpan, stoppingToken);
            }
            finally
            {
                journal.Record("stop", identity.Name, -1);
            }
        }
    }
}
