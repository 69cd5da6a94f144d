using ZkSync.Locks;

namespace ZkSync.Recipes.Tests.Locks;

/// <summary>Owner ids: reentrancy (hold count, one node), "already own" errors, and "not the lock owner".</summary>
public sealed class LockOwnerTests
{
    private static ZooKeeperLockRequest Owner(string id, ZooKeeperLockMode mode = ZooKeeperLockMode.Exclusive) => new() { OwnerId = id, Mode = mode };

    [Fact]
    public async Task AcquireAsync_SameOwnerTwice_ReentersOneNodeUntilLastRelease()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var (_, provider) = await env.NewContenderAsync();
        var (_, other) = await env.NewContenderAsync();
        var first = await provider.AcquireAsync("job", Owner("worker-1"), TimeSpan.FromSeconds(10));

        var second = await provider.AcquireAsync("job", Owner("worker-1"), TimeSpan.Zero);

        Assert.Equal(first.NodePath, second.NodePath);
        Assert.Equal(first.FencingToken, second.FencingToken);
        Assert.Equal("worker-1", second.OwnerId);
        Assert.Single(await env.ChildrenAsync(first.LockPath));
        Assert.Contains("\"owner\":\"worker-1\"", System.Text.Encoding.UTF8.GetString((await env.GetDataAsync(first.NodePath)).Data), StringComparison.Ordinal);
        Assert.Equal(2, provider.HeldLocks.Count);

        await second.DisposeAsync();
        Assert.True(second.Lost.IsCancellationRequested);
        Assert.False(first.Lost.IsCancellationRequested);
        Assert.Null(await other.TryAcquireAsync("job"));

        await first.DisposeAsync();
        await using var next = await other.TryAcquireAsync("job");
        Assert.NotNull(next);
    }

    [Fact]
    public async Task AcquireAsync_SameOwnerConcurrently_SecondReentersTheFirstsHold()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var (_, blockerProvider) = await env.NewContenderAsync();
        var (_, provider) = await env.NewContenderAsync();
        var blocker = await blockerProvider.AcquireAsync("job", TimeSpan.FromSeconds(10));
        var one = provider.AcquireAsync("job", Owner("w"), LockTestEnvironment.Patience).AsTask();
        var two = provider.AcquireAsync("job", Owner("w"), LockTestEnvironment.Patience).AsTask();
        await env.WaitForChildrenAsync(blocker.LockPath, c => c.Count == 2);

        await blocker.DisposeAsync();
        await using var a = await one;
        await using var b = await two;

        Assert.Equal(a.NodePath, b.NodePath);
        Assert.Single(await env.ChildrenAsync(a.LockPath));
    }

    [Fact]
    public async Task AcquireAsync_SameOwnerWithReentrancyError_ThrowsAlreadyOwn()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var (client, _) = await env.NewContenderAsync();
        var provider = env.NewProvider(client, o => o.Reentrancy = LockReentrancy.Error);
        await using var held = await provider.AcquireAsync("job", Owner("worker-1"), TimeSpan.FromSeconds(10));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => provider.TryAcquireAsync("job", Owner("worker-1")).AsTask());

        Assert.Contains("already owns lock 'job'", error.Message, StringComparison.Ordinal);
        Assert.Single(await env.ChildrenAsync(held.LockPath));
    }

    [Fact]
    public async Task AcquireAsync_SharedOwnerAsksExclusive_ThrowsInsteadOfDeadlocking()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var (_, provider) = await env.NewContenderAsync();
        await using var read = await provider.AcquireAsync("doc", Owner("r", ZooKeeperLockMode.Shared), TimeSpan.FromSeconds(10));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => provider.AcquireAsync("doc", Owner("r"), TimeSpan.FromSeconds(5)).AsTask());

        Assert.Contains("upgrading", error.Message, StringComparison.Ordinal);
        await using var again = await provider.AcquireAsync("doc", Owner("r", ZooKeeperLockMode.Shared), TimeSpan.Zero);
        Assert.Equal(read.NodePath, again.NodePath);
    }

    [Fact]
    public async Task ReleaseAsync_OtherOwner_ThrowsNotTheLockOwner()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var (_, provider) = await env.NewContenderAsync();
        var held = await provider.AcquireAsync("job", Owner("worker-1"), TimeSpan.FromSeconds(10));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => provider.ReleaseAsync("job", "worker-2").AsTask());

        Assert.Contains("Not the lock owner", error.Message, StringComparison.Ordinal);
        Assert.False(held.Lost.IsCancellationRequested);
        await provider.ReleaseAsync("job", "worker-1");
        Assert.True(held.Lost.IsCancellationRequested);
        Assert.Empty(await env.ChildrenAsync(held.LockPath));
        await Assert.ThrowsAsync<InvalidOperationException>(() => provider.ReleaseAsync("job", "worker-1").AsTask());
    }

    [Fact]
    public async Task AcquireAsync_DifferentOwners_AreNotReentrant()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var (_, provider) = await env.NewContenderAsync();
        await using var held = await provider.AcquireAsync("job", Owner("worker-1"), TimeSpan.FromSeconds(10));

        var other = await provider.TryAcquireAsync("job", Owner("worker-2"), TimeSpan.FromMilliseconds(200));
        var anonymous = await provider.TryAcquireAsync("job", TimeSpan.Zero);

        Assert.Null(other);
        Assert.Null(anonymous);
        Assert.Single(await env.ChildrenAsync(held.LockPath));
    }
}
