using ZkSync.Client;
using ZkSync.Locks;

namespace ZkSync.Recipes.Tests.Locks;

/// <summary>When a holder stops being one: its session closes or expires, its node is deleted, its TTL runs out.</summary>
public sealed class LockLostTests
{
    [Fact]
    public async Task Lost_HolderClientDisposed_FiresAndWaiterAcquires()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var (holderClient, holderProvider) = await env.NewContenderAsync();
        var (_, waiterProvider) = await env.NewContenderAsync();
        var holder = await holderProvider.AcquireAsync("job", TimeSpan.FromSeconds(10));
        var waiting = waiterProvider.AcquireAsync("job", LockTestEnvironment.Patience).AsTask();
        await env.WaitForChildrenAsync(holder.LockPath, c => c.Count == 2);

        await holderClient.DisposeAsync();

        await LockTestEnvironment.WhenCancelled(holder.Lost).WaitAsync(LockTestEnvironment.Patience);
        await using var next = await waiting;
        Assert.True(next.FencingToken > holder.FencingToken);
        await holder.DisposeAsync(); // after the client is gone: a no-op that does not throw
    }

    [Fact]
    public async Task Lost_HolderSessionExpired_FiresAndWaiterAcquires()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var (holderClient, holderProvider) = await env.NewContenderAsync(sessionTimeout: TimeSpan.FromSeconds(4));
        var (_, waiterProvider) = await env.NewContenderAsync();
        var holder = await holderProvider.AcquireAsync("job", TimeSpan.FromSeconds(10));
        var expiredSession = holderClient.Session.SessionId;
        var waiting = waiterProvider.AcquireAsync("job", LockTestEnvironment.Patience).AsTask();
        await env.WaitForChildrenAsync(holder.LockPath, c => c.Count == 2);

        await LockTestEnvironment.ExpireSessionAsync(holderClient);

        await LockTestEnvironment.WhenCancelled(holder.Lost).WaitAsync(LockTestEnvironment.Patience);
        await using var next = await waiting;
        Assert.True(next.FencingToken > holder.FencingToken);
        await LockTestEnvironment.WaitForNewSessionAsync(holderClient, expiredSession);
        Assert.DoesNotContain(holder, holderProvider.HeldLocks);
        await holder.DisposeAsync();

        // The holder's client is usable again and queues behind the new holder.
        Assert.Null(await holderProvider.TryAcquireAsync("job"));
    }

    [Fact]
    public async Task Lost_WaiterSessionExpired_WaiterQueuesAgainWithNewSession()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var (_, holderProvider) = await env.NewContenderAsync();
        var (waiterClient, waiterProvider) = await env.NewContenderAsync(sessionTimeout: TimeSpan.FromSeconds(4));
        var holder = await holderProvider.AcquireAsync("job", TimeSpan.FromSeconds(10));
        var waiting = waiterProvider.AcquireAsync("job", LockTestEnvironment.Patience).AsTask();
        var before = await env.WaitForChildrenAsync(holder.LockPath, c => c.Count == 2);

        await LockTestEnvironment.ExpireSessionAsync(waiterClient);
        var after = await env.WaitForChildrenAsync(holder.LockPath, c => c.Count == 2 && !c.SequenceEqual(before));
        await holder.DisposeAsync();

        await using var handle = await waiting;
        Assert.Equal(waiterClient.Session.SessionId, (await env.ExistsAsync(handle.NodePath))!.EphemeralOwner);
        Assert.Contains(handle.NodePath[(handle.LockPath.Length + 1)..], after);
    }

    [Fact]
    public async Task Lost_HolderNodeDeleted_FiresAndWaiterAcquires()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var (_, holderProvider) = await env.NewContenderAsync();
        var (_, waiterProvider) = await env.NewContenderAsync();
        await using var holder = await holderProvider.AcquireAsync("job", TimeSpan.FromSeconds(10));
        var waiting = waiterProvider.AcquireAsync("job", LockTestEnvironment.Patience).AsTask();
        await env.WaitForChildrenAsync(holder.LockPath, c => c.Count == 2);

        await env.Admin.DeleteAsync(holder.NodePath);

        await LockTestEnvironment.WhenCancelled(holder.Lost).WaitAsync(LockTestEnvironment.Patience);
        await using var next = await waiting;
        Assert.DoesNotContain(holder, holderProvider.HeldLocks);
    }

    [Fact]
    public async Task Lost_UncontendedHolderNodeDeleted_FiresAndLockCanBeTakenAgain()
    {
        // Nobody else ever joined: the holder's node is guarded by the child watch of its first listing alone.
        await using var env = await LockTestEnvironment.CreateAsync();
        var (_, provider) = await env.NewContenderAsync();
        await using var holder = await provider.AcquireAsync("alone", TimeSpan.FromSeconds(10));

        await env.Admin.DeleteAsync(holder.NodePath);

        await LockTestEnvironment.WhenCancelled(holder.Lost).WaitAsync(LockTestEnvironment.Patience);
        Assert.DoesNotContain(holder, provider.HeldLocks);
        await using var again = await provider.AcquireAsync("alone", TimeSpan.FromSeconds(10));
        Assert.True(again.FencingToken > holder.FencingToken);
    }

    [Fact]
    public async Task Lost_HolderNodeDeletedAfterWaiterLeft_Fires()
    {
        // A waiter came and went (its create and delete used up the listing's watch): the holder's own watch takes over.
        await using var env = await LockTestEnvironment.CreateAsync();
        var (_, holderProvider) = await env.NewContenderAsync();
        var (_, waiterProvider) = await env.NewContenderAsync();
        await using var holder = await holderProvider.AcquireAsync("visited", TimeSpan.FromSeconds(10));
        Assert.Null(await waiterProvider.TryAcquireAsync("visited"));
        await env.WaitForChildrenAsync(holder.LockPath, c => c.Count == 1);

        await env.Admin.DeleteAsync(holder.NodePath);

        await LockTestEnvironment.WhenCancelled(holder.Lost).WaitAsync(LockTestEnvironment.Patience);
        Assert.DoesNotContain(holder, holderProvider.HeldLocks);
    }

    [Fact]
    public async Task Ttl_HolderLeaseRunsOut_ContenderEvictsHolderAndHolderLostFires()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var (_, holderProvider) = await env.NewContenderAsync();
        var (_, contenderProvider) = await env.NewContenderAsync();
        var holder = await holderProvider.AcquireAsync("leased", new ZooKeeperLockRequest { OwnerId = "a", Ttl = TimeSpan.FromSeconds(1) }, TimeSpan.FromSeconds(10));
        var data = await env.GetDataAsync(holder.NodePath);
        Assert.Contains("\"ttlMs\":1000", System.Text.Encoding.UTF8.GetString(data.Data), StringComparison.Ordinal);

        // The contender is not told about the TTL: it reads it from the holder's node.
        await using var contender = await contenderProvider.AcquireAsync("leased", LockTestEnvironment.Patience);

        await LockTestEnvironment.WhenCancelled(holder.Lost).WaitAsync(LockTestEnvironment.Patience);
        // Not evicted early: the lease ran from the holder's mtime (server clock), which precedes holder.AcquiredAt.
        Assert.True(contender.AcquiredAt - holder.AcquiredAt >= TimeSpan.FromMilliseconds(900), $"{contender.AcquiredAt:O} vs {holder.AcquiredAt:O}");
        await holder.DisposeAsync();
        Assert.Single(await env.ChildrenAsync(contender.LockPath));
    }

    [Fact]
    public async Task Ttl_WaiterWithLease_GetsItsLeaseOnlyOnceItHolds()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var (_, first) = await env.NewContenderAsync();
        var (_, second) = await env.NewContenderAsync();
        var holder = await first.AcquireAsync("leased", TimeSpan.FromSeconds(10));
        var request = new ZooKeeperLockRequest { OwnerId = "b", Ttl = TimeSpan.FromSeconds(30) };
        var waiting = second.AcquireAsync("leased", request, LockTestEnvironment.Patience).AsTask();
        var line = await env.WaitForChildrenAsync(holder.LockPath, c => c.Count == 2);
        var waiterPath = holder.LockPath + "/" + line.Single(c => holder.NodePath != holder.LockPath + "/" + c);

        // While waiting, the node carries no lease (after its first rewrite).
        var waitingData = await WaitForDataAsync(env, waiterPath, d => !d.Contains("ttlMs", StringComparison.Ordinal));
        Assert.Contains("\"owner\":\"b\"", waitingData, StringComparison.Ordinal);
        await holder.DisposeAsync();
        await using var handle = await waiting;

        var held = await env.GetDataAsync(handle.NodePath);
        Assert.Contains("\"ttlMs\":30000", System.Text.Encoding.UTF8.GetString(held.Data), StringComparison.Ordinal);
        Assert.True(held.Stat.Mtime >= held.Stat.Ctime && held.Stat.Version >= 2);
    }

    [Fact]
    public async Task Ttl_HolderWithoutTtl_IsNeverEvicted()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var (_, holderProvider) = await env.NewContenderAsync();
        var (_, contenderProvider) = await env.NewContenderAsync();
        await using var holder = await holderProvider.AcquireAsync("forever", new ZooKeeperLockRequest { OwnerId = "a" }, TimeSpan.FromSeconds(10));

        await Assert.ThrowsAsync<TimeoutException>(() => contenderProvider.AcquireAsync("forever", TimeSpan.FromMilliseconds(1500)).AsTask());

        Assert.False(holder.Lost.IsCancellationRequested);
        Assert.NotNull(await env.ExistsAsync(holder.NodePath));
    }

    private static async Task<string> WaitForDataAsync(LockTestEnvironment env, string path, Func<string, bool> condition)
    {
        using var cts = new CancellationTokenSource(LockTestEnvironment.Patience);
        while (true)
        {
            var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var data = System.Text.Encoding.UTF8.GetString((await env.Admin.GetDataAsync(path, _ => changed.TrySetResult())).Data);
            if (condition(data))
            {
                return data;
            }

            await changed.Task.WaitAsync(cts.Token);
        }
    }
}
