using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using ZkSync.AspNetCore.Internal;
using ZkSync.AspNetCore.Tests.Support;
using ZkSync.Client;

namespace ZkSync.AspNetCore.Tests.Integration;

/// <summary>The ZooKeeper password never shows: not in logs at Trace level, not in health output, not in errors.</summary>
public sealed class SecretsTests : IAsyncLifetime
{
    private const string User = "orders-api";
    private const string Password = "s3cr3t-Pa55-4e1b";
    private ZooKeeperTestEnvironment _zk = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _zk = await ZooKeeperTestEnvironment.CreateAsync();

    public async ValueTask DisposeAsync() => await _zk.DisposeAsync();

    [Fact]
    public async Task Password_NeverInLogsHealthOrErrors_ThroughAFullLifecycle()
    {
        var builder = TestApps.CreateBuilder(ZooKeeperTestEnvironment.ConnectionString, _zk.LockRoot, new Dictionary<string, string?>
        {
            ["ZkSync:Auth:User"] = User,
            ["ZkSync:Auth:Password"] = Password,
        });
        builder.Logging.AddFakeLogging().SetMinimumLevel(LogLevel.Trace);
        builder.Services.AddZkSync(builder.Configuration);
        await using var app = builder.Build();
        app.UseZkSync();
        app.MapPost("/orders/{id}", () => Results.Ok()).RequireDistributedLock("/orders/{id}");
        app.MapHealthChecks("/ready", new() { ResponseWriter = HealthChecks.UI.Client.UIResponseWriter.WriteHealthCheckUIResponse });
        await app.StartAsync(Ct);
        var client = app.Services.GetRequiredService<ZooKeeperClient>();
        using (var connected = CancellationTokenSource.CreateLinkedTokenSource(Ct))
        {
            connected.CancelAfter(ZooKeeperTestEnvironment.Patience);
            await client.WaitForConnectedAsync(connected.Token);
        }

        var http = app.GetTestClient();
        using var locked = await http.PostAsync("/orders/1", null, Ct);
        Assert.Equal(HttpStatusCode.OK, locked.StatusCode);

        // A refused operation: the error names the identity, never the password.
        await _zk.Admin.CreateAsync(_zk.LockRoot + "-closed", ReadOnlyMemory<byte>.Empty, acl: [new ZooKeeperAcl(ZooKeeperPermissions.Read, "world", "anyone")], cancellationToken: Ct);
        var refused = await Assert.ThrowsAsync<ZooKeeperException>(() =>
            new Locks.ZooKeeperLockProvider(client, new Locks.ZooKeeperLockOptions { RootPath = _zk.LockRoot + "-closed" }).AcquireAsync("x", TimeSpan.FromSeconds(5), Ct).AsTask());
        Assert.Contains("digest:" + User, refused.Message, StringComparison.Ordinal);

        await app.Services.GetRequiredService<ZkSyncSessionTracker>().IdentitiesKnown.WaitAsync(ZooKeeperTestEnvironment.Patience, Ct);
        var health = await http.GetStringAsync("/ready", Ct);
        var options = app.Services.GetRequiredService<IOptions<ZkSyncOptions>>().Value;
        await app.StopAsync(Ct);
        await _zk.Admin.DeleteAsync(_zk.LockRoot + "-closed", cancellationToken: Ct);

        var digest = ZooKeeperAcl.DigestId(User, Password)[(User.Length + 1)..];
        var logs = app.Services.GetFakeLogCollector().GetSnapshot();
        Assert.NotEmpty(logs);
        var texts = logs.Select(r => r.Message + " " + r.Exception + " " + string.Join(" ", r.StructuredState?.Select(kv => kv.Value) ?? []))
            .Concat([health, refused.ToString(), options.ToString() ?? "", options.Auth.ToString() ?? "", client.ToString() ?? ""]);
        foreach (var text in texts)
        {
            Assert.DoesNotContain(Password, text, StringComparison.Ordinal);
            Assert.DoesNotContain(digest, text, StringComparison.Ordinal);
        }

        Assert.Contains("\"digest:" + User + "\"", health, StringComparison.Ordinal);
    }
}
