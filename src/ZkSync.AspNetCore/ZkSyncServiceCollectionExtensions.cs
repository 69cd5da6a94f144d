using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ZkSync.AspNetCore;
using ZkSync.AspNetCore.Internal;
using ZkSync.Client;
using ZkSync.Locks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers ZkSync in an ASP.NET Core application.</summary>
public static class ZkSyncServiceCollectionExtensions
{
    /// <summary>
    /// Adds ZkSync with its settings bound from the <c>ZkSync</c> section of <paramref name="configuration"/> (pass the
    /// root configuration, e.g. <c>builder.Configuration</c>); the connection string may instead come from
    /// <c>ConnectionStrings:ZooKeeper</c>.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configuration">The root configuration; its <c>ZkSync</c> section is bound to <see cref="ZkSyncOptions"/>.</param>
    /// <returns>A builder for lock policies and other ZkSync features.</returns>
    /// <remarks>
    /// <para>
    /// Registers, once however often it is called: the shared <see cref="ZooKeeperClient"/> (a singleton the host starts
    /// and disposes; disposal closes the session, so this instance's locks are released at once), the shared
    /// <see cref="ZooKeeperLockProvider"/>, the endpoint-lock middleware's services (add the middleware with
    /// <c>app.UseZkSync()</c>), and the <c>zookeeper</c> health check tagged <c>ready</c>.
    /// </para>
    /// <para>
    /// The options are validated when the host starts: a missing or malformed <c>ZkSync:ConnectionString</c> (or any
    /// other bad setting), a key under <c>ZkSync</c> that is not a setting (a misspelling such as <c>SesionTimeout</c>,
    /// reported with the closest known key) and a TimeSpan written as a bare number (<c>"30"</c> reads as thirty days)
    /// fail startup with a message naming the key. An unreachable ZooKeeper does not: the application starts, the health
    /// check reports Degraded while the client keeps connecting, and endpoints that need a lock answer 503 with
    /// <c>Retry-After</c> until it is connected (see <see cref="DistributedLockOptions"/>).
    /// </para>
    /// </remarks>
    public static IZkSyncBuilder AddZkSync(this IServiceCollection services, IConfiguration configuration) =>
        AddZkSync(services, configuration, DefaultConnectionName);

    /// <summary>
    /// Adds ZkSync with its settings bound from the <c>ZkSync</c> section of <paramref name="configuration"/>, and its
    /// connection string from <c>ConnectionStrings:</c><paramref name="connectionName"/> when that is set (the way
    /// Aspire-style integrations and orchestrators pass connection strings).
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configuration">The root configuration; its <c>ZkSync</c> section is bound to <see cref="ZkSyncOptions"/>.</param>
    /// <param name="connectionName">
    /// The name under <c>ConnectionStrings</c>. When <c>ConnectionStrings:</c><paramref name="connectionName"/> is set
    /// and not blank, it takes precedence over <c>ZkSync:ConnectionString</c>, as in Aspire integrations, so a connection
    /// string injected at deployment overrides a development default in <c>appsettings.json</c>.
    /// </param>
    /// <returns>A builder for lock policies and other ZkSync features.</returns>
    /// <remarks>Otherwise the same as <see cref="AddZkSync(IServiceCollection, IConfiguration)"/>.</remarks>
    public static IZkSyncBuilder AddZkSync(this IServiceCollection services, IConfiguration configuration, string connectionName)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionName);
        var builder = AddZkSyncCore(services);
        var source = new ZkSyncConnectionStringSource(configuration, connectionName);
        services.AddOptions<ZkSyncOptions>()
            .Bind(configuration.GetSection(ZkSyncOptions.SectionName))
            .Configure(options => options.ConnectionString = source.GetConnectionString() ?? options.ConnectionString);
        services.TryAddSingleton(source);
        services.TryAddEnumerable(ServiceDescriptor.Singleton(typeof(IValidateOptions<ZkSyncOptions>), new ZkSyncConfigurationValidator(configuration)));
        return builder;
    }

    /// <summary>The default name under <c>ConnectionStrings</c> read for the connection string: <c>ZooKeeper</c>.</summary>
    public const string DefaultConnectionName = "ZooKeeper";

    /// <summary>Adds ZkSync with settings given in code.</summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configure">Sets the options (at least <see cref="ZkSyncOptions.ConnectionString"/>).</param>
    /// <returns>A builder for lock policies and other ZkSync features.</returns>
    /// <remarks>Registers the same services as <see cref="AddZkSync(IServiceCollection, IConfiguration)"/>.</remarks>
    public static IZkSyncBuilder AddZkSync(this IServiceCollection services, Action<ZkSyncOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var builder = AddZkSyncCore(services);
        services.Configure(configure);
        return builder;
    }

    private static ZkSyncBuilder AddZkSyncCore(IServiceCollection services)
    {
        var builder = new ZkSyncBuilder(services);
        if (services.Any(d => d.ServiceType == typeof(ZkSyncMarkerService)))
        {
            return builder;
        }

        services.AddSingleton(new ZkSyncMarkerService());
        services.AddSingleton(new DistributedLockPolicyRegistry());
        services.AddOptions<ZkSyncOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ZkSyncOptions>, ZkSyncOptionsValidator>());
        services.AddMetrics();

        // The shared client and provider: created from the options, owned (and disposed) by the container.
        services.TryAddSingleton(ZkSyncClientFactory.CreateClient);
        services.TryAddSingleton(ZkSyncClientFactory.CreateLockProvider);
        services.TryAddSingleton<ZkSyncSessionTracker>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ZkSyncClientService>());

        // Endpoint locks.
        services.TryAddSingleton<DistributedLockResolver>();
        services.TryAddSingleton<DistributedLockMetrics>();
        services.TryAddSingleton<DistributedLockRunner>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IStartupFilter, DistributedLockStartupFilter>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IFilterProvider, DistributedLockGuardFilterProvider>());

        // Health.
        services.AddHealthChecks();
        services.TryAddSingleton<ZkSyncHealthCheck>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IZkSyncStatusContributor, SessionStatusContributor>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IZkSyncStatusContributor, HeldLocksStatusContributor>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<HealthCheckServiceOptions>, ZkSyncHealthCheckRegistration>());
        return builder;
    }
}
