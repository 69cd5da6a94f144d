using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace ZkSync.AspNetCore.Internal;

/// <summary>Adds the <c>zookeeper</c> check (tags <c>ready</c>) unless <c>ZkSync:HealthChecks:Enabled</c> is false.</summary>
internal sealed class ZkSyncHealthCheckRegistration(IOptions<ZkSyncOptions> options) : IConfigureOptions<HealthCheckServiceOptions>
{
    public const string DefaultName = "zookeeper";
    public static readonly string[] DefaultTags = ["ready"];

    public void Configure(HealthCheckServiceOptions healthChecks)
    {
        if (options.Value.HealthChecks.Enabled && !healthChecks.Registrations.Any(r => r.Name == DefaultName))
        {
            healthChecks.Registrations.Add(Create(DefaultName, null, DefaultTags, null));
        }
    }

    public static HealthCheckRegistration Create(string name, HealthStatus? failureStatus, IEnumerable<string>? tags, TimeSpan? timeout) =>
        new(name, static services => services.GetService<ZkSyncHealthCheck>()
                ?? throw new InvalidOperationException("The 'zookeeper' health check needs ZkSync's services: call builder.Services.AddZkSync(builder.Configuration)."),
            failureStatus, tags ?? DefaultTags, timeout);
}
