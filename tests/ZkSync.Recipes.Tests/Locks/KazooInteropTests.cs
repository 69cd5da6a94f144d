using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using ZkSync.Client;
using ZkSync.Locks;
using ZkSync.Recipes.Tests.Peers;
using ZkSync.TestSupport.Peers;

namespace ZkSync.Recipes.Tests.Locks;

/// <summary>
/// ZkSync and kazoo (Debian's python3-kazoo in a real Python process) exclude each other on the same lock path, in
/// both directions: ZkSync counts kazoo's <c>__lock__</c>/<c>__rlock__</c> nodes, kazoo counts ZkSync's through the
/// <c>extra_lock_patterns</c> the README documents. Every "it waits" is observed as the waiter's own decision to wait
/// (ZkSync's LockWaiting log, the peer's <c>lock-waiting</c> event), never as the absence of progress for a while.
/// </summary>
[Collection(PeerScenario.Collection)]
public sealed class KazooInteropTests
{
    /// <summary>README: what kazoo's <c>Lock</c> and <c>WriteLock</c> pass, so they wait for every ZkSync node ahead.</summary>
    private static readonly string[] ExclusivePatterns = ["-lock-", "__WRIT__", "__READ__"];

    /// <summary>README: what kazoo's <c>ReadLock</c> passes, so it waits for ZkSync's exclusive nodes only.</summary>
    private static readonly string[] SharedPatterns = ["-lock-", "__WRIT__"];

    private static readonly ZooKeeperLockRequest Shared = new() { Mode = ZooKeeperLockMode.Shared };
    private static readonly ZooKeeperLockRequest Exclusive = new() { Mode = ZooKeeperLockMode.Exclusive };

    [Fact]
    public async Task Mutex_KazooLockHolds_ZkSyncWaitsForItThenTakesOver()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scenario = new PeerScenario();
        var kazoo = await scenario.StartKazooAsync();
        await using var zk = await ZkSyncSide.StartAsync(scenario);
        var path = scenario.PathFor("orders-42");

        // A plain kazoo Lock, as a Python worker written without ZkSync in mind takes it.
        Assert.True(await kazoo.AcquireMutexAsync("py", path, PeerScenario.Patience, ct));
        var kazooNode = Assert.Single(await kazoo.GetChildrenAsync(path, ct));

        Assert.Null(await zk.Provider.TryAcquireAsync("orders-42", cancellationToken: ct));
        var waiting = zk.Provider.AcquireAsync("orders-42", PeerScenario.Patience, ct).AsTask();
        Assert.Equal(kazooNode, await zk.WaitUntilWaitingAsync("orders-42", waiting, ct));
        Assert.False(waiting.IsCompleted);

        await kazoo.ReleaseMutexAsync("py", ct);
        await using var handle = await waiting; // the direct hand-off from a kazoo predecessor
        Assert.Equal([ZkPath.GetName(handle.NodePath)], await kazoo.GetChildrenAsync(path, ct));

