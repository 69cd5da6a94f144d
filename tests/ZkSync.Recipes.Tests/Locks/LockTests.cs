using System.Text.RegularExpressions;
using ZkSync.Client;
using ZkSync.Locks;

namespace ZkSync.Recipes.Tests.Locks;

public sealed partial class LockTests : LockTestBase
{
    [GeneratedRegex("^_c_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-lock-[0-9]{10}$")]
    private static partial Regex CuratorMutexName();

    [Fact]
    public async Task Acquire_ManySessionsManyWaiters_NeverOverlap()
    {
        var providers = new List<ZooKeeperLockProvider>();
        for (var i = 0; i < 4; i++)
        {
            providers.Add(await ProviderAsync());
        }

        var inside = 0;
        var maxInside = 0;
        var acquisitions = 0;
        var tokens = new List<long>();
        var workers = Enumerable.Range(0, 24).Select(i => Task.Run(async () =>
        {
            for (var round = 0; round < 3; round++)
            {
                await using var handle = await providers[i % providers.Count].AcquireAsync("shared/counter", Timeout);
                var now = Interlocked.Increment(ref inside);
                InterlockedMax(ref maxInside, now);
                lock (tokens)
                {
                    tokens.Add(handle.FencingToken);
                }

                await Task.Yield();
                Assert.False(handle.Lost.IsCancellationRequested);
                Interlocked.Decrement(ref inside);
                Interlocked.Increment(ref acquisitions);
            }
        })).ToList();

        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(120));

