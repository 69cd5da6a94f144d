using Microsoft.AspNetCore.Http;
using ZkSync.Locks;

namespace ZkSync.AspNetCore;

/// <summary>
/// How a request takes its lock: mode, wait timeout, owner and TTL. Registered by name with
/// <c>AddLockPolicy(name, configure)</c>, or given inline with <c>RequireDistributedLock(template, configure)</c>.
/// </summary>
/// <remarks>
/// Values set on a <see cref="DistributedLockAttribute"/> win over its policy; values a policy leaves unset come from
/// <see cref="DistributedLockOptions"/>.
/// </remarks>
public sealed class DistributedLockPolicy
{
    private TimeSpan? _waitTimeout;
    private TimeSpan? _ttl;

    /// <summary>Exclusive (default: one request at a time) or shared (many shared holders, no exclusive one).</summary>
    public ZooKeeperLockMode Mode { get; set; } = ZooKeeperLockMode.Exclusive;

    /// <summary>
    /// How long a request waits for the lock; null (default) for <see cref="DistributedLockOptions.DefaultTimeout"/>.
    /// Zero tries once; <see cref="Timeout.InfiniteTimeSpan"/> waits until the lock is free or the client goes away.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative (other than infinite).</exception>
    public TimeSpan? WaitTimeout
    {
        get => _waitTimeout;
        set
        {
            if (value is { } timeout && timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
            {
                throw new ArgumentOutOfRangeException(nameof(WaitTimeout), timeout, "WaitTimeout must be zero or positive, or Timeout.InfiniteTimeSpan.");
            }

            _waitTimeout = value;
        }
    }

    /// <summary>
    /// An optional lease: a contender that finds this holder's TTL expired evicts it (the holder's request is then
    /// aborted, as for any lost lock). Null (default): held until the request completes or the session ends.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Zero or negative.</exception>
    public TimeSpan? Ttl
    {
        get => _ttl;
        set
        {
            if (value is { } ttl && ttl <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(nameof(Ttl), ttl, "Ttl must be positive, or null for no lease.");
            }

            _ttl = value;
        }
    }

    /// <summary>
    /// An owner id written into the lock node (visible to operators). A request of this application whose owner id
    /// already holds the lock here shares it (<see cref="DistributedLockOptions.Reentrancy"/>; requests asking at the same
    /// moment contend as usual), so only use a value that identifies work that may safely run concurrently with itself.
    /// Null (default): every request is its own anonymous holder.
    /// </summary>
    public string? OwnerId { get; set; }

    /// <summary>
    /// Computes the owner id per request (e.g. from a header or the user); wins over <see cref="OwnerId"/> when it
    /// returns a value. Null by default.
    /// </summary>
    public Func<HttpContext, string?>? OwnerSelector { get; set; }

    internal DistributedLockPolicy Clone() => new()
    {
        Mode = Mode,
        _waitTimeout = _waitTimeout,
        _ttl = _ttl,
        OwnerId = OwnerId,
        OwnerSelector = OwnerSelector,
    };
}
