using ZkSync.AspNetCore.Internal;
using ZkSync.Locks;

namespace ZkSync.AspNetCore;

/// <summary>
/// Endpoint metadata: requests to this endpoint hold the distributed lock named by <see cref="Template"/> (filled from
/// route values) for their whole duration, including writing the response. Read by the middleware added with
/// <c>app.UseZkSync()</c>; <c>RequireDistributedLock</c> adds the same metadata to minimal endpoints and route groups.
/// </summary>
/// <remarks>
/// <para>
/// <c>[DistributedLock("/orders/{id}")]</c> on <c>POST /orders/{id}/pay</c> with <c>id = 42</c> locks the name
/// <c>orders/42</c>, i.e. the znode <c>{ZkSync:Locks:RootPath}/orders/42</c>. Placeholders must be route parameters of
/// the endpoint (checked at startup); a request whose value is missing or cannot be a znode name (empty, '/', '.',
/// '..', control characters) gets 400 with a problem naming the placeholder.
/// </para>
/// <para>
/// The most specific metadata wins (an action's attribute over its controller's, an endpoint's over its group's);
/// <see cref="DisableDistributedLockAttribute"/> anywhere turns locking off. Values set here win over the policy
/// named by <see cref="PolicyName"/>, which wins over <see cref="DistributedLockOptions"/>.
/// </para>
/// </remarks>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false, Inherited = true)]
public sealed class DistributedLockAttribute : Attribute
{
    private readonly ZooKeeperLockMode? _mode;
    private readonly int? _waitTimeoutMilliseconds;
    private readonly int? _ttlMilliseconds;

    /// <summary>Locks the name given by <paramref name="template"/>.</summary>
    /// <param name="template">
    /// The lock template: '/'-separated segments of literal text and <c>{routeParameter}</c> placeholders, e.g.
    /// <c>/orders/{id}</c> or <c>/tenants/{tenant}/orders/{id}</c>.
    /// </param>
    /// <exception cref="ArgumentException">The template is malformed (the message says how).</exception>
    public DistributedLockAttribute(string template)
    {
        ParsedTemplate = LockNameTemplate.Parse(template);
        Template = template;
    }

    /// <summary>The lock template, e.g. <c>/orders/{id}</c>.</summary>
    public string Template { get; }

    /// <summary>A policy registered with <c>AddLockPolicy(name, …)</c>; null (default) for none.</summary>
    public string? PolicyName { get; init; }

    /// <summary>Exclusive or shared; when not set, the policy's mode (exclusive without a policy).</summary>
    public ZooKeeperLockMode Mode
    {
        get => _mode ?? ZooKeeperLockMode.Exclusive;
        init => _mode = Enum.IsDefined(value) ? value : throw new ArgumentOutOfRangeException(nameof(Mode), value, "Unknown lock mode.");
    }

    /// <summary>
    /// How long a request waits for the lock, in milliseconds: 0 tries once, -1 (<see cref="Timeout.Infinite"/>) waits
    /// until it is free or the client goes away. When not set (the getter then returns 0), the policy's wait timeout, else
    /// <see cref="DistributedLockOptions.DefaultTimeout"/>.
    /// </summary>
    public int WaitTimeoutMilliseconds
    {
        get => _waitTimeoutMilliseconds ?? 0;
        init => _waitTimeoutMilliseconds = value >= Timeout.Infinite
            ? value
            : throw new ArgumentOutOfRangeException(nameof(WaitTimeoutMilliseconds), value, "WaitTimeoutMilliseconds must be zero or positive, or -1 for infinite.");
    }

    /// <summary>
    /// An optional lease in milliseconds (see <see cref="DistributedLockPolicy.Ttl"/>). When not set (the getter then
    /// returns 0), the policy's TTL, else none.
    /// </summary>
    public int TtlMilliseconds
    {
        get => _ttlMilliseconds ?? 0;
        init => _ttlMilliseconds = value > 0
            ? value
            : throw new ArgumentOutOfRangeException(nameof(TtlMilliseconds), value, "TtlMilliseconds must be positive.");
    }

    /// <summary>An owner id (see <see cref="DistributedLockPolicy.OwnerId"/>); when null, the policy's.</summary>
    public string? OwnerId { get; init; }

    internal LockNameTemplate ParsedTemplate { get; }

    /// <summary>The inline policy of <c>RequireDistributedLock(template, configure)</c>.</summary>
    internal DistributedLockPolicy? InlinePolicy { get; init; }

    internal ZooKeeperLockMode? ExplicitMode => _mode;

    internal TimeSpan? ExplicitWaitTimeout => _waitTimeoutMilliseconds is { } ms
        ? ms == Timeout.Infinite ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(ms)
        : null;

    internal TimeSpan? ExplicitTtl => _ttlMilliseconds is { } ms ? TimeSpan.FromMilliseconds(ms) : null;
}
