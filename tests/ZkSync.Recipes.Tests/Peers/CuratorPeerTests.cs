using System.Diagnostics;
using System.Text.RegularExpressions;
using Xunit;
using ZkSync.TestSupport.Peers;

namespace ZkSync.Recipes.Tests.Peers;

/// <summary>The Curator peer harness against a real ZooKeeper (<c>ZKSYNC_TEST_CONNECTION</c>).</summary>
[Collection(PeerScenario.Collection)]
public sealed class CuratorPeerTests
{
    private static readonly TimeSpan ShortWait = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task AcquireMutexAsync_SecondPeerWhileFirstHolds_TimesOutThenAcquiresAfterRelease()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scenario = new PeerScenario();
        var first = await scenario.StartCuratorAsync();
        var second = await scenario.StartCuratorAsync();
        var path = scenario.PathFor("mutex");

        Assert.True(await first.AcquireMutexAsync("a", path, PeerScenario.Patience, ct));
        Assert.False(await second.AcquireMutexAsync("b", path, ShortWait, ct));
        // Curator deletes the waiter's node before answering "timeout": only the holder's node is left. Listed by the
        // waiter's session, whose delete was its last write: the holder's member may not have applied that create and
        // delete yet (ZooKeeper orders reads after writes only within one session).
        Assert.Single(await second.GetChildrenAsync(path, ct));

