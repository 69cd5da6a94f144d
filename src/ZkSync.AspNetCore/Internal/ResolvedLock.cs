using Microsoft.AspNetCore.Http;
using ZkSync.Locks;

namespace ZkSync.AspNetCore.Internal;

/// <summary>
/// The effective settings of one <see cref="DistributedLockAttribute"/>: its explicit values, then its inline or named
/// policy, then <see cref="DistributedLockOptions"/>. Computed once per attribute instance.
/// </summary>
internal sealed class ResolvedLock
{
    private readonly Func<HttpContext, string?>? _ownerSelector;
    private readonly string? _ownerId;

    public ResolvedLock(DistributedLockAttribute attribute, DistributedLockPolicy? policy, DistributedLockOptions options)
    {
        Template = attribute.ParsedTemplate;
        Mode = attribute.ExplicitMode ?? policy?.Mode ?? ZooKeeperLockMode.Exclusive;
        WaitTimeout = attribute.ExplicitWaitTimeout ?? policy?.WaitTimeout ?? options.DefaultTimeout;
        Ttl = attribute.ExplicitTtl ?? policy?.Ttl;
        _ownerId = attribute.OwnerId ?? policy?.OwnerId;
        _ownerSelector = policy?.OwnerSelector;
    }

    public LockNameTemplate Template { get; }

    public ZooKeeperLockMode Mode { get; }

    public TimeSpan WaitTimeout { get; }

    public TimeSpan? Ttl { get; }

    public bool HasOwner => _ownerId is not null || _ownerSelector is not null;

    /// <summary>The lock request for <paramref name="context"/>: its owner and what the node publishes about the request.</summary>
    public ZooKeeperLockRequest CreateRequest(HttpContext context) => new()
    {
        Mode = Mode,
        OwnerId = _ownerSelector?.Invoke(context) ?? _ownerId,
        Ttl = Ttl,
        Metadata = LockHolderMetadata.Create(context),
    };
}
