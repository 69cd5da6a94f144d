using Xunit;
using ZkSync.Barriers;
using ZkSync.Client;
using ZkSync.Inspection;
using ZkSync.Leadership;
using ZkSync.Locks;
using ZkSync.Recipes.Tests.Locks;
using ZkSync.Semaphores;

namespace ZkSync.Recipes.Tests.Inspection;

/// <summary><see cref="ZooKeeperInspector"/> against a real ensemble: what it reports is what the recipes did.</summary>
public sealed class InspectorTests
{
    [Fact]
    public async Task GetLocksAsync_HeldAndQueued_ListsHolderFirstWithSessionTokenOwnerAndMetadata()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var env = await LockTestEnvironment.CreateAsync();
        var (holderClient, holder) = await env.NewContenderAsync();
        var (waiterClient, waiter) = await env.NewContenderAsync();
        var request = new ZooKeeperLockRequest
        {
            OwnerId = "job-7",
            Metadata = new Dictionary<string, string> { ["instance"] = "pod-a", ["endpoint"] = "POST /orders/{id}", ["traceId"] = "abc123" },
        };
        await using var held = await holder.AcquireAsync("orders/42", request, TimeSpan.FromSeconds(10), ct);
        var waiting = waiter.AcquireAsync("orders/42", TimeSpan.FromSeconds(30), ct).AsTask();
        await env.WaitForChildrenAsync(env.Root + "/orders/42", children => children.Count == 2);

        var page = await new ZooKeeperInspector(env.Admin).GetLocksAsync(env.Root, cancellationToken: ct);

        var info = Assert.Single(page.Items);
        Assert.True(page.IsComplete);
        Assert.Equal("orders/42", info.Name);
        Assert.Equal(env.Root + "/orders/42", info.Path);
        Assert.Equal(2, info.QueueLength);
        var first = Assert.Single(info.Holders);
        Assert.Equal(held.FencingToken, first.FencingToken);
        Assert.Equal(holderClient.Session.SessionId, first.SessionId);
        Assert.Equal("job-7", first.OwnerId);
        Assert.Equal("pod-a", first.Metadata["instance"]);
        Assert.Equal("POST /orders/{id}", first.Metadata["endpoint"]);
        Assert.Equal("abc123", first.Metadata["traceId"]);
        Assert.Equal(ZooKeeperQueueNodeKind.Lock, first.Kind);
        Assert.Equal(0, first.Position);
        var second = Assert.Single(info.Waiters);
        Assert.Equal(waiterClient.Session.SessionId, second.SessionId);
        Assert.Equal(1, second.Position);
        Assert.Null(second.OwnerId);
        Assert.Empty(second.Metadata);

