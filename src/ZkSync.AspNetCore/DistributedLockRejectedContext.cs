using Microsoft.AspNetCore.Http;

namespace ZkSync.AspNetCore;

/// <summary>What <see cref="DistributedLockOptions.OnRejected"/> receives about a rejected request.</summary>
public sealed class DistributedLockRejectedContext
{
    internal DistributedLockRejectedContext(HttpContext httpContext, string lockName, string template, DistributedLockRejectionReason reason, Exception? exception)
    {
        HttpContext = httpContext;
        LockName = lockName;
        Template = template;
        Reason = reason;
        Exception = exception;
    }

    /// <summary>The rejected request; its status code and <c>Retry-After</c> header are already set.</summary>
    public HttpContext HttpContext { get; }

    /// <summary>The lock name the request asked for, e.g. <c>orders/42</c>.</summary>
    public string LockName { get; }

    /// <summary>The endpoint's lock template, e.g. <c>/orders/{id}</c>.</summary>
    public string Template { get; }

    /// <summary>Contention or ZooKeeper unavailable.</summary>
    public DistributedLockRejectionReason Reason { get; }

    /// <summary>For <see cref="DistributedLockRejectionReason.Unavailable"/>: the failure; otherwise null.</summary>
    public Exception? Exception { get; }
}
