using ZkSync.TestSupport;

namespace ZkSync.Recipes.Tests.Locks;

/// <summary>What abandoned lock waits leave behind on the client (correctness review F7).</summary>
public sealed class LockWatchLeakTests
{
    [Fact]
    public async Task TryAcquireAsync_TimedOutWaitsOnLongHeldLock_LeaveNoWatcherBehind()
    {
        const int attempts = 25;
        await using var env = await LockTestEnvironment.CreateAsync();
        var (_, holderProvider) = await env.NewContenderAsync();
        var (waiter, waiterProvider) = await env.NewContenderAsync();
        await using var holder = await holderProvider.AcquireAsync("long-job", TimeSpan.FromSeconds(10));
        var baseline = waiter.WatchCount;

        for (var i = 0; i < attempts; i++)
        {
            // Long enough to reach the wait on the holder's node, short enough to give up while it still holds.
            Assert.Null(await waiterProvider.TryAcquireAsync("long-job", TimeSpan.FromMilliseconds(300)));
        }

        // The waiter's own node and listing watches are consumed by the deletion of its node (events that follow the
        // clean-up); a watcher on the holder's node would stay for as long as the holder holds.
        await WaitHelper.WaitUntilAsync(() => waiter.WatchCount <= baseline, TimeSpan.FromSeconds(20));
        Assert.False(holder.Lost.IsCancellationRequested);
    }
}
