using Medallion.Threading;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using ZkSync.Client;
using ZkSync.TestSupport;

namespace ZkSync.DistributedLock.Tests;

/// <summary>Code written against DistributedLock.Core moves to ZooKeeper by one registration.</summary>
public sealed class RegistrationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AddZkSyncDistributedLock_ServesDistributedLockCodeFromZkSyncConfiguration()
    {
        var root = TestPaths.Unique();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ZkSync:ConnectionString"] = ZooKeeperEnsemble.ConnectionString,
            ["ZkSync:Locks:RootPath"] = root + "/locks",
        }).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton<IDistributedLockProvider>(new UnusedProvider());        // the provider the app used before
        services.AddZkSync(configuration);
        services.AddZkSyncDistributedLock(new Semaphores.ZooKeeperSemaphoreOptions { RootPath = root + "/semaphores" });
        services.AddSingleton<OrderService>();
        await using var provider = services.BuildServiceProvider();

        var zkSync = provider.GetRequiredService<ZkSyncDistributedLockProvider>();
        Assert.Same(zkSync, provider.GetRequiredService<IDistributedLockProvider>());
        Assert.Same(zkSync, provider.GetRequiredService<IDistributedReaderWriterLockProvider>());
        Assert.Same(zkSync, provider.GetRequiredService<IDistributedSemaphoreProvider>());
        Assert.Single(provider.GetServices<IDistributedLockProvider>());

        // While it is held, the lock is a ZkSync lock under the configured root (one contender node).
        var client = provider.GetRequiredService<ZooKeeperClient>();
        var token = await provider.GetRequiredService<OrderService>().ShipAsync(42, async () =>
            Assert.Single(await client.GetChildrenAsync(root + "/locks/orders%2F42", cancellationToken: Ct)));

        Assert.True(token > 0);
    }

    [Fact]
    public async Task AddZkSyncDistributedLock_WithoutAClient_SaysWhatIsMissing()
    {
        await using var provider = new ServiceCollection().AddZkSyncDistributedLock().BuildServiceProvider();

        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IDistributedLockProvider>());

        Assert.Contains("AddZkSync(builder.Configuration)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RootSlash_IsRefused()
    {
        await using var client = await Processes.ConnectAsync();

        var error = Assert.Throws<ArgumentException>(() => new ZkSyncDistributedLockProvider(client, new Locks.ZooKeeperLockProvider(client, new() { RootPath = "/" })));

        Assert.Equal("locks", error.ParamName);
    }

    /// <summary>Application code that knows only DistributedLock.Core (its extension methods included).</summary>
    private sealed class OrderService(IDistributedLockProvider locks, IDistributedSemaphoreProvider semaphores)
    {
        public async Task<long> ShipAsync(int id, Func<Task> work)
        {
            await using var ticket = await semaphores.AcquireSemaphoreAsync("shipping", 3, WaitHelper.DefaultTimeout, Ct);
            await using var handle = await locks.AcquireLockAsync($"orders/{id}", WaitHelper.DefaultTimeout, Ct);
            await work();
            return ((ZkSyncDistributedLockHandle)handle).FencingToken;
        }
    }

    private sealed class UnusedProvider : IDistributedLockProvider
    {
        public IDistributedLock CreateLock(string name) => throw new InvalidOperationException("The earlier registration was used.");
    }
}
