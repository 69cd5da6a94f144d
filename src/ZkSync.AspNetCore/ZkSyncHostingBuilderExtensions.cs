using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ZkSync.AspNetCore;
using ZkSync.AspNetCore.Internal;
using ZkSync.Client;
using ZkSync.Internal.Recipes;
using ZkSync.Leadership;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers leader-only background services and startup barriers.</summary>
public static class ZkSyncHostingBuilderExtensions
{
    /// <summary>
    /// Runs <typeparamref name="TService"/> on one replica at a time: the leader of election <paramref name="electionName"/>
    /// (znode <c>{ZkSync:Leaders:RootPath}/{electionName}</c>). See <see cref="LeaderBackgroundService"/>.
    /// </summary>
    /// <typeparam name="TService">The service; created once (constructor injection works) and also resolvable as itself.</typeparam>
    /// <param name="builder">The builder returned by <c>AddZkSync</c>.</param>
    /// <param name="electionName">The election's name, a relative path such as <c>jobs/nightly</c>.</param>
    /// <param name="configure">Sets this replica's participant id and published metadata.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentException">The election name breaks a path rule (the message says which).</exception>
    /// <exception cref="InvalidOperationException"><typeparamref name="TService"/> is already registered.</exception>
    public static IZkSyncBuilder AddLeaderService<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TService>(this IZkSyncBuilder builder, string electionName, Action<LeaderServiceOptions>? configure = null)
        where TService : LeaderBackgroundService
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(electionName);
        if (RecipeNames.GetError("/zksync/leaders", electionName) is { } error)
        {
            throw new ArgumentException($"Invalid election name '{electionName}' for {typeof(TService).Name}: {error}", nameof(electionName));
        }

        if (builder.Services.Any(d => d.ServiceType == typeof(TService)))
        {
            throw new InvalidOperationException($"{typeof(TService).Name} is already registered; each leader-only service type runs once per application.");
        }

        var settings = new LeaderServiceOptions();
        configure?.Invoke(settings);
        var participantId = settings.ParticipantId;
        var metadata = settings.Metadata.ToArray();
        builder.Services.TryAddSingleton<LeaderServiceRegistry>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IZkSyncStatusContributor, LeadershipStatusContributor>());
        builder.Services.AddSingleton(provider =>
        {
            var zkSync = provider.GetRequiredService<IOptions<ZkSyncOptions>>().Value;
            var loggerFactory = provider.GetRequiredService<ILoggerFactory>();
            var electionOptions = new ZooKeeperLeaderElectionOptions { RootPath = zkSync.Leaders.RootPath, ParticipantId = participantId };
            foreach (var (key, value) in metadata)
            {
                electionOptions.Metadata[key] = value;
            }

            var service = ActivatorUtilities.CreateInstance<TService>(provider);
            var election = new ZooKeeperLeaderElection(provider.GetRequiredService<ZooKeeperClient>(), electionName, electionOptions, loggerFactory,
                provider.GetService<System.Diagnostics.Metrics.IMeterFactory>());
            service.Attach(new LeaderServiceRuntime(election, zkSync.Leaders.RestartDelay, provider.GetRequiredService<TimeProvider>(),
                loggerFactory.CreateLogger(typeof(TService).FullName ?? typeof(TService).Name)));
            provider.GetRequiredService<LeaderServiceRegistry>().Add(service);
            return service;
        });
        builder.Services.AddSingleton<IHostedService>(provider => provider.GetRequiredService<TService>());
        return builder;
    }

    /// <summary>
    /// Holds the application back while the barrier znode <paramref name="path"/> exists (e.g. <c>/deploy/migrations</c>,
    /// set by the job that migrates and removed when it is done): host start waits (default), or readiness fails, by
    /// <see cref="StartupBarrierOptions.Mode"/>. The barrier's state is in the <c>zookeeper</c> health check's data.
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddZkSync</c>.</param>
    /// <param name="path">The barrier's absolute znode path (set it with <c>ZooKeeperBarrier.SetAsync</c> or any client).</param>
    /// <param name="configure">Sets the mode and the start timeout.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentException">The path or an option is invalid (the message says which and why).</exception>
    /// <remarks>Call it before adding other hosted services that must not start before the barrier is passed: hosted
    /// services start in registration order, and the web server starts after all of them.</remarks>
    public static IZkSyncBuilder AddStartupBarrier(this IZkSyncBuilder builder, string path, Action<StartupBarrierOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(path);
        if (ZkPath.GetError(path) is { } error)
        {
            throw new ArgumentException($"Invalid startup barrier path '{path}': {error}", nameof(path));
        }

        var options = new StartupBarrierOptions();
        configure?.Invoke(options);
        if (!Enum.IsDefined(options.Mode))
        {
            throw new ArgumentException($"Startup barrier '{path}': unknown Mode {options.Mode}; use WaitBeforeStart or ReadinessOnly.", nameof(configure));
        }

        if (options.Timeout <= TimeSpan.Zero && options.Timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentException($"Startup barrier '{path}': Timeout must be positive or Timeout.InfiniteTimeSpan (was {options.Timeout}).", nameof(configure));
        }

        builder.Services.AddSingleton<IHostedService>(provider => new StartupBarrierService(path, options, provider.GetRequiredService<ZooKeeperClient>(),
            provider.GetRequiredService<ILoggerFactory>().CreateLogger("ZkSync.AspNetCore.StartupBarrier")));
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IZkSyncStatusContributor, StartupBarrierStatusContributor>());
        return builder;
    }
}
