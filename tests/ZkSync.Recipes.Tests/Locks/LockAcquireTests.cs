using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using ZkSync.Client;
using ZkSync.Locks;

namespace ZkSync.Recipes.Tests.Locks;

/// <summary>Acquiring and releasing against a real ZooKeeper: layout, exclusion, fairness, timeouts, cancellation.</summary>
public sealed partial class LockAcquireTests
{
    private const string Uuid = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

    [GeneratedRegex("^_c_" + Uuid + "-lock-[0-9]{10}$")]
    private static partial Regex MutexNode();

    [GeneratedRegex("^_c_" + Uuid + "-__READ__[0-9]{10}$")]
    private static partial Regex ReadNode();

    [GeneratedRegex("^_c_" + Uuid + "-__WRIT__[0-9]{10}$")]
    private static partial Regex WriteNode();

    [Fact]
    public async Task AcquireAsync_FreeLock_CreatesCuratorMutexNodeWithCzxidToken()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var (_, provider) = await env.NewContenderAsync();

        var handle = await provider.AcquireAsync("orders/42", TimeSpan.FromSeconds(10));

        var lockPath = env.Root + "/orders/42";
        Assert.Equal(lockPath, handle.LockPath);
        Assert.Equal("orders/42", handle.Name);
        Assert.Equal(ZooKeeperLockMode.Exclusive, handle.Mode);
        var node = Assert.Single(await env.ChildrenAsync(lockPath));
        Assert.Matches(MutexNode(), node);
        Assert.Equal(lockPath + "/" + node, handle.NodePath);
        var stat = await env.ExistsAsync(handle.NodePath);
        Assert.NotNull(stat);
        Assert.Equal(stat.Czxid, handle.FencingToken);
        Assert.NotEqual(0, stat.EphemeralOwner);
        Assert.Equal(0, stat.DataLength);
        Assert.False(handle.Lost.IsCancellationRequested);
        Assert.Contains(handle, provider.HeldLocks);

        await handle.DisposeAsync();

