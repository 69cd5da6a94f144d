using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using ZkSync.AspNetCore.Tests.Support;
using ZkSync.Client;
using ZkSync.TestSupport;

namespace ZkSync.AspNetCore.Tests.Integration;

/// <summary>The zookeeper health check's JSON before and after the session expires and after the connected member stops.</summary>
public sealed class HealthTests : IAsyncLifetime
{
    private ZooKeeperTestEnvironment _zk = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _zk = await ZooKeeperTestEnvironment.CreateAsync();

    public async ValueTask DisposeAsync() => await _zk.DisposeAsync();

    [Fact]
    public async Task SessionExpired_HealthShowsTheNewSession()
    {
        await using var app = await StartAsync(ZooKeeperTestEnvironment.ConnectionString);
        var client = app.Services.GetRequiredService<ZooKeeperClient>();
        var (beforeStatus, before) = await HealthAsync(app);
        var expired = client.Session.SessionId;
        var renewed = WhenAsync(client, s => s.IsConnected && s.SessionId != expired);

        await SessionKiller.ExpireAsync(client, Ct);
        await renewed.WaitAsync(ZooKeeperTestEnvironment.Patience, Ct);

        var (afterStatus, after) = await HealthAsync(app);
        Assert.Equal(("Healthy", "Connected"), (beforeStatus, before.GetProperty("state").GetString()));
        Assert.Equal(("Healthy", "Connected"), (afterStatus, after.GetProperty("state").GetString()));
        Assert.Equal("0x" + expired.ToString("x", CultureInfo.InvariantCulture), before.GetProperty("sessionId").GetString());
        Assert.NotEqual(before.GetProperty("sessionId").GetString(), after.GetProperty("sessionId").GetString());
    }

    [Fact]
    [Trait("Category", "Disruptive")]
    public async Task ConnectedMemberStopped_HealthShowsTheOtherMember()
    {
        Assert.SkipUnless(ZooKeeperEnsemble.IsScriptManaged && ZooKeeperEnsemble.MemberCount >= 3,
            "Needs a 3-member ensemble started by eng/zookeeper.sh (a member is stopped and started).");
        await ZooKeeperEnsemble.WaitForQuorumAsync(TimeSpan.FromSeconds(60), Ct);
        var leader = await ZooKeeperEnsemble.FindLeaderAsync(Ct);

        // Only followers: the leader keeps running, so the quorum never breaks for other tests.
        var followers = Enumerable.Range(1, ZooKeeperEnsemble.MemberCount).Where(m => m != leader).Take(2).ToArray();
        await using var app = await StartAsync(ZooKeeperEnsemble.ConnectionStringFor(followers));
        var client = app.Services.GetRequiredService<ZooKeeperClient>();
        var (_, before) = await HealthAsync(app);
        var server = before.GetProperty("connectedServer").GetString()!;
        var victim = followers.Single(m => server.EndsWith(":" + ZooKeeperEnsemble.GetMemberEndPoint(m).Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
        var session = client.Session.SessionId;
        var moved = WhenAsync(client, s => s.IsConnected && s.ConnectedServer != server);
        try
        {
            await ZooKeeperEnsemble.StopMemberAsync(victim, Ct);
            await moved.WaitAsync(ZooKeeperTestEnvironment.Patience, Ct);
            var (status, after) = await HealthAsync(app);

            Assert.Equal("Healthy", status);
            Assert.Equal("Reconnected", after.GetProperty("state").GetString());
            Assert.NotEqual(server, after.GetProperty("connectedServer").GetString());
            Assert.Equal(before.GetProperty("sessionId").GetString(), after.GetProperty("sessionId").GetString());
            Assert.Equal(session, client.Session.SessionId);
        }
        finally
        {
            await ZooKeeperEnsemble.StartMemberAsync(victim, CancellationToken.None);
        }
    }

    private async Task<WebApplication> StartAsync(string connectionString)
    {
        var builder = TestApps.CreateBuilder(connectionString, _zk.LockRoot);
        builder.Services.AddZkSync(builder.Configuration);
        var app = builder.Build();
        app.MapHealthChecks("/ready", new() { ResponseWriter = HealthChecks.UI.Client.UIResponseWriter.WriteHealthCheckUIResponse });
        await app.StartAsync(Ct);
        using var connected = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        connected.CancelAfter(ZooKeeperTestEnvironment.Patience);
        await app.Services.GetRequiredService<ZooKeeperClient>().WaitForConnectedAsync(connected.Token);
        return app;
    }

    private static async Task<(string Status, JsonElement Data)> HealthAsync(WebApplication app)
    {
        using var response = await app.GetTestClient().GetAsync("/ready", Ct);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return (document.RootElement.GetProperty("status").GetString()!,
            document.RootElement.GetProperty("entries").GetProperty("zookeeper").GetProperty("data").Clone());
    }

    /// <summary>Completes on the first state change whose session matches (subscribed before the disturbance).</summary>
    private static Task WhenAsync(ZooKeeperClient client, Func<ZooKeeperSessionInfo, bool> condition)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnStateChanged(object? sender, ZooKeeperSessionStateChangedEventArgs e)
        {
            if (condition(e.Session))
            {
                client.StateChanged -= OnStateChanged;
                reached.TrySetResult();
            }
        }

        client.StateChanged += OnStateChanged;
        return reached.Task;
    }
}
