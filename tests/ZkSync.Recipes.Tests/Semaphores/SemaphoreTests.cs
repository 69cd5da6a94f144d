using ZkSync.Recipes.Tests.Locks;
using ZkSync.Semaphores;

namespace ZkSync.Recipes.Tests.Semaphores;

/// <summary>The semaphore against the real ensemble: never more than N leases, crashes free leases, give-ups leave nothing.</summary>
public sealed class SemaphoreTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task NLeasesGranted_NextOneRefused_AndNeverAboveNUnderContention()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        const int max = 2;
        var semaphores = new List<ZooKeeperSemaphore>();
        for (var i = 0; i < 6; i++)
        {
            semaphores.Add(await NewSemaphoreAsync(env, max));
        }

        await using (var first = await semaphores[0].AcquireAsync(LockTestEnvironment.Patience, Ct))
        await using (var second = await semaphores[1].AcquireAsync(LockTestEnvironment.Patience, Ct))
        {
            Assert.Null(await semaphores[2].TryAcquireAsync(TimeSpan.Zero, Ct));
            Assert.NotEqual(first.FencingToken, second.FencingToken);
        }

        var inside = 0;
        var most = 0;
        var grants = 0;
        await Task.WhenAll(semaphores.Select(semaphore => Task.Run(async () =>
        {
            for (var round = 0; round < 4; round++)
            {
                await using var lease = await semaphore.AcquireAsync(LockTestEnvironment.Patience, Ct);
                var now = Interlocked.Increment(ref inside);
                ZkSync.TestSupport.ConcurrencyMeter.RaiseTo(ref most, now);
                Interlocked.Increment(ref grants);

                // Stay inside for a round trip, so that holders overlap when the semaphore allows it.
                Assert.InRange(await semaphore.GetLeaseCountAsync(Ct), 1, max + 1);
                Interlocked.Decrement(ref inside);
            }
        }, Ct)));

        Assert.InRange(most, 1, max);
        Assert.Equal(6 * 4, grants);
        Assert.Empty(await env.DescendantsAsync(semaphores[0].Path + "/leases"));
        Assert.Empty(await env.DescendantsAsync(semaphores[0].Path + "/locks"));
    }

    [Fact]
    public async Task HolderCrashes_ItsLeaseIsLost_AndAWaiterTakesIt()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var (crashingClient, _) = await env.NewContenderAsync();
        var crashing = new ZooKeeperSemaphore(crashingClient, "exports", 2, new ZooKeeperSemaphoreOptions { RootPath = env.Root });
        var steady = await NewSemaphoreAsync(env, 2);
        var waiter = await NewSemaphoreAsync(env, 2);
        var crashedLease = await crashing.AcquireAsync(LockTestEnvironment.Patience, Ct);
        await using var steadyLease = await steady.AcquireAsync(LockTestEnvironment.Patience, Ct);
        var waiting = waiter.AcquireAsync(LockTestEnvironment.Patience, Ct);
        await env.WaitForChildrenAsync(waiter.Path + "/leases", children => children.Count == 3);
        Assert.False(waiting.IsCompleted);

        await crashingClient.DisposeAsync();

        await LockTestEnvironment.WhenCancelled(crashedLease.Lost).WaitAsync(LockTestEnvironment.Patience, Ct);
        await using var taken = await waiting.WaitAsync(LockTestEnvironment.Patience, Ct);
        Assert.True(taken.FencingToken > crashedLease.FencingToken);
        Assert.Equal(2, await waiter.GetLeaseCountAsync(Ct));
        Assert.False(steadyLease.Lost.IsCancellationRequested);
    }

    [Fact]
    public async Task LeaseNodeDeleted_LostFires()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var semaphore = await NewSemaphoreAsync(env, 1);
        await using var lease = await semaphore.AcquireAsync(LockTestEnvironment.Patience, Ct);

        await env.Admin.DeleteAsync(lease.NodePath, cancellationToken: Ct);

        await LockTestEnvironment.WhenCancelled(lease.Lost).WaitAsync(LockTestEnvironment.Patience, Ct);
    }

    [Fact]
    public async Task TimeoutOrCancellation_LeavesNoNode()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var holder = await NewSemaphoreAsync(env, 1);
        var other = await NewSemaphoreAsync(env, 1);
        await using var lease = await holder.AcquireAsync(LockTestEnvironment.Patience, Ct);

        Assert.Null(await other.TryAcquireAsync(TimeSpan.FromMilliseconds(300), Ct));
        var timeout = await Assert.ThrowsAsync<TimeoutException>(() => other.AcquireAsync(TimeSpan.FromMilliseconds(300), Ct));
        Assert.Contains(other.Path, timeout.Message, StringComparison.Ordinal);
        Assert.Single(await env.ChildrenAsync(holder.Path + "/leases"));
        Assert.Empty(await env.ChildrenAsync(holder.Path + "/locks"));

        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var cancelled = other.AcquireAsync(null, cancel.Token);
        await env.WaitForChildrenAsync(holder.Path + "/leases", children => children.Count == 2);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Single(await env.ChildrenAsync(holder.Path + "/leases"));
        Assert.Empty(await env.ChildrenAsync(holder.Path + "/locks"));
    }

    [Fact]
    public async Task InvalidInput_IsRejected()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var (client, _) = await env.NewContenderAsync();
        Assert.Throws<ArgumentOutOfRangeException>("maxLeases", () => new ZooKeeperSemaphore(client, "s", 0));
        Assert.Contains("'..'", Assert.Throws<ArgumentException>(() => new ZooKeeperSemaphore(client, "a/../b", 1)).Message, StringComparison.Ordinal);
        var semaphore = new ZooKeeperSemaphore(client, "s", 1, new ZooKeeperSemaphoreOptions { RootPath = env.Root });
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>("timeout", () => semaphore.TryAcquireAsync(TimeSpan.FromSeconds(-2), Ct));
    }

    private static async Task<ZooKeeperSemaphore> NewSemaphoreAsync(LockTestEnvironment env, int maxLeases)
    {
        var (client, _) = await env.NewContenderAsync();
        return new ZooKeeperSemaphore(client, "exports", maxLeases, new ZooKeeperSemaphoreOptions { RootPath = env.Root });
    }
}
