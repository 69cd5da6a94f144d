using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ZkSync.Client;
using ZkSync.Locks;

namespace ZkSync.AspNetCore.Internal;

/// <summary>Creates the shared client and lock provider from <see cref="ZkSyncOptions"/>.</summary>
internal static class ZkSyncClientFactory
{
    public static ZooKeeperClient CreateClient(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<ZkSyncOptions>>().Value;
        var client = new ZooKeeperClientOptions
        {
            ConnectionString = options.ConnectionString,
            SessionTimeout = options.SessionTimeout,
            ConnectTimeout = options.ConnectTimeout,
            RequestTimeout = options.RequestTimeout,
            MaxRequestSize = options.MaxRequestSize,
        };
        if (options.Auth?.User is { } user)
        {
            client.AuthInfo.Add(ZooKeeperAuthInfo.Digest(user, options.Auth.Password ?? ""));
        }

        return new ZooKeeperClient(client, services.GetService<ILoggerFactory>(), services.GetService<IMeterFactory>());
    }

    public static ZooKeeperLockProvider CreateLockProvider(IServiceProvider services)
    {
        var locks = services.GetRequiredService<IOptions<ZkSyncOptions>>().Value.Locks;
        var options = new ZooKeeperLockOptions
        {
            RootPath = locks.RootPath,
            Reentrancy = locks.Reentrancy,
            ExclusiveNodeFormat = locks.ExclusiveNodeFormat,
            Acl = locks.Acl,
        };
        return new ZooKeeperLockProvider(services.GetRequiredService<ZooKeeperClient>(), options, services.GetService<ILoggerFactory>(), services.GetService<IMeterFactory>());
    }
}
