using Medallion.Threading;
using ZkSync.TestSupport;

namespace ZkSync.DistributedLock.Tests;

/// <summary>
/// The behaviours DistributedLock's own suites check for every provider, against the real ensemble: two sessions
/// stand for two processes.
/// </summary>
public sealed class ProviderTests : IAsyncLifetime
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(200);
    private Processes _processes = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _processes = await Processes.StartAsync(TestPaths.Unique());

    public ValueTask DisposeAsync() => _processes.DisposeAsync();

    [Fact]
    public async Task Lock_ExcludesOtherProcessesUntilReleased()
    {
        var mine = _processes.First.CreateLock("orders/42");
        var theirs = _processes.Second.CreateLock("orders/42");

        var handle = await mine.TryAcquireAsync(cancellationToken: Ct).Held();
        Assert.Null(await theirs.TryAcquireAsync(cancellationToken: Ct));           // timeout 0: one look
        Assert.Null(await theirs.TryAcquireAsync(Short, Ct));                        // timeout > 0: waited, not granted
        await Assert.ThrowsAsync<TimeoutException>(async () => await theirs.AcquireAsync(Short, Ct));
        await handle.DisposeAsync();

        await using var next = await theirs.TryAcquireAsync(cancellationToken: Ct).Held();
    }

    [Fact]
    public async Task Lock_IsNotReentrant()
    {
        var distributedLock = _processes.First.CreateLock("jobs/nightly");

        await using var handle = await distributedLock.AcquireAsync(cancellationToken: Ct);

        Assert.Null(await distributedLock.TryAcquireAsync(cancellationToken: Ct));
        Assert.Null(await _processes.First.CreateLock("jobs/nightly").TryAcquireAsync(Short, Ct));
    }

    [Fact]
    public async Task Lock_GivenToTheWaiterWhenReleased()
    {
        var handle = await _processes.First.CreateLock("hand-off").AcquireAsync(cancellationToken: Ct);
        var waiting = _processes.Second.CreateLock("hand-off").TryAcquireAsync(WaitHelper.DefaultTimeout, Ct).AsTask();
        await WaitHelper.WaitUntilAsync(async () => await _processes.ContendersAsync("hand-off") == 2, cancellationToken: Ct);
        Assert.False(waiting.IsCompleted);

        await handle.DisposeAsync();

        await using var next = await waiting.WithTimeout() ?? throw new Xunit.Sdk.XunitException("The waiter was not granted the lock.");
    }

    [Fact]
    public async Task Lock_NeverHeldTwiceAtOnce()
    {
        var inside = 0;
        var most = 0;
        var workers = Enumerable.Range(0, 6).Select(i => Task.Run(async () =>
        {
            var provider = i % 2 == 0 ? _processes.First : _processes.Second;
            for (var n = 0; n < 5; n++)
            {
                await using (await provider.CreateLock("counter").AcquireAsync(WaitHelper.DefaultTimeout, Ct))
                {
                    ConcurrencyMeter.RaiseTo(ref most, Interlocked.Increment(ref inside));
                    await Task.Yield();
                    Interlocked.Decrement(ref inside);
                }
            }
        }, Ct));

        await Task.WhenAll(workers).WithTimeout();

        Assert.Equal(1, most);
    }

    [Fact]
    public async Task Cancellation_AbandonsTheWaitAndLeavesNothingBehind()
    {
        await using var holder = await _processes.First.CreateLock("cancel").AcquireAsync(cancellationToken: Ct);
        using var cts = new CancellationTokenSource();
        var waiting = _processes.Second.CreateLock("cancel").AcquireAsync(cancellationToken: cts.Token).AsTask();
        await WaitHelper.WaitUntilAsync(async () => await _processes.ContendersAsync("cancel") == 2, cancellationToken: Ct);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WithTimeout());
        await WaitHelper.WaitUntilAsync(async () => await _processes.ContendersAsync("cancel") == 1, cancellationToken: Ct);
    }

    [Fact]
    public async Task CancelledToken_ThrowsWithoutAcquiring()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await _processes.First.CreateLock("pre-cancelled").TryAcquireAsync(Short, cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await _processes.First.CreateSemaphore("pre-cancelled", 2).AcquireAsync(cancellationToken: cts.Token));
        Assert.Equal(0, await _processes.ContendersAsync("pre-cancelled"));
    }

    [Fact]
    public async Task NegativeTimeout_IsRefused()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await _processes.First.CreateLock("t").TryAcquireAsync(TimeSpan.FromSeconds(-2), Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await _processes.First.CreateReaderWriterLock("t").AcquireWriteLockAsync(TimeSpan.FromSeconds(-2), Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await _processes.First.CreateSemaphore("t", 1).TryAcquireAsync(TimeSpan.FromSeconds(-2), Ct));
    }

    [Fact]
    public async Task Dispose_ReleasesOnceAndEndsTheHandle()
    {
        var distributedLock = _processes.First.CreateLock("dispose");
        var handle = distributedLock.Acquire(cancellationToken: Ct);                   // the synchronous API
        var lost = handle.HandleLostToken;
        Assert.False(lost.IsCancellationRequested);
        Assert.Null(_processes.Second.CreateLock("dispose").TryAcquire(cancellationToken: Ct));

        handle.Dispose();
        handle.Dispose();
        await handle.DisposeAsync();

        Assert.Throws<ObjectDisposedException>(() => handle.HandleLostToken);
        using var next = _processes.Second.CreateLock("dispose").TryAcquire(cancellationToken: Ct);
        Assert.NotNull(next);
    }

    [Fact]
    public async Task HandleLostToken_FiresWhenTheSessionIsLost()
    {
        await using var client = await Processes.ConnectAsync();
        var provider = new ZkSyncDistributedLockProvider(client, new Locks.ZooKeeperLockProvider(client, new() { RootPath = _processes.LockRoot }));
        await using var handle = await provider.CreateLock("lost").AcquireAsync(cancellationToken: Ct);
        var lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var registration = handle.HandleLostToken.Register(lost.SetResult);

        await SessionKiller.ExpireAsync(client, Ct);

        await lost.Task.WithTimeout();
        await using var next = await _processes.Second.CreateLock("lost").TryAcquireAsync(WaitHelper.DefaultTimeout, Ct).Held();
    }

    [Fact]
    public async Task Handle_CarriesAGrowingFencingToken()
    {
        var distributedLock = _processes.First.CreateLock("fenced");
        long first;
        await using (var handle = await distributedLock.AcquireAsync(cancellationToken: Ct))
        {
            first = Assert.IsType<ZkSyncDistributedLockHandle>(handle).FencingToken;
        }

        await using var again = await _processes.Second.CreateLock("fenced").AcquireAsync(cancellationToken: Ct);
        Assert.True(((ZkSyncDistributedLockHandle)again).FencingToken > first);
    }

    [Fact]
    public async Task ReaderWriter_ReadersShareWritersExclude()
    {
        var mine = _processes.First.CreateReaderWriterLock("catalog");
        var theirs = _processes.Second.CreateReaderWriterLock("catalog");

        await using (await mine.AcquireReadLockAsync(cancellationToken: Ct))
        await using (await theirs.TryAcquireReadLockAsync(cancellationToken: Ct).Held())
        {
            Assert.Null(await theirs.TryAcquireWriteLockAsync(cancellationToken: Ct));
            Assert.Null(theirs.TryAcquireWriteLock(Short, Ct));
        }

        await using (await mine.AcquireWriteLockAsync(cancellationToken: Ct))
        {
            Assert.Null(await theirs.TryAcquireReadLockAsync(cancellationToken: Ct));
            Assert.Null(await theirs.TryAcquireWriteLockAsync(Short, Ct));
            Assert.Null(await _processes.Second.CreateLock("catalog").TryAcquireAsync(cancellationToken: Ct));
            await Assert.ThrowsAsync<TimeoutException>(async () => await theirs.AcquireReadLockAsync(Short, Ct));
        }

        using var write = theirs.AcquireWriteLock(cancellationToken: Ct);
    }

    [Fact]
    public async Task ReaderWriter_AWaitingWriterHoldsBackNewReaders()
    {
        var reader = await _processes.First.CreateReaderWriterLock("queue").AcquireReadLockAsync(cancellationToken: Ct);
        var writer = _processes.Second.CreateReaderWriterLock("queue").AcquireWriteLockAsync(WaitHelper.DefaultTimeout, Ct).AsTask();
        await WaitHelper.WaitUntilAsync(async () => await _processes.ContendersAsync("queue") == 2, cancellationToken: Ct);

        Assert.Null(await _processes.First.CreateReaderWriterLock("queue").TryAcquireReadLockAsync(cancellationToken: Ct));

        await reader.DisposeAsync();
        await using var written = await writer.WithTimeout();
    }

    [Fact]
    public async Task Semaphore_GrantsMaxCountTickets()
    {
        var mine = _processes.First.CreateSemaphore("exports", 2);
        var theirs = _processes.Second.CreateSemaphore("exports", 2);
        Assert.Equal("exports", mine.Name);
        Assert.Equal(2, mine.MaxCount);

        var first = await mine.AcquireAsync(cancellationToken: Ct);
        using var second = theirs.Acquire(cancellationToken: Ct);
        Assert.Null(await theirs.TryAcquireAsync(cancellationToken: Ct));
        Assert.Null(mine.TryAcquire(Short, Ct));
        await Assert.ThrowsAsync<TimeoutException>(async () => await theirs.AcquireAsync(Short, Ct));

        var third = theirs.TryAcquireAsync(WaitHelper.DefaultTimeout, Ct).AsTask();
        await first.DisposeAsync();
        await using var granted = await third.WithTimeout() ?? throw new Xunit.Sdk.XunitException("The third ticket was not granted.");
        Assert.False(granted.HandleLostToken.IsCancellationRequested);
    }

    [Fact]
    public void Semaphore_NeedsAtLeastOneTicket() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => _processes.First.CreateSemaphore("none", 0));

    [Fact]
    public void NullName_IsRefused()
    {
        Assert.Throws<ArgumentNullException>(() => _processes.First.CreateLock(null!));
        Assert.Throws<ArgumentNullException>(() => _processes.First.CreateReaderWriterLock(null!));
        Assert.Throws<ArgumentNullException>(() => _processes.First.CreateSemaphore(null!, 1));
    }
}