        // And back: kazoo, with the documented patterns, sees the ZkSync holder.
        Assert.False(await kazoo.AcquireMutexAsync("py2", path, TimeSpan.Zero, ExclusivePatterns, ct));
    }

    [Fact]
    public async Task Mutex_KazooThenZkSyncThenKazoo_AreGrantedInLineOrder()
    {
        // Two Python workers and a .NET request in one line: each waits for the one ahead and none overlaps, also when
        // ZkSync takes over from a kazoo holder without listing again.
        var ct = TestContext.Current.CancellationToken;
        await using var scenario = new PeerScenario();
        var first = await scenario.StartKazooAsync();
        var third = await scenario.StartKazooAsync();
        await using var zk = await ZkSyncSide.StartAsync(scenario);
        var path = scenario.PathFor("orders-42");

        Assert.True(await first.AcquireMutexAsync("first", path, PeerScenario.Patience, ExclusivePatterns, ct));
        var firstNode = Assert.Single(await first.GetChildrenAsync(path, ct));
        var second = zk.Provider.AcquireAsync("orders-42", PeerScenario.Patience, ct).AsTask();
        Assert.Equal(firstNode, await zk.WaitUntilWaitingAsync("orders-42", second, ct));
        var thirdAcquired = third.AcquireMutexAsync("third", path, PeerScenario.Patience, ExclusivePatterns, ct);
        var secondNode = await third.WaitUntilWaitingAsync("third", thirdAcquired, PeerScenario.Patience, ct);

        await first.ReleaseMutexAsync("first", ct);
        await using (var handle = await second)
        {
            Assert.Equal(secondNode, ZkPath.GetName(handle.NodePath));
            Assert.False(thirdAcquired.IsCompleted);
        }

        Assert.True(await thirdAcquired);
        Assert.Null(await zk.Provider.TryAcquireAsync("orders-42", cancellationToken: ct));
        await third.ReleaseMutexAsync("third", ct);
    }

    [Theory]
    [InlineData(ExclusiveLockNodeFormat.Mutex)]
    [InlineData(ExclusiveLockNodeFormat.WriteLock)]
    public async Task Mutex_ZkSyncHolds_KazooWithExtraLockPatternsWaitsThenAcquires(ExclusiveLockNodeFormat format)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scenario = new PeerScenario();
        var kazoo = await scenario.StartKazooAsync();
        await using var zk = await ZkSyncSide.StartAsync(scenario, format);
        var path = scenario.PathFor("orders-42");

        var handle = await zk.Provider.AcquireAsync("orders-42", PeerScenario.Patience, ct);
        var ours = ZkPath.GetName(handle.NodePath);

        // Without extra_lock_patterns kazoo does not see ZkSync's node at all: why the README asks for them.
        Assert.True(await kazoo.AcquireMutexAsync("blind", path, TimeSpan.Zero, ct));
        await kazoo.ReleaseMutexAsync("blind", ct);

        Assert.False(await kazoo.AcquireMutexAsync("try", path, TimeSpan.Zero, ExclusivePatterns, ct));
        Assert.False(await kazoo.AcquireReadWriteAsync("try-write", path, isWrite: true, TimeSpan.Zero, ExclusivePatterns, ct));
        Assert.False(await kazoo.AcquireReadWriteAsync("try-read", path, isWrite: false, TimeSpan.Zero, SharedPatterns, ct));

        var kazooWaiting = kazoo.AcquireMutexAsync("py", path, PeerScenario.Patience, ExclusivePatterns, ct);
        Assert.Equal(ours, await kazoo.WaitUntilWaitingAsync("py", kazooWaiting, PeerScenario.Patience, ct));
        Assert.False(kazooWaiting.IsCompleted);

        await handle.DisposeAsync();
        Assert.True(await kazooWaiting);
        Assert.Null(await zk.Provider.TryAcquireAsync("orders-42", cancellationToken: ct));
        await kazoo.ReleaseMutexAsync("py", ct);
    }

    [Fact]
    public async Task ReadWrite_KazooReadLockAndZkSyncShared_HoldTogether_AndExcludeWriters()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scenario = new PeerScenario();
        var kazoo = await scenario.StartKazooAsync();
        await using var zk = await ZkSyncSide.StartAsync(scenario);
        var path = scenario.PathFor("report");

        Assert.True(await kazoo.AcquireReadWriteAsync("reader", path, isWrite: false, PeerScenario.Patience, SharedPatterns, ct));

        // The kazoo reader alone keeps a ZkSync writer out, and lets a ZkSync reader in.
        Assert.Null(await zk.Provider.TryAcquireAsync("report", Exclusive, cancellationToken: ct));
        var ours = await zk.Provider.TryAcquireAsync("report", Shared, cancellationToken: ct);
        Assert.NotNull(ours);

        // Both readers hold: another kazoo reader joins them, a kazoo writer does not.
        Assert.True(await kazoo.AcquireReadWriteAsync("reader2", path, isWrite: false, TimeSpan.Zero, SharedPatterns, ct));
        await kazoo.ReleaseReadWriteAsync("reader2", ct);
        Assert.False(await kazoo.AcquireReadWriteAsync("writer", path, isWrite: true, TimeSpan.Zero, ExclusivePatterns, ct));

        // With only the ZkSync reader left, a kazoo writer still waits for it, and takes over when it goes.
        await kazoo.ReleaseReadWriteAsync("reader", ct);
        var writer = kazoo.AcquireReadWriteAsync("writer2", path, isWrite: true, PeerScenario.Patience, ExclusivePatterns, ct);
        Assert.Equal(ZkPath.GetName(ours.NodePath), await kazoo.WaitUntilWaitingAsync("writer2", writer, PeerScenario.Patience, ct));
        Assert.False(writer.IsCompleted);
        await ours.DisposeAsync();
        Assert.True(await writer);
        Assert.Null(await zk.Provider.TryAcquireAsync("report", Shared, cancellationToken: ct));
        await kazoo.ReleaseReadWriteAsync("writer2", ct);
    }

    [Fact]
    public async Task ReadWrite_KazooWriteLockHolds_ZkSyncSharedWaitsThenShares()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scenario = new PeerScenario();
        var kazoo = await scenario.StartKazooAsync();
        await using var zk = await ZkSyncSide.StartAsync(scenario);
        var path = scenario.PathFor("report");

        Assert.True(await kazoo.AcquireReadWriteAsync("writer", path, isWrite: true, PeerScenario.Patience, ExclusivePatterns, ct));
        var kazooNode = Assert.Single(await kazoo.GetChildrenAsync(path, ct));

        Assert.Null(await zk.Provider.TryAcquireAsync("report", Shared, cancellationToken: ct));
        var waiting = zk.Provider.AcquireAsync("report", Shared, PeerScenario.Patience, ct).AsTask();
        Assert.Equal(kazooNode, await zk.WaitUntilWaitingAsync("report", waiting, ct));
        Assert.False(waiting.IsCompleted);

        await kazoo.ReleaseReadWriteAsync("writer", ct);
        await using var ours = await waiting;

        // Now a reader holds: kazoo readers share it, kazoo writers wait.
        Assert.True(await kazoo.AcquireReadWriteAsync("reader", path, isWrite: false, TimeSpan.Zero, SharedPatterns, ct));
        Assert.False(await kazoo.AcquireReadWriteAsync("writer2", path, isWrite: true, TimeSpan.Zero, ExclusivePatterns, ct));
        await kazoo.ReleaseReadWriteAsync("reader", ct);
    }

    [Fact]
    public async Task Mutex_KazooHolderWhoseIdentifierLooksLikeALease_IsNotEvicted()
    {
        // kazoo stores its identifier as the node's data; JSON that reads like ZkSync's lock record must not make a
        // waiting ZkSync contender take the node for an expired TTL holder.
        var ct = TestContext.Current.CancellationToken;
        await using var scenario = new PeerScenario();
        var kazoo = await scenario.StartKazooAsync();
        await using var zk = await ZkSyncSide.StartAsync(scenario);
        var path = scenario.PathFor("leased");
        const string identifier = """{"owner":"py","acquiredAt":0,"ttlMs":1}""";

        Assert.True(await kazoo.AcquireMutexAsync(identifier, path, PeerScenario.Patience, ct));
        var kazooNode = Assert.Single(await kazoo.GetChildrenAsync(path, ct));

        var waiting = zk.Provider.AcquireAsync("leased", PeerScenario.Patience, ct).AsTask();
        Assert.Equal(kazooNode, await zk.WaitUntilWaitingAsync("leased", waiting, ct));
        Assert.False(waiting.IsCompleted);
        Assert.Contains(kazooNode, await kazoo.GetChildrenAsync(path, ct));

        await kazoo.ReleaseMutexAsync(identifier, ct);
        await using var handle = await waiting;
    }

    /// <summary>A ZkSync client and lock provider whose LockWaiting log lines the test can wait for.</summary>
    private sealed class ZkSyncSide : IAsyncDisposable
    {
        private const int LockWaitingEventId = 2001;
        private readonly ZooKeeperClient _client;
        private readonly ILoggerFactory _loggerFactory;
        private readonly FakeLogCollector _logs;

        private ZkSyncSide(ZooKeeperClient client, ILoggerFactory loggerFactory, FakeLogCollector logs, ZooKeeperLockProvider provider)
        {
            _client = client;
            _loggerFactory = loggerFactory;
            _logs = logs;
            Provider = provider;
        }

        public ZooKeeperLockProvider Provider { get; }

        public static async Task<ZkSyncSide> StartAsync(PeerScenario scenario, ExclusiveLockNodeFormat format = ExclusiveLockNodeFormat.Mutex)
        {
            var client = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectionString = PeerScenario.ConnectionString },
                cancellationToken: TestContext.Current.CancellationToken);
            var logs = new FakeLogCollector();
            var loggerFactory = LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.Debug).AddProvider(new FakeLoggerProvider(logs)));
            var provider = new ZooKeeperLockProvider(client, new ZooKeeperLockOptions { RootPath = scenario.Root, ExclusiveNodeFormat = format }, loggerFactory);
            return new ZkSyncSide(client, loggerFactory, logs, provider);
        }

        /// <summary>
        /// Waits until the acquisition of <paramref name="name"/> decided to wait and returns the node it watches; fails
        /// at once if <paramref name="acquisition"/> ends first (it took the lock instead of waiting).
        /// </summary>
        public async Task<string> WaitUntilWaitingAsync(string name, Task acquisition, CancellationToken cancellationToken)
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var waitingLogged = FirstWaitingAsync(name, limit.Token);
            var first = await Task.WhenAny(waitingLogged, acquisition).WaitAsync(PeerScenario.Patience, cancellationToken);
            await limit.CancelAsync();
            if (first == acquisition)
            {
                await acquisition; // rethrows its failure, if any
                Assert.Fail($"Lock '{name}' was acquired instead of waiting.");
            }

            return await waitingLogged;
        }

        private async Task<string> FirstWaitingAsync(string name, CancellationToken cancellationToken)
        {
            await foreach (var record in _logs.GetLogsAsync(cancellationToken))
            {
                if (record.Id.Id == LockWaitingEventId && record.GetStructuredStateValue("Name") == name)
                {
                    return record.GetStructuredStateValue("Predecessor")!;
                }
            }

            throw new InvalidOperationException("The log ended.");
        }

        public async ValueTask DisposeAsync()
        {
            await _client.DisposeAsync();
            _loggerFactory.Dispose();
        }
    }
}