        await held.DisposeAsync();
        await using var next = await waiting;
        // The contenders' sessions released and took the lock, perhaps through other members: sync the admin session before
        // the inspector reads through it (ZooKeeper orders reads after writes only within one session).
        await env.Admin.SyncAsync(env.Root + "/orders/42", ct);
        var after = await new ZooKeeperInspector(env.Admin).GetLockAsync(env.Root + "/orders/42", cancellationToken: ct);
        Assert.Equal(waiterClient.Session.SessionId, Assert.Single(after!.Holders).SessionId);
        Assert.Equal(next.FencingToken, after.Holders[0].FencingToken);
    }

    [Fact]
    public async Task GetLocksAsync_SharedHolders_AllHoldUntilAWriterQueues()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var env = await LockTestEnvironment.CreateAsync();
        var (_, one) = await env.NewContenderAsync();
        var (_, two) = await env.NewContenderAsync();
        var shared = new ZooKeeperLockRequest { Mode = ZooKeeperLockMode.Shared };
        await using var r1 = await one.AcquireAsync("reports", shared, TimeSpan.FromSeconds(10), ct);
        await using var r2 = await two.AcquireAsync("reports", shared, TimeSpan.FromSeconds(10), ct);
        var writer = one.AcquireAsync("reports", TimeSpan.FromSeconds(30), ct).AsTask();
        await env.WaitForChildrenAsync(env.Root + "/reports", children => children.Count == 3);

        var info = (await new ZooKeeperInspector(env.Admin).GetLockAsync(env.Root + "/reports", cancellationToken: ct))!;

        Assert.Equal([true, true, false], info.Queue.Select(node => node.IsHolder));
        Assert.Equal([ZooKeeperLockMode.Shared, ZooKeeperLockMode.Shared, ZooKeeperLockMode.Exclusive], info.Queue.Select(node => node.Mode));
        await r1.DisposeAsync();
        await r2.DisposeAsync();
        await (await writer).DisposeAsync();
    }

    [Fact]
    public async Task GetLocksAsync_KazooAndForeignNodes_RecognisesKazooAndWalksIntoNestedNames()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var env = await LockTestEnvironment.CreateAsync();
        var (client, provider) = await env.NewContenderAsync();
        await using var outer = await provider.AcquireAsync("a", TimeSpan.FromSeconds(10), ct);
        await using var nested = await provider.AcquireAsync("a/b", TimeSpan.FromSeconds(10), ct);

        // kazoo's layout, as kazoo's Lock writes it: <uuid hex>__lock__<seq> with the identifier as data.
        await client.CreateAsync(env.Root + "/k", ReadOnlyMemory<byte>.Empty, cancellationToken: ct);
        await client.CreateAsync(env.Root + "/k/" + Guid.NewGuid().ToString("N") + "__lock__", "worker-3"u8.ToArray(), CreateMode.EphemeralSequential, cancellationToken: ct);
        await client.CreateAsync(env.Root + "/k/" + Guid.NewGuid().ToString("N") + "__rlock__", "reader-1"u8.ToArray(), CreateMode.EphemeralSequential, cancellationToken: ct);
        await env.Admin.SyncAsync(env.Root, ct); // another session wrote them, as above

        var page = await new ZooKeeperInspector(env.Admin).GetLocksAsync(env.Root, cancellationToken: ct);

        Assert.Equal(["a", "a/b", "k"], page.Items.Select(item => item.Name));
        var kazoo = page.Items[2];
        Assert.Equal([ZooKeeperQueueNodeKind.KazooLock, ZooKeeperQueueNodeKind.KazooReadLock], kazoo.Queue.Select(node => node.Kind));
        Assert.Equal(["worker-3", "reader-1"], kazoo.Queue.Select(node => node.OwnerId));
        Assert.Equal([true, false], kazoo.Queue.Select(node => node.IsHolder));
    }

    [Fact]
    public async Task GetLocksAsync_ManyNames_PagesCoverEveryNameOnceWithinTheBudget()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var env = await LockTestEnvironment.CreateAsync();
        await env.Admin.CreateAsync(env.Root, ReadOnlyMemory<byte>.Empty, cancellationToken: ct);
        await env.Admin.CreateAsync(env.Root + "/orders", ReadOnlyMemory<byte>.Empty, cancellationToken: ct);
        var expected = new List<string>();
        for (var i = 0; i < 60; i++)
        {
            var name = $"orders/{i:D3}";
            expected.Add(name);
            await env.Admin.CreateAsync($"{env.Root}/{name}", ReadOnlyMemory<byte>.Empty, cancellationToken: ct);
            await env.Admin.CreateAsync($"{env.Root}/{name}/_c_{Guid.NewGuid():D}-lock-", ReadOnlyMemory<byte>.Empty, CreateMode.EphemeralSequential, cancellationToken: ct);
        }

        var inspector = new ZooKeeperInspector(env.Admin, new ZooKeeperInspectorOptions { MaxConcurrency = 4 });
        var seen = new List<string>();
        string? after = null;
        var pages = 0;
        do
        {
            var page = await inspector.GetLocksAsync(env.Root, new ZooKeeperInspectionQuery { Prefix = "orders", PageSize = 25, NodeBudget = 30, After = after }, ct);
            Assert.True(page.Reads <= 30, $"page {pages} sent {page.Reads} reads");
            Assert.NotEmpty(page.Items);
            seen.AddRange(page.Items.Select(item => item.Name));
            after = page.ContinueAfter;
            Assert.True(++pages < 20, "the listing does not progress");
        }
        while (after is not null);

        Assert.Equal(expected, seen);
        Assert.True(pages >= 4, $"{pages} pages: the budget of 30 reads should split 60 locks (2 reads each)");

        var filtered = await inspector.GetLocksAsync(env.Root, new ZooKeeperInspectionQuery { Prefix = "orders/05" }, ct);
        Assert.Equal(expected.Where(name => name.StartsWith("orders/05", StringComparison.Ordinal)), filtered.Items.Select(item => item.Name));
    }

    [Fact]
    public async Task GetElectionsAsync_TwoParticipants_LeaderFirstWithPublishedData()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var env = await LockTestEnvironment.CreateAsync();
        var (one, _) = await env.NewContenderAsync();
        var (two, _) = await env.NewContenderAsync();
        var options1 = new ZooKeeperLeaderElectionOptions { RootPath = env.Root, ParticipantId = "replica-1" };
        options1.Metadata["url"] = "http://replica-1:8080";
        await using var first = new ZooKeeperLeaderElection(one, "jobs/nightly", options1);
        await using var second = new ZooKeeperLeaderElection(two, "jobs/nightly", new ZooKeeperLeaderElectionOptions { RootPath = env.Root, ParticipantId = "replica-2" });
        await using var leadership = await first.ElectAsync(TimeSpan.FromSeconds(10), ct);
        var standing = second.ElectAsync(cancellationToken: ct);
        await env.WaitForChildrenAsync(env.Root + "/jobs/nightly", children => children.Count == 2);

        var inspector = new ZooKeeperInspector(env.Admin);
        var page = await inspector.GetElectionsAsync(env.Root, cancellationToken: ct);

        var election = Assert.Single(page.Items);
        Assert.Equal("jobs/nightly", election.Name);
        Assert.Equal(["replica-1", "replica-2"], election.Participants.Select(p => p.OwnerId));
        Assert.Equal("replica-1", election.Leader!.OwnerId);
        Assert.True(election.Leader.IsHolder);
        Assert.Equal("http://replica-1:8080", election.Leader.Metadata["url"]);
        Assert.Equal(leadership.FencingToken, election.Leader.FencingToken);
        Assert.Empty((await inspector.GetLocksAsync(env.Root, cancellationToken: ct)).Items);

        await leadership.ResignAsync(ct);
        await using var next = await standing;
        await env.Admin.SyncAsync(env.Root + "/jobs/nightly", ct); // another session resigned, as above
        Assert.Equal("replica-2", (await inspector.GetElectionAsync(env.Root + "/jobs/nightly", ct))!.Leader!.OwnerId);
    }

    [Fact]
    public async Task GetBarrierAsync_SetAndRemoved_ReportsStateTimeAndData()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var env = await LockTestEnvironment.CreateAsync();
        var inspector = new ZooKeeperInspector(env.Admin);
        var path = env.Root + "/deploy/migrations";
        var barrier = new ZooKeeperBarrier(env.Admin, path);

        Assert.False((await inspector.GetBarrierAsync(path, ct)).IsSet);
        Assert.True(await barrier.SetAsync("job-42"u8.ToArray(), ct));
        Assert.False(await barrier.SetAsync("job-43"u8.ToArray(), ct));
        var set = await inspector.GetBarrierAsync(path, ct);
        Assert.True(set.IsSet);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds((await env.Admin.ExistsAsync(path, cancellationToken: ct))!.Ctime), set.SetAt);
        Assert.Equal(0, set.SessionId);
        Assert.Equal("job-42", set.Data);

        Assert.True(await barrier.RemoveAsync(ct));
        var clear = await inspector.GetBarrierAsync(path, ct);
        Assert.False(clear.IsSet);
        Assert.Null(clear.SetAt);
    }

    [Fact]
    public async Task GetSemaphoreAsync_TwoLeases_ListsBothAsHolders()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var env = await LockTestEnvironment.CreateAsync();
        var (one, _) = await env.NewContenderAsync();
        var (two, _) = await env.NewContenderAsync();
        var options = new ZooKeeperSemaphoreOptions { RootPath = env.Root };
        var s1 = new ZooKeeperSemaphore(one, "exports", 3, options);
        var s2 = new ZooKeeperSemaphore(two, "exports", 3, options);
        await using var lease1 = await s1.AcquireAsync(TimeSpan.FromSeconds(10), ct);
        await using var lease2 = await s2.AcquireAsync(TimeSpan.FromSeconds(10), ct);
        await env.Admin.SyncAsync(s1.Path, ct); // other sessions wrote the leases, as above

        var info = await new ZooKeeperInspector(env.Admin).GetSemaphoreAsync(s1.Path, ct);

        Assert.NotNull(info);
        Assert.Equal([one.Session.SessionId, two.Session.SessionId], info.Leases.Select(lease => lease.SessionId));
        Assert.All(info.Leases, lease => Assert.Equal(ZooKeeperQueueNodeKind.Lease, lease.Kind));
        Assert.Equal([lease1.FencingToken, lease2.FencingToken], info.Leases.Select(lease => lease.FencingToken));
        Assert.Empty(info.Acquirers);
        Assert.Null(await new ZooKeeperInspector(env.Admin).GetSemaphoreAsync(env.Root + "/none", ct));
    }

    [Fact]
    public async Task GetLocksAsync_InvalidQuery_ThrowsNamingTheSetting()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var inspector = new ZooKeeperInspector(env.Admin);

        var size = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => inspector.GetLocksAsync(env.Root, new ZooKeeperInspectionQuery { PageSize = 0 }));
        Assert.Equal("PageSize", size.ParamName);
        var root = await Assert.ThrowsAsync<ArgumentException>(() => inspector.GetLocksAsync("locks"));
        Assert.Equal("rootPath", root.ParamName);
        var prefix = await Assert.ThrowsAsync<ArgumentException>(() => inspector.GetLocksAsync(env.Root, new ZooKeeperInspectionQuery { Prefix = "a//b" }));
        Assert.Contains("'//'", prefix.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ZooKeeperInspector(env.Admin, new ZooKeeperInspectorOptions { MaxConcurrency = 0 }));
    }
}
