using System.Text;
using ZkSync.Client;

namespace ZkSync.Client.Tests.Integration;

public sealed class MultiAndAclTests
{
    [Fact]
    public async Task Multi_AllSucceed_CommitsAndReturnsPerOpResults()
    {
        await using var client = await TestClients.ConnectAsync();
        await using var root = await TestClients.CreateRootAsync(client, "multi-ok");
        await client.CreateAsync(root["existing"], "v0"u8.ToArray());

        var results = await client.MultiAsync(
        [
            ZooKeeperOp.Create(root["a"], "x"u8.ToArray()),
            ZooKeeperOp.Check(root["existing"], 0),
            ZooKeeperOp.SetData(root["existing"], "v1"u8.ToArray(), 0),
            ZooKeeperOp.Create(root["s-"], ReadOnlyMemory<byte>.Empty, CreateMode.PersistentSequential),
        ]);

        Assert.Equal(4, results.Count);
        Assert.All(results, r => Assert.Equal(ZooKeeperErrorCode.Ok, r.ErrorCode));
        Assert.Equal(root["a"], results[0].Path);
        Assert.Equal(1, results[2].Stat!.Version);
        Assert.StartsWith(root["s-"], results[3].Path, StringComparison.Ordinal);
        Assert.Equal("v1", Encoding.UTF8.GetString((await client.GetDataAsync(root["existing"])).Data));
    }

    [Fact]
    public async Task Multi_OneFails_AppliesNothingAndNamesFailingOp()
    {
        await using var client = await TestClients.ConnectAsync();
        await using var root = await TestClients.CreateRootAsync(client, "multi-fail");
        await client.CreateAsync(root["existing"], ReadOnlyMemory<byte>.Empty);

        var ex = await Assert.ThrowsAsync<ZooKeeperException>(() => client.MultiAsync(
        [
            ZooKeeperOp.Create(root["a"], ReadOnlyMemory<byte>.Empty),
            ZooKeeperOp.Check(root["existing"], 5),
            ZooKeeperOp.Delete(root["existing"]),
        ]));

        Assert.Equal(ZooKeeperErrorCode.BadVersion, ex.Code);
        Assert.Equal(1, ex.FailedOperationIndex);
        Assert.Equal(root["existing"], ex.Path);
        Assert.Equal(
            [ZooKeeperErrorCode.Ok, ZooKeeperErrorCode.BadVersion, ZooKeeperErrorCode.RuntimeInconsistency],
            ex.OperationResults.Select(r => r.ErrorCode));
        Assert.Null(await client.ExistsAsync(root["a"]));
        Assert.NotNull(await client.ExistsAsync(root["existing"]));
    }

    [Fact]
    public async Task DigestAcl_OtherIdentity_IsDenied()
    {
        await using var alice = await TestClients.ConnectAsync(configure: o => o.AuthInfo.Add(ZooKeeperAuthInfo.Digest("alice", "s3cret")));
        await using var mallory = await TestClients.ConnectAsync(configure: o => o.AuthInfo.Add(ZooKeeperAuthInfo.Digest("mallory", "guess")));
        await using var root = await TestClients.CreateRootAsync(alice, "acl");
        var acl = new List<ZooKeeperAcl>
        {
            new(ZooKeeperPermissions.All, "digest", ZooKeeperAcl.DigestId("alice", "s3cret")),
            new(ZooKeeperPermissions.Read, "world", "anyone"),
        };

        await alice.CreateAsync(root["private"], "mine"u8.ToArray(), acl: acl);

        var denied = await Assert.ThrowsAsync<ZooKeeperException>(() => mallory.SetDataAsync(root["private"], "theirs"u8.ToArray()));
        Assert.Equal(ZooKeeperErrorCode.NoAuth, denied.Code);
        Assert.Equal("mine", Encoding.UTF8.GetString((await mallory.GetDataAsync(root["private"])).Data));
        var readAcl = await alice.GetAclAsync(root["private"]);
        Assert.Equal(acl, readAcl.Acl);
        var identities = await alice.WhoAmIAsync();
        Assert.Contains(new ZooKeeperClientIdentity("digest", "alice"), identities);
    }

    [Fact]
    public async Task Chroot_PathsAreRelativeToIt()
    {
        await using var admin = await TestClients.ConnectAsync();
        await using var root = await TestClients.CreateRootAsync(admin, "chroot");
        await using var client = await TestClients.ConnectAsync(connectionString: TestClients.ConnectionString + root.Path);
        var fired = new TaskCompletionSource<ZooKeeperWatchEvent>();

        await client.GetChildrenAsync("/", e => fired.TrySetResult(e));
        var created = await client.CreateAsync("/inside", ReadOnlyMemory<byte>.Empty, CreateMode.EphemeralSequential);
        var ephemerals = await client.GetEphemeralsAsync();

        Assert.Equal("/inside0000000000", created.Path);
        Assert.Equal(["/inside0000000000"], ephemerals);
        await admin.SyncAsync(root.Path);
        Assert.NotNull(await admin.ExistsAsync(root["inside0000000000"]));
        var e = await fired.Task.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal("/", e.Path);
    }

    [Fact]
    public async Task Ttl_CreateWithTtl_ReportsNoEphemeralOwner()
    {
        await using var client = await TestClients.ConnectAsync();
        await using var root = await TestClients.CreateRootAsync(client, "ttl");

        var created = await client.CreateAsync(root["t"], ReadOnlyMemory<byte>.Empty, CreateMode.PersistentWithTtl, ttl: TimeSpan.FromMinutes(5));
        var container = await client.CreateAsync(root["c"], ReadOnlyMemory<byte>.Empty, CreateMode.Container);

        Assert.Equal(0, created.Stat.EphemeralOwner);
        Assert.Equal(root["c"], container.Path);
    }

    [Theory]
    [InlineData("relative", "must start with '/'")]
    [InlineData("/a//b", "empty path component")]
    [InlineData("/a/", "must not end with '/'")]
    [InlineData("/a/../b", "relative path components")]
    [InlineData("/a\u0001", "control characters")]
    public async Task InvalidPath_IsRejectedBeforeSending(string path, string rule)
    {
        await using var client = await TestClients.ConnectAsync();

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => client.GetDataAsync(path));

        Assert.Contains(rule, ex.Message, StringComparison.Ordinal);
    }
}
