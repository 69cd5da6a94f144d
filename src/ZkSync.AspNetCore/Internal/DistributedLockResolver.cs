using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace ZkSync.AspNetCore.Internal;

/// <summary>Resolves (and caches per attribute instance) the effective settings of endpoint lock metadata.</summary>
internal sealed class DistributedLockResolver(DistributedLockPolicyRegistry registry, IOptions<ZkSyncOptions> options)
{
    private readonly ConcurrentDictionary<DistributedLockAttribute, ResolvedLock> _cache = new(ReferenceEqualityComparer.Instance);

    public ResolvedLock Resolve(DistributedLockAttribute attribute)
    {
        return _cache.TryGetValue(attribute, out var resolved) ? resolved : _cache.GetOrAdd(attribute, Create(attribute));
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
