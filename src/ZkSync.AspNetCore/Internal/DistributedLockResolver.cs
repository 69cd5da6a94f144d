using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;

namespace ZkSync.AspNetCore.Internal;

/// <summary>
/// Resolves the effective settings of endpoint lock metadata, cached per attribute instance (by reference, weakly, so
/// that endpoints rebuilt by a changing data source do not accumulate).
/// </summary>
internal sealed class DistributedLockResolver(DistributedLockPolicyRegistry registry, IOptions<ZkSyncOptions> options)
{
    private readonly ConditionalWeakTable<DistributedLockAttribute, ResolvedLock> _cache = [];

    public ResolvedLock Resolve(DistributedLockAttribute attribute) => _cache.GetValue(attribute, Create);

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
