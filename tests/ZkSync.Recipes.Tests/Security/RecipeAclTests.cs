using ZkSync.Barriers;
using ZkSync.Client;
using ZkSync.Leadership;
using ZkSync.Locks;
using ZkSync.Recipes.Tests.Locks;
using ZkSync.Semaphores;

namespace ZkSync.Recipes.Tests.Security;

/// <summary>Default ACLs on recipe nodes: an authenticated identity's nodes cannot be changed by another one, but anyone can read them.</summary>
public sealed class RecipeAclTests
{
    private const string AlicePassword = "alice-secret-7f3a";
    private const string BobPassword = "bob-secret-91c2";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AuthenticatedLock_OtherIdentityCannotDeleteOrOverwrite_ButAnyoneCanList()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        await using var alice = await ConnectAsync("alice", AlicePassword);
        await using var bob = await ConnectAsync("bob", BobPassword);
        var provider = new ZooKeeperLockProvider(alice, new ZooKeeperLockOptions { RootPath = env.Root });
        await using var held = await provider.AcquireAsync("job", LockTestEnvironment.Patience, Ct);
        await env.Admin.SyncAsync(held.LockPath, Ct); // the admin session may read from a member that has not applied alice's create yet

        foreach (var path in new[] { held.NodePath, held.LockPath })
        {
            var acl = (await env.Admin.GetAclAsync(path, Ct)).Acl;
            Assert.Equal(2, acl.Count);
            Assert.Contains(acl, a => a is { Scheme: "digest", Permissions: ZooKeeperPermissions.All } && a.Id.StartsWith("alice:", StringComparison.Ordinal));
            Assert.Contains(acl, a => a is { Scheme: "world", Id: "anyone", Permissions: ZooKeeperPermissions.Read });
        }

        Assert.Equal(ZooKeeperErrorCode.NoAuth, (await Assert.ThrowsAsync<ZooKeeperException>(() => bob.DeleteAsync(held.NodePath, cancellationToken: Ct))).Code);
        Assert.Equal(ZooKeeperErrorCode.NoAuth, (await Assert.ThrowsAsync<ZooKeeperException>(() => bob.SetDataAsync(held.NodePath, "mine"u8.ToArray(), cancellationToken: Ct))).Code);
        Assert.Equal(ZooKeeperErrorCode.NoAuth, (await Assert.ThrowsAsync<ZooKeeperException>(() => env.Admin.DeleteAsync(held.NodePath, cancellationToken: Ct))).Code);
        Assert.Equal([held.NodePath], (await env.Admin.GetChildrenAsync(held.LockPath, cancellationToken: Ct)).Select(c => held.LockPath + "/" + c));
        Assert.False(held.Lost.IsCancellationRequested);
    }

    [Fact]
    public async Task OtherIdentity_OnTheSameRoot_GetsNoAuthNamingPathAndIdentity_WithoutItsSecret()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        await using var alice = await ConnectAsync("alice", AlicePassword);
        await using var bob = await ConnectAsync("bob", BobPassword);
        await using var held = await new ZooKeeperLockProvider(alice, new ZooKeeperLockOptions { RootPath = env.Root }).AcquireAsync("job", LockTestEnvironment.Patience, Ct);
        var bobs = new ZooKeeperLockProvider(bob, new ZooKeeperLockOptions { RootPath = env.Root });

        var sameLock = await Assert.ThrowsAsync<ZooKeeperException>(() => bobs.AcquireAsync("job", LockTestEnvironment.Patience, Ct).AsTask());
        var otherLock = await Assert.ThrowsAsync<ZooKeeperException>(() => bobs.AcquireAsync("other", LockTestEnvironment.Patience, Ct).AsTask());

        Assert.Equal(ZooKeeperErrorCode.NoAuth, sameLock.Code);
        Assert.Contains($"'{held.LockPath}'", sameLock.Message, StringComparison.Ordinal);
        Assert.Contains("digest:bob", sameLock.Message, StringComparison.Ordinal);
        Assert.Equal(ZooKeeperErrorCode.NoAuth, otherLock.Code);
        Assert.Contains($"'{env.Root}'", otherLock.Message, StringComparison.Ordinal);
        foreach (var error in new[] { sameLock, otherLock })
        {
            Assert.DoesNotContain(BobPassword, error.ToString(), StringComparison.Ordinal);
        }

        Assert.Single(await env.ChildrenAsync(held.LockPath));
    }

    [Fact]
    public async Task ElectionSemaphoreAndBarrierNodes_GetTheSameDefault()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        await using var alice = await ConnectAsync("alice", AlicePassword);
        await using var election = new ZooKeeperLeaderElection(alice, "job", new ZooKeeperLeaderElectionOptions { RootPath = env.Root });
        await using var leadership = await election.ElectAsync(TimeSpan.Zero, Ct);
        await using var lease = await new ZooKeeperSemaphore(alice, "exports", 1, new ZooKeeperSemaphoreOptions { RootPath = env.Root }).AcquireAsync(LockTestEnvironment.Patience, Ct);
        var barrier = new ZooKeeperBarrier(alice, env.Root + "/deploy/migrations");
        Assert.True(await barrier.SetAsync(Ct));
        await env.Admin.SyncAsync(env.Root, Ct); // the admin session may read from a member that is behind alice's

        foreach (var path in new[] { leadership.NodePath, lease.NodePath, barrier.Path, env.Root + "/deploy" })
        {
            var acl = (await env.Admin.GetAclAsync(path, Ct)).Acl;
            Assert.Contains(acl, a => a is { Scheme: "digest", Permissions: ZooKeeperPermissions.All });
            Assert.Contains(acl, a => a is { Scheme: "world", Permissions: ZooKeeperPermissions.Read });
            Assert.DoesNotContain(acl, a => a is { Scheme: "world" } && a.Permissions != ZooKeeperPermissions.Read);
        }

        Assert.True(await barrier.RemoveAsync(Ct));
    }

    [Fact]
    public async Task UnauthenticatedSession_NodesStayOpen()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var (client, provider) = await env.NewContenderAsync();
        await using var held = await provider.AcquireAsync("job", LockTestEnvironment.Patience, Ct);

        Assert.Equal(ZooKeeperAcl.OpenUnsafe, (await client.GetAclAsync(held.NodePath, Ct)).Acl);
    }

    private static async Task<ZooKeeperClient> ConnectAsync(string user, string password)
    {
        var options = new ZooKeeperClientOptions { ConnectionString = LockTestEnvironment.ConnectionString };
        options.AuthInfo.Add(ZooKeeperAuthInfo.Digest(user, password));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(LockTestEnvironment.Patience);
        return await ZooKeeperClient.ConnectAsync(options, cancellationToken: cts.Token);
    }
}