        Assert.Empty(await env.ChildrenAsync(lockPath));
        Assert.True(handle.Lost.IsCancellationRequested);
        Assert.Empty(provider.HeldLocks);
        await handle.DisposeAsync(); // idempotent
    }

    [Fact]
    public async Task AcquireAsync_SharedAndWriteLockFormat_UseCuratorReadWriteNames()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var (client, provider) = await env.NewContenderAsync();
        var writers = env.NewProvider(client, o => o.ExclusiveNodeFormat = ExclusiveLockNodeFormat.WriteLock);

        await using (var read = await provider.AcquireAsync("rw", new ZooKeeperLockRequest { Mode = ZooKeeperLockMode.Shared }, TimeSpan.FromSeconds(10)))
        {
            Assert.Matches(ReadNode(), read.NodePath[(read.LockPath.Length + 1)..]);
        }

        await using (var write = await writers.AcquireAsync("rw", TimeSpan.FromSeconds(10)))
        {
            Assert.Matches(WriteNode(), write.NodePath[(write.LockPath.Length + 1)..]);
        }

        Assert.Empty(await env.ChildrenAsync(env.Root + "/rw"));
    }

    [Fact]
    public async Task TryAcquireAsync_ZeroTimeout_ReturnsNullWhileHeldAndLeavesNoNode()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var (_, holderProvider) = await env.NewContenderAsync();
        var (_, otherProvider) = await env.NewContenderAsync();
        var holder = await holderProvider.AcquireAsync("job", TimeSpan.FromSeconds(10));

        var denied = await otherProvider.TryAcquireAsync("job");

        Assert.Null(denied);
        Assert.Equal([holder.NodePath], (await env.ChildrenAsync(holder.LockPath)).Select(c => holder.LockPath + "/" + c));
        await holder.DisposeAsync();
        await using var granted = await otherProvider.TryAcquireAsync("job");
        Assert.NotNull(granted);
    }

    [Fact]
    public async Task AcquireAsync_TimeoutWhileHeld_ThrowsTimeoutExceptionAndDeletesOwnNode()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var (_, holderProvider) = await env.NewContenderAsync();
        var (_, waiterProvider) = await env.NewContenderAsync();
        await using var holder = await holderProvider.AcquireAsync("job", TimeSpan.FromSeconds(10));

        await Assert.ThrowsAsync<TimeoutException>(() => waiterProvider.AcquireAsync("job", TimeSpan.FromMilliseconds(300)).AsTask());
        var tryResult = await waiterProvider.TryAcquireAsync("job", TimeSpan.FromMilliseconds(200));

        Assert.Null(tryResult);
        Assert.Single(await env.ChildrenAsync(holder.LockPath));
        Assert.False(holder.Lost.IsCancellationRequested);
    }

    [Fact]
    public async Task AcquireAsync_CancelledWhileWaiting_ThrowsAndDeletesOwnNode()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var (_, holderProvider) = await env.NewContenderAsync();
        var (_, waiterProvider) = await env.NewContenderAsync();
        await using var holder = await holderProvider.AcquireAsync("job", TimeSpan.FromSeconds(10));
        using var cts = new CancellationTokenSource();
        var waiting = waiterProvider.AcquireAsync("job", cancellationToken: cts.Token).AsTask();
        await env.WaitForChildrenAsync(holder.LockPath, c => c.Count == 2);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Single(await env.ChildrenAsync(holder.LockPath));
    }

    [Fact]
    public async Task AcquireAsync_ManySessionsAndWaiters_NeverOverlapAndTokensIncrease()
    {
        // Arrange: 4 sessions x 4 tasks x 3 rounds on one lock.
        await using var env = await LockTestEnvironment.CreateAsync();
        var providers = new List<ZooKeeperLockProvider>();
        for (var i = 0; i < 4; i++)
        {
            providers.Add((await env.NewContenderAsync()).Provider);
        }

        var inside = 0;
        var overlaps = 0;
        var tokens = new ConcurrentQueue<long>();

        // Act
        var tasks = providers.SelectMany(p => Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            for (var round = 0; round < 3; round++)
            {
                await using var handle = await p.AcquireAsync("counter", LockTestEnvironment.Patience);
                if (Interlocked.Increment(ref inside) != 1)
                {
                    Interlocked.Increment(ref overlaps);
                }

                tokens.Enqueue(handle.FencingToken);
                await Task.Yield();
                Interlocked.Decrement(ref inside);
            }
        }))).ToArray();
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(60));

        // Assert
        Assert.Equal(0, overlaps);
        var granted = tokens.ToArray();
        Assert.Equal(48, granted.Length);
        for (var i = 1; i < granted.Length; i++)
        {
            Assert.True(granted[i] > granted[i - 1], $"token {granted[i]} after {granted[i - 1]}");
        }

        Assert.Empty(await env.ChildrenAsync(env.Root + "/counter"));
    }

    [Fact]
    public async Task AcquireAsync_QueuedWaiters_AreGrantedInArrivalOrder()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var (_, holderProvider) = await env.NewContenderAsync();
        var (_, a) = await env.NewContenderAsync();
        var (_, b) = await env.NewContenderAsync();
        var holder = await holderProvider.AcquireAsync("fifo", TimeSpan.FromSeconds(10));
        var order = new ConcurrentQueue<int>();
        var waiters = new List<Task>();
        for (var i = 0; i < 6; i++)
        {
            var id = i;
            var provider = i % 2 == 0 ? a : b;
            waiters.Add(Task.Run(async () =>
            {
                await using var handle = await provider.AcquireAsync("fifo", LockTestEnvironment.Patience);
                order.Enqueue(id);
            }));

            // The next waiter arrives only once this one is in line.
            await env.WaitForChildrenAsync(holder.LockPath, c => c.Count == id + 2);
        }

        await holder.DisposeAsync();
        await Task.WhenAll(waiters).WaitAsync(LockTestEnvironment.Patience);

        Assert.Equal([0, 1, 2, 3, 4, 5], order);
    }

    [Fact]
    public async Task AcquireAsync_ForeignChildrenUnderLockPath_AreIgnored()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var (_, provider) = await env.NewContenderAsync();
        await using var nested = await provider.AcquireAsync("orders/1", TimeSpan.FromSeconds(10));
        await env.Admin.CreateAsync(env.Root + "/orders/0000000000", ReadOnlyMemory<byte>.Empty);
        // A lock token without a ZooKeeper sequence suffix (kazoo's __lock__0000000000 nodes are contenders: KazooInteropTests).
        await env.Admin.CreateAsync(env.Root + "/orders/abc__lock__17", ReadOnlyMemory<byte>.Empty, CreateMode.Ephemeral);

        await using var outer = await provider.TryAcquireAsync("orders");

        Assert.NotNull(outer);
        Assert.Equal(4, (await env.ChildrenAsync(env.Root + "/orders")).Count);
    }

    [Fact]
    public async Task DisposeAsync_LastHolder_ContainerParentIsReaped()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var (_, provider) = await env.NewContenderAsync();
        var handle = await provider.AcquireAsync("reaped/lock", TimeSpan.FromSeconds(10));

        await handle.DisposeAsync();

        // The server's container check (znode.container.checkIntervalMs) removes empty containers bottom-up.
        await env.WaitForDeletionAsync(handle.LockPath, TimeSpan.FromSeconds(15));
        await env.WaitForDeletionAsync(env.Root + "/reaped", TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task FencingToken_AcrossHoldersAndParentRecreation_StrictlyIncreases()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var (_, first) = await env.NewContenderAsync();
        var (_, second) = await env.NewContenderAsync();
        var tokens = new List<long>();
        var names = new List<string>();

        for (var i = 0; i < 2; i++)
        {
            await using var handle = await (i == 0 ? first : second).AcquireAsync("fenced", TimeSpan.FromSeconds(10));
            tokens.Add(handle.FencingToken);
            names.Add(handle.NodePath);
        }

        // What the server's container reaping does, done at once: the parent goes, and its sequence counter with it.
        await env.Admin.DeleteAsync(env.Root + "/fenced");
        await using (var handle = await first.AcquireAsync("fenced", TimeSpan.FromSeconds(10)))
        {
            tokens.Add(handle.FencingToken);
            names.Add(handle.NodePath);
        }

        Assert.EndsWith("0000000000", names[0], StringComparison.Ordinal);
        Assert.EndsWith("0000000000", names[2], StringComparison.Ordinal); // the sequence restarted…
        Assert.True(tokens[0] < tokens[1] && tokens[1] < tokens[2], string.Join(", ", tokens)); // …the token did not
    }
}