        Assert.Equal(1, maxInside);
        Assert.Equal(72, acquisitions);
        Assert.Equal(tokens.Count, tokens.Distinct().Count());
        var observer = await ConnectAsync();
        Assert.Empty(await ContendersAsync(observer, Root + "/shared/counter"));
    }

    [Fact]
    public async Task Acquire_Waiters_AreGrantedInFifoOrder()
    {
        var holder = await ProviderAsync();
        var first = await holder.AcquireAsync("fifo", Timeout);
        var order = new List<int>();
        var waiters = new List<Task>();
        var observer = await ConnectAsync();
        for (var i = 0; i < 5; i++)
        {
            var provider = await ProviderAsync();
            var number = i;
            waiters.Add(Task.Run(async () =>
            {
                await using var handle = await provider.AcquireAsync("fifo", Timeout);
                lock (order)
                {
                    order.Add(number);
                }
            }));

            // Queue them one at a time: wait until waiter i's node exists before starting waiter i+1.
            await WaitForContendersAsync(observer, Root + "/fifo", i + 2);
        }

        await first.DisposeAsync();
        await Task.WhenAll(waiters).WaitAsync(Timeout);

        Assert.Equal([0, 1, 2, 3, 4], order);
    }

    [Fact]
    public async Task Acquire_NodeName_IsCuratorMutexLayout()
    {
        var provider = await ProviderAsync();

        await using var handle = await provider.AcquireAsync("orders/42", Timeout);

        Assert.Equal(Root + "/orders/42", handle.LockPath);
        Assert.Matches(CuratorMutexName(), ZkPath.GetName(handle.NodePath));
        Assert.Equal(ZooKeeperLockMode.Exclusive, handle.Mode);
        Assert.Contains(provider.HeldLocks, h => h.NodePath == handle.NodePath);
    }

    [Fact]
    public async Task TryAcquire_Held_ReturnsNullAndLeavesNoNode()
    {
        var holder = await ProviderAsync();
        var contender = await ProviderAsync();
        var observer = await ConnectAsync();
        await using var held = await holder.AcquireAsync("busy", Timeout);

        Assert.Null(await contender.TryAcquireAsync("busy"));
        Assert.Null(await contender.TryAcquireAsync("busy", TimeSpan.FromMilliseconds(300)));
        await Assert.ThrowsAsync<TimeoutException>(async () => await contender.AcquireAsync("busy", TimeSpan.FromMilliseconds(300)));

        Assert.Single(await ContendersAsync(observer, Root + "/busy"));
    }

    [Fact]
    public async Task Acquire_Cancelled_LeavesNoNode()
    {
        var holder = await ProviderAsync();
        var contender = await ProviderAsync();
        var observer = await ConnectAsync();
        await using var held = await holder.AcquireAsync("cancel", Timeout);
        using var cts = new CancellationTokenSource();

        var waiting = contender.AcquireAsync("cancel", null, cts.Token).AsTask();
        await WaitForContendersAsync(observer, Root + "/cancel", 2);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Single(await ContendersAsync(observer, Root + "/cancel"));
    }

    [Fact]
    public async Task HolderClientClosed_NextAcquiresAndLostFires()
    {
        var holderClient = await ConnectAsync(TimeSpan.FromSeconds(30));
        var holder = new ZooKeeperLockProvider(holderClient, new ZooKeeperLockOptions { RootPath = Root });
        var next = await ProviderAsync();
        var handle = await holder.AcquireAsync("handoff", Timeout);
        var lost = new TaskCompletionSource();
        handle.Lost.Register(() => lost.TrySetResult());
        var waiting = next.AcquireAsync("handoff", Timeout).AsTask();

        await holderClient.DisposeAsync();

        await lost.Task.WaitAsync(Timeout);
        await using var acquired = await waiting.WaitAsync(Timeout);
        Assert.True(acquired.FencingToken > handle.FencingToken);
    }

    [Fact]
    public async Task HolderNodeDeleted_LostFires()
    {
        var holder = await ProviderAsync();
        var admin = await ConnectAsync();
        await using var handle = await holder.AcquireAsync("deleted", Timeout);
        var lost = new TaskCompletionSource();
        handle.Lost.Register(() => lost.TrySetResult());

        await admin.DeleteAsync(handle.NodePath);

        await lost.Task.WaitAsync(Timeout);
    }

    [Fact]
    public async Task FencingTokens_IncreaseAcrossHolders_AlsoAfterParentIsRecreated()
    {
        var provider = await ProviderAsync();
        var admin = await ConnectAsync();
        var tokens = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            await using (var handle = await provider.AcquireAsync("fence", Timeout))
            {
                tokens.Add(handle.FencingToken);
            }

            // Remove the (container) lock node as the server's reaper would.
            await DeleteRecursiveAsync(admin, Root + "/fence");
        }

        Assert.Equal(tokens.Order(), tokens);
        Assert.Equal(3, tokens.Distinct().Count());
    }

    [Fact]
    public async Task OwnerId_SameOwnerReentrant_DifferentOwnerCannotRelease()
    {
        var provider = await ProviderAsync();
        var request = new ZooKeeperLockRequest { OwnerId = "job-7" };

        var first = await provider.AcquireAsync("owned", request, Timeout);
        var second = await provider.AcquireAsync("owned", request, Timeout);

        Assert.Equal(first.NodePath, second.NodePath);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await provider.ReleaseAsync("owned", "someone-else"));
        await first.DisposeAsync();
        Assert.False(second.Lost.IsCancellationRequested);
        await second.DisposeAsync();
        Assert.True(second.Lost.IsCancellationRequested);
        Assert.Empty(provider.HeldLocks);
    }

    [Fact]
    public async Task OwnerId_ErrorMode_AlreadyOwnIsAnError()
    {
        var provider = await ProviderAsync(LockReentrancy.Error);
        var request = new ZooKeeperLockRequest { OwnerId = "job-8" };
        await using var first = await provider.AcquireAsync("owned-once", request, Timeout);

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(async () => await provider.AcquireAsync("owned-once", request, Timeout));

        Assert.Contains("already owns", ex.Message, StringComparison.Ordinal);
    }

    internal static async Task WaitForContendersAsync(ZooKeeperClient client, string lockPath, int count)
    {
        while (true)
        {
            var changed = new TaskCompletionSource();
            IReadOnlyList<string> children;
            try
            {
                children = await client.GetChildrenAsync(lockPath, _ => changed.TrySetResult());
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
            {
                if (await client.ExistsAsync(lockPath, _ => changed.TrySetResult()) is not null)
                {
                    continue;
                }

                children = [];
            }

            if (children.Count >= count)
            {
                return;
            }

            await changed.Task.WaitAsync(Timeout);
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
