using ZkSync.AspNetCore.Internal;
using ZkSync.Locks;

namespace ZkSync.AspNetCore;

/// <summary>
/// Endpoint metadata: requests to this endpoint hold the distributed lock named by <see cref="Template"/> (filled from
/// the request: route values, query, headers, claims or bound handler arguments) until their response has been written.
/// Read by the middleware added with <c>app.UseZkSync()</c> and by ZkSync's filters; <c>RequireDistributedLock</c> adds
/// the same metadata to minimal endpoints and route groups.
/// </summary>
/// <remarks>
/// <para>
/// <b>Template syntax.</b> '/'-separated segments of literal text and placeholders, in route syntax (parsed by ASP.NET
/// Core's route pattern parser; <c>order-{id}</c> and <c>{{</c> work as in routes):
/// <list type="table">
/// <listheader><term>Placeholder</term><description>Value</description></listheader>
/// <item><term><c>{id}</c></term><description>The route value <c>id</c> (a route parameter of the endpoint).</description></item>
/// <item><term><c>{query.name}</c></term><description>The query string value <c>name</c> (exactly one).</description></item>
/// <item><term><c>{header.Idempotency-Key}</c></term><description>The request header (exactly one value).</description></item>
/// <item><term><c>{claim.tenant}</c></term><description>The authenticated user's claim of that type (one distinct value).</description></item>
/// <item><term><c>{arg.order}</c>, <c>{arg.order.CustomerId}</c></term><description>The bound handler argument <c>order</c>, or a property path into it (e.g. a JSON body model).</description></item>
/// </list>
/// A prefix with a dot cannot be read as route syntax, where ':' starts a constraint: constraints, defaults, optional
/// markers and catch-alls belong to the route, not to the lock template, and are rejected here.
/// </para>
/// <para>
/// <c>[DistributedLock("/orders/{id}")]</c> on <c>POST /orders/{id}/pay</c> with <c>id = 42</c> locks the name
/// <c>orders/42</c>, i.e. the znode <c>{ZkSync:Locks:RootPath}/orders/42</c>. Every placeholder is checked at startup
/// against the endpoint: a route parameter, handler argument or property that does not exist fails startup naming the
/// endpoint and the placeholder. A request whose value is missing, ambiguous or cannot be a znode name (empty, '/', '.',
/// '..', control characters) gets 400 with a problem naming the placeholder and its source, and no lock is asked for.
/// </para>
/// <para>
/// <b>When the lock is taken.</b> Locks named by the request alone (route, query, header, claim) are taken by the
/// middleware before the endpoint runs. Locks that need bound arguments (<c>{arg.…}</c>, or a route value whose handler
/// parameter is not a string, such as <c>{id}</c> with <c>int id</c>) are taken after model binding and validation, by
/// an endpoint filter (minimal APIs; declare them with <c>RequireDistributedLock</c>) or an action filter (controllers),
/// so that a request that binding or validation rejects never reaches ZooKeeper; such a route value names the lock by
/// its bound value (<c>042</c> and <c>42</c> are one lock). Either way the lock is held until the response has been
/// written (streamed responses included) and released whether the request completes, throws or is aborted.
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
    /// The lock template: '/'-separated segments of literal text and placeholders, e.g. <c>/orders/{id}</c>,
    /// <c>/payments/{header.Idempotency-Key}</c> or <c>/customers/{arg.order.CustomerId}</c> (see the remarks).
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
