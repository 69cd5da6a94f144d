using Medallion.Threading;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using ZkSync.Client;
using ZkSync.DistributedLock;
using ZkSync.Locks;
using ZkSync.Semaphores;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers ZkSync as the application's DistributedLock.Core provider.</summary>
public static class ZkSyncDistributedLockServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="ZkSyncDistributedLockProvider"/> as <see cref="IDistributedLockProvider"/>,
    /// <see cref="IDistributedReaderWriterLockProvider"/> and <see cref="IDistributedSemaphoreProvider"/>, replacing any
    /// earlier registration of those interfaces (the one line that moves DistributedLock code to ZooKeeper).
    /// </summary>
    /// <param name="services">The services; they must provide a <see cref="ZooKeeperClient"/>, as <c>AddZkSync</c>
    /// (ZkSync.AspNetCore) does, whose <see cref="ZooKeeperLockProvider"/> (root, ACL) is used when registered.</param>
    /// <param name="semaphoreOptions">The semaphores' options; null for defaults (<c>/zksync/semaphores</c>).</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddZkSyncDistributedLock(this IServiceCollection services, ZooKeeperSemaphoreOptions? semaphoreOptions = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(provider => new ZkSyncDistributedLockProvider(
            provider.GetService<ZooKeeperClient>() ?? throw new InvalidOperationException(
                "AddZkSyncDistributedLock needs a ZooKeeperClient service: call builder.Services.AddZkSync(builder.Configuration) (package ZkSync.AspNetCore) or register a ZooKeeperClient."),
            provider.GetService<ZooKeeperLockProvider>(),
            semaphoreOptions,
            provider.GetService<ILoggerFactory>(),
            provider.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.RemoveAll<IDistributedLockProvider>();
        services.RemoveAll<IDistributedReaderWriterLockProvider>();
        services.RemoveAll<IDistributedSemaphoreProvider>();
        services.AddSingleton<IDistributedLockProvider>(provider => provider.GetRequiredService<ZkSyncDistributedLockProvider>());
        services.AddSingleton<IDistributedReaderWriterLockProvider>(provider => provider.GetRequiredService<ZkSyncDistributedLockProvider>());
        services.AddSingleton<IDistributedSemaphoreProvider>(provider => provider.GetRequiredService<ZkSyncDistributedLockProvider>());
        return services;
    }
}
