namespace ZkSync.AspNetCore.Internal;

/// <summary>The named lock policies of one service collection (filled by <c>AddLockPolicy</c> while registering services).</summary>
internal sealed class DistributedLockPolicyRegistry
{
    private readonly Dictionary<string, DistributedLockPolicy> _policies = new(StringComparer.Ordinal);

    public IReadOnlyCollection<string> Names => _policies.Keys;

    public void Add(string name, DistributedLockPolicy policy)
    {
        if (!_policies.TryAdd(name, policy))
        {
            throw new ArgumentException($"A distributed lock policy named '{name}' is already registered.", nameof(name));
        }
    }

    public bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DistributedLockPolicy? policy) =>
        _policies.TryGetValue(name, out policy);
}
