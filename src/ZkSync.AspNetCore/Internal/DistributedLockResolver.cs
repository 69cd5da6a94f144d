using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace ZkSync.AspNetCore.Internal;

/// <summary>
/// Resolves the effective settings of endpoint lock metadata, and the lock plans of endpoints, cached per attribute and endpoint instance (by reference, weakly, so
/// that endpoints rebuilt by a changing data source do not accumulate).
/// </summary>
internal sealed class DistributedLockResolver(DistributedLockPolicyRegistry registry, IOptions<ZkSyncOptions> options)
{
    private readonly ConditionalWeakTable<DistributedLockAttribute, ResolvedLock> _cache = [];
    private readonly ConditionalWeakTable<Endpoint, LockPlan> _plans = [];

    public ResolvedLock Resolve(DistributedLockAttribute attribute) => _cache.GetValue(attribute, Create);

    /// <summary>The lock plan of <paramref name="endpoint"/> (built once), or null when it takes no lock.</summary>
    public LockPlan? GetPlan(Endpoint? endpoint)
    {
        if (endpoint is null
            || endpoint.Metadata.GetMetadata<DistributedLockAttribute>() is not { } attribute
            || endpoint.Metadata.GetMetadata<DisableDistributedLockAttribute>() is not null)
        {
            return null;
        }

        return _plans.TryGetValue(endpoint, out var plan) ? plan : _plans.GetValue(endpoint, e => LockPlan.Create(e, Resolve(attribute)));
    }

    /// <summary>Returns why the attribute's policy cannot be resolved, or null.</summary>
    public string? GetPolicyError(DistributedLockAttribute attribute) =>
        attribute.InlinePolicy is null && attribute.PolicyName is { } name && !registry.TryGet(name, out _)
            ? $"the distributed lock policy '{name}' is not registered; register it with AddZkSync(…).AddLockPolicy(\"{name}\", …)"
              + (registry.Names.Count == 0 ? "." : $" (registered: {string.Join(", ", registry.Names.Order(StringComparer.Ordinal))}).")
            : null;

    private ResolvedLock Create(DistributedLockAttribute attribute)
    {
        var policy = attribute.InlinePolicy;
        if (policy is null && attribute.PolicyName is { } name && !registry.TryGet(name, out policy))
        {
            throw new InvalidOperationException($"Cannot lock '{attribute.Template}': {GetPolicyError(attribute)}");
        }

        return new ResolvedLock(attribute, policy, options.Value.Locks);
    }
}
