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

    [Fact]
    public async Task ConfiguredLockAcl_IsSetOnLockNodesAndTheirParents()
    {
        var opsDigest = ZooKeeperAcl.DigestId("ops", "ops-pw");
        var builder = TestApps.CreateBuilder(ZooKeeperTestEnvironment.ConnectionString, _zk.LockRoot, new Dictionary<string, string?>
        {
            ["ZkSync:Auth:User"] = User,
            ["ZkSync:Auth:Password"] = Password,
            ["ZkSync:Locks:Acl:0:Scheme"] = "auth",
            ["ZkSync:Locks:Acl:0:Id"] = "",
            ["ZkSync:Locks:Acl:0:Permissions"] = "All",
            ["ZkSync:Locks:Acl:1:Scheme"] = "digest",
            ["ZkSync:Locks:Acl:1:Id"] = opsDigest,
            ["ZkSync:Locks:Acl:1:Permissions"] = "Read, Delete",
            ["ZkSync:Locks:Acl:2:Scheme"] = "world",
            ["ZkSync:Locks:Acl:2:Id"] = "anyone",
            ["ZkSync:Locks:Acl:2:Permissions"] = "Read",
        });
        builder.Services.AddZkSync(builder.Configuration);
        await using var app = builder.Build();
        await app.StartAsync(Ct);

        await using (var held = await app.Services.GetRequiredService<Locks.ZooKeeperLockProvider>().AcquireAsync("orders/7", ZooKeeperTestEnvironment.Patience, Ct))
        {
            ZooKeeperAcl[] expected =
            [
                new(ZooKeeperPermissions.All, "digest", ZooKeeperAcl.DigestId(User, Password)),
                new(ZooKeeperPermissions.Read | ZooKeeperPermissions.Delete, "digest", opsDigest),
                new(ZooKeeperPermissions.Read, "world", "anyone"),
            ];
            // Read as the holder's identity (ADMIN): ZooKeeper shows digests as 'x' to a reader without ADMIN.
            var zk = app.Services.GetRequiredService<ZooKeeperClient>();
            Assert.Equal(expected, (await zk.GetAclAsync(held.NodePath, Ct)).Acl);
            Assert.Equal(expected, (await zk.GetAclAsync(held.LockPath, Ct)).Acl);
        }

        // Only this identity may delete below the parents it created: clean them up as it (the reaper may be first).
        foreach (var path in new[] { _zk.LockRoot + "/orders/7", _zk.LockRoot + "/orders" })
        {
            try
            {
                await app.Services.GetRequiredService<ZooKeeperClient>().DeleteAsync(path, cancellationToken: Ct);
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
            {
            }
        }

        await app.StopAsync(Ct);
    }
}
