using ZkSync.Client;
using ZkSync.Locks;
using ZkSync.Recipes.Tests.Peers;

namespace ZkSync.Recipes.Tests.Locks;

/// <summary>ZkSync and Apache Curator (a real Java process) exclude each other on the same lock path.</summary>
[Collection(PeerScenario.Collection)]
public sealed class CuratorInteropTests
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task Mutex_CuratorHolds_ZkSyncWaitsThenAcquires()
    {
        await using var scenario = new PeerScenario();
        var curator = await scenario.StartCuratorAsync();
        await using var client = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectionString = PeerScenario.ConnectionString });
        var provider = new ZooKeeperLockProvider(client, new ZooKeeperLockOptions { RootPath = scenario.Root });

        Assert.True(await curator.AcquireMutexAsync("java", scenario.PathFor("m"), PeerScenario.Patience));
        Assert.Null(await provider.TryAcquireAsync("m", Short));
        var waiting = provider.AcquireAsync("m", PeerScenario.Patience).AsTask();
        Assert.False(waiting.IsCompleted);
        await curator.ReleaseMutexAsync("java");

        await using var handle = await waiting;
        Assert.False(await curator.AcquireMutexAsync("java2", scenario.PathFor("m"), Short));
    }

    [Fact]
    public async Task Mutex_ZkSyncHolds_CuratorWaitsThenAcquires()
    {
        await using var scenario = new PeerScenario();
        var curator = await scenario.StartCuratorAsync();
        await using var client = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectionString = PeerScenario.ConnectionString });
        var provider = new ZooKeeperLockProvider(client, new ZooKeeperLockOptions { RootPath = scenario.Root });

        var handle = await provider.AcquireAsync("m", PeerScenario.Patience);
        Assert.False(await curator.AcquireMutexAsync("java", scenario.PathFor("m"), Short));
        await handle.DisposeAsync();

        Assert.True(await curator.AcquireMutexAsync("java", scenario.PathFor("m"), PeerScenario.Patience));
        Assert.Null(await provider.TryAcquireAsync("m"));
        await curator.ReleaseMutexAsync("java");
    }

    [Fact]
    public async Task ReadWrite_CuratorWriterExcludesZkSyncReader_AndCuratorReaderSharesWithZkSyncReader()
    {
        await using var scenario = new PeerScenario();
        var curator = await scenario.StartCuratorAsync();
        await using var client = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectionString = PeerScenario.ConnectionString });
        var provider = new ZooKeeperLockProvider(client, new ZooKeeperLockOptions
        {
            RootPath = scenario.Root,
            ExclusiveNodeFormat = ExclusiveLockNodeFormat.WriteLock,
        });
        var read = new ZooKeeperLockRequest { Mode = ZooKeeperLockMode.Shared };
        var write = new ZooKeeperLockRequest { Mode = ZooKeeperLockMode.Exclusive };

        Assert.True(await curator.AcquireReadWriteAsync("w", scenario.PathFor("rw"), isWrite: true, PeerScenario.Patience));
        Assert.Null(await provider.TryAcquireAsync("rw", read));
        await curator.ReleaseReadWriteAsync("w");

        Assert.True(await curator.AcquireReadWriteAsync("r", scenario.PathFor("rw"), isWrite: false, PeerScenario.Patience));
        await using (var ours = await provider.TryAcquireAsync("rw", read))
        {
            Assert.NotNull(ours);
            Assert.Null(await provider.TryAcquireAsync("rw", write));
        }

        await curator.ReleaseReadWriteAsync("r");
    }
}