        await first.ReleaseMutexAsync("a", ct);
        Assert.True(await second.AcquireMutexAsync("b", path, PeerScenario.Patience, ct));
        Assert.False(await first.AcquireMutexAsync("a", path, ShortWait, ct));
        await second.ReleaseMutexAsync("b", ct);
    }

    [Fact]
    public async Task AcquireReadWriteAsync_TwoReaders_ShareLockAndExcludeWriter()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scenario = new PeerScenario();
        var one = await scenario.StartCuratorAsync();
        var two = await scenario.StartCuratorAsync();
        var path = scenario.PathFor("rw");

        Assert.True(await one.AcquireReadWriteAsync("r1", path, isWrite: false, PeerScenario.Patience, ct));
        Assert.True(await two.AcquireReadWriteAsync("r2", path, isWrite: false, PeerScenario.Patience, ct));
        Assert.False(await one.AcquireReadWriteAsync("w", path, isWrite: true, ShortWait, ct));

        await one.ReleaseReadWriteAsync("r1", ct);
        await two.ReleaseReadWriteAsync("r2", ct);
        Assert.True(await one.AcquireReadWriteAsync("w", path, isWrite: true, PeerScenario.Patience, ct));
        Assert.False(await two.AcquireReadWriteAsync("r3", path, isWrite: false, ShortWait, ct));
        await one.ReleaseReadWriteAsync("w", ct);
    }

    [Fact]
    public async Task StartLatchAsync_TwoPeers_ElectsExactlyOneLeaderAndHandsOverOnStop()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scenario = new PeerScenario();
        var one = await scenario.StartCuratorAsync();
        var two = await scenario.StartCuratorAsync();
        var path = scenario.PathFor("latch");

        await one.StartLatchAsync("l1", path, "one", ct);
        await two.StartLatchAsync("l2", path, "two", ct);
        using var stopWaiting = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var oneLeads = one.WaitForLeadershipAsync("l1", isLeader: true, PeerScenario.Patience, stopWaiting.Token);
        var twoLeads = two.WaitForLeadershipAsync("l2", isLeader: true, PeerScenario.Patience, stopWaiting.Token);
        var first = await Task.WhenAny(oneLeads, twoLeads);
        await first; // a timeout surfaces here
        await stopWaiting.CancelAsync();
        await ((Task)Task.WhenAll(oneLeads, twoLeads)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);

        var (leader, leaderId, follower, followerId) = first == oneLeads ? (one, "l1", two, "l2") : (two, "l2", one, "l1");
        Assert.True(await leader.IsLeaderAsync(leaderId, ct));
        Assert.False(await follower.IsLeaderAsync(followerId, ct));
        // The follower's node may still be in flight (LeaderLatch creates it in the background): check names only.
        Assert.All(await leader.GetChildrenAsync(path, ct), name => Assert.Matches(CuratorNode("latch"), name));

        await leader.StopLatchAsync(leaderId, ct);
        await follower.WaitForLeadershipAsync(followerId, isLeader: true, PeerScenario.Patience, ct);
        Assert.True(await follower.IsLeaderAsync(followerId, ct));
    }

    [Fact]
    public async Task GetChildrenAsync_HeldCuratorMutex_FollowsProtectedLockLayout()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scenario = new PeerScenario();
        var holder = await scenario.StartCuratorAsync();
        var path = scenario.PathFor("layout");
        Assert.True(await holder.AcquireMutexAsync("a", path, PeerScenario.Patience, ct));

        var children = await holder.GetChildrenAsync(path, ct);

        var name = Assert.Single(children);
        Assert.Matches(CuratorNode("lock"), name);
        await holder.ReleaseMutexAsync("a", ct);
        Assert.Empty(await holder.GetChildrenAsync(path, ct));
    }

    [Fact]
    public async Task SendAsync_UnknownCommand_ThrowsPeerCommandExceptionAndKeepsWorking()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scenario = new PeerScenario();
        var peer = await scenario.StartCuratorAsync();

        var error = await Assert.ThrowsAsync<PeerCommandException>(() => peer.SendAsync("no-such-command", ct));
        var releaseError = await Assert.ThrowsAsync<PeerCommandException>(() => peer.ReleaseMutexAsync("never-acquired", ct));

        Assert.Contains("unknown command", error.PeerMessage, StringComparison.Ordinal);
        Assert.Contains("never-acquired", releaseError.PeerMessage, StringComparison.Ordinal);
        Assert.Equal("pong", await peer.SendAsync("ping", ct));
    }

    [Fact]
    public async Task DisposeAsync_PeerHoldingMutex_EndsProcessAndFreesLock()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scenario = new PeerScenario();
        var holder = await scenario.StartCuratorAsync();
        var other = await scenario.StartCuratorAsync();
        var path = scenario.PathFor("dispose");
        Assert.True(await holder.AcquireMutexAsync("a", path, PeerScenario.Patience, ct));
        var processId = holder.ProcessId;

        await holder.DisposeAsync();

        Assert.True(holder.HasExited);
        Assert.False(IsRunning(processId));
        // The peer closed its session on quit, so the lock is free long before a session timeout.
        Assert.True(await other.AcquireMutexAsync("b", path, ShortWait, ct));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => holder.SendAsync("ping", ct));
    }

    [Fact]
    public async Task DisposeAsync_CommandOutstanding_KillsProcessAndFailsCommand()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scenario = new PeerScenario();
        var holder = await scenario.StartCuratorAsync();
        var waiter = await scenario.StartCuratorAsync();
        var path = scenario.PathFor("blocked");
        Assert.True(await holder.AcquireMutexAsync("a", path, PeerScenario.Patience, ct));
        var blocked = waiter.AcquireMutexAsync("b", path, Timeout.InfiniteTimeSpan, ct);
        var processId = waiter.ProcessId;

        await waiter.DisposeAsync();

        Assert.False(IsRunning(processId));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => blocked);
        Assert.Contains("disposed before replying", error.Message, StringComparison.Ordinal);
    }

    private static bool IsRunning(int processId)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    // Curator's protected sequential names (shared/RECIPES.md): _c_<36-char lowercase UUID>-<token>-<10 digits>.
    private static Regex CuratorNode(string token) =>
        new($"^_c_[0-9a-f]{{8}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{12}}-{token}-[0-9]{{10}}$", RegexOptions.CultureInvariant);
}
