using ZkSync.AspNetCore;
using ZkSync.AspNetCore.Internal;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers named distributed lock policies.</summary>
public static class ZkSyncLockPolicyBuilderExtensions
{
    /// <summary>
    /// Registers a named lock policy, used by <c>[DistributedLock(template, PolicyName = name)]</c> and
    /// <c>RequireDistributedLock(template, name)</c>.
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddZkSync</c>.</param>
    /// <param name="name">The policy's name (case-sensitive).</param>
    /// <param name="configure">Sets the policy's mode, wait timeout, owner and TTL; runs once, now.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentException">A policy with this name is already registered.</exception>
    public static IZkSyncBuilder AddLockPolicy(this IZkSyncBuilder builder, string name, Action<DistributedLockPolicy> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(configure);
        var registry = builder.Services.LastOrDefault(d => d.ServiceType == typeof(DistributedLockPolicyRegistry))?.ImplementationInstance as DistributedLockPolicyRegistry
            ?? throw new InvalidOperationException("AddLockPolicy needs the builder returned by AddZkSync.");
        var policy = new DistributedLockPolicy();
        configure(policy);
        registry.Add(name, policy.Clone());
        return builder;
    }
}
