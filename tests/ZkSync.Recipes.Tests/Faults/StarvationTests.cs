using System.Diagnostics;
using System.Globalization;
using ZkSync.Recipes.Tests.Locks;
using ZkSync.TestSupport;

namespace ZkSync.Recipes.Tests.Faults;

/// <summary>
/// S1 of the correctness review: an application that starves the thread pool (sync over async) must still see Lost
/// before ZooKeeper expires its session and grants the lock to someone else. The holder runs in a worker process
/// whose pool is blocked for good; its connection is partitioned; a contender here waits for the lock.
/// </summary>
public sealed class StarvationTests
{
    private const int SessionTimeoutMs = 4000;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ThreadPoolStarved_HolderPartitioned_LostFlagSetBeforeContenderAcquires()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "Needs Linux (the worker's clock is CLOCK_MONOTONIC, shared with this process).");
        await using var env = await LockTestEnvironment.CreateAsync();
        await using var proxy = new FaultProxy(ZooKeeperEnsemble.GetMemberEndPoint(1));
        using var worker = WorkerProcess.StartStarving(proxy.Endpoint, env.Root, SessionTimeoutMs);
        var starved = worker.WhenLine(line => line == "STARVED");
        var lostLine = worker.WhenLine(line => line.StartsWith("LOST ", StringComparison.Ordinal));
        await starved.WaitAsync(LockTestEnvironment.Patience, Ct);
        var (_, contender) = await env.NewContenderAsync();

        var cutAt = Stopwatch.GetTimestamp();
        proxy.Mode = FaultMode.Blackhole;
        await using var handle = await contender.AcquireAsync("job", LockTestEnvironment.Patience, Ct);
        var acquiredAt = Stopwatch.GetTimestamp();

        // The worker's Lost line, if it ever comes; its timestamp is what matters.
        await Task.WhenAny(lostLine, Task.Delay(TimeSpan.FromSeconds(5), Ct));
        var lost = worker.Lines.FirstOrDefault(line => line.StartsWith("LOST ", StringComparison.Ordinal));
        Assert.True(lost is not null, $"the starved holder never saw Lost; the contender acquired {Ms(cutAt, acquiredAt)} ms after the cut. {worker.Errors}");
        var lostAt = long.Parse(lost["LOST ".Length..], CultureInfo.InvariantCulture);
        TestContext.Current.TestOutputHelper?.WriteLine($"Lost {Ms(cutAt, lostAt)} ms after the cut, contender acquired {Ms(cutAt, acquiredAt)} ms after it");
        Assert.True(lostAt < acquiredAt, $"Lost {Ms(cutAt, lostAt)} ms after the cut, after the contender acquired ({Ms(cutAt, acquiredAt)} ms)");
    }

    private static long Ms(long from, long to) => (long)Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;
}
