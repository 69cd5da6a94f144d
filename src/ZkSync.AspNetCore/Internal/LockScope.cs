using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using ZkSync.Locks;

namespace ZkSync.AspNetCore.Internal;

/// <summary>
/// A request feature: the lock one endpoint of the request asks for, from the moment the middleware (or, for a
/// re-executed endpoint, the endpoint's guard) sees it until the response has been written. It holds the handle once the
/// lock is taken (by the middleware, or by a filter after binding) so that whoever opened the scope releases it.
/// </summary>
/// <remarks>
/// The scope belongs to one endpoint. If the request leaves that endpoint while the scope is open (an exception handler
/// or status-code page re-executes the pipeline with another endpoint), the lock feature is hidden and
/// <see cref="HttpContext.RequestAborted"/> no longer follows the lock's <c>Lost</c>: the other endpoint does not run
/// under this lock, and takes its own if it asks for one (correctness review S4).
/// </remarks>
internal sealed class LockScope
{
    public LockScope(LockPlan plan, CancellationToken originalAborted)
    {
        Plan = plan;
        OriginalAborted = originalAborted;
    }

    public LockPlan Plan { get; }

    public Endpoint Endpoint => Plan.Endpoint;

    /// <summary>The request's <c>RequestAborted</c> before the lock's <c>Lost</c> was linked into it.</summary>
    public CancellationToken OriginalAborted { get; }

    public ZooKeeperLockHandle? Handle { get; private set; }

    public long HeldSince { get; private set; }

    /// <summary>True once the request moved on to another endpoint (re-execution).</summary>
    public bool Left { get; private set; }

    private CancellationTokenSource? _linked;

    /// <summary>Whether this scope is the current endpoint's: the endpoint's filters take or use its lock.</summary>
    public bool IsFor(Endpoint? endpoint) => !Left && ReferenceEquals(endpoint, Endpoint);

    /// <summary>Records the taken lock and exposes it to the endpoint: the feature, and <c>Lost</c> in <c>RequestAborted</c>.</summary>
    public void Hold(HttpContext context, ZooKeeperLockHandle handle)
    {
        Handle = handle;
        HeldSince = System.Diagnostics.Stopwatch.GetTimestamp();
        // The client's abort follows through a callback; the lock's Lost is set on the same thread and at the same
        // moment as the handle's (the client's watchdog), not through a callback a starved thread pool would run late.
        _linked = CancellationTokenSource.CreateLinkedTokenSource(OriginalAborted);
        handle.Hold.AddDependent(_linked);
        context.RequestAborted = _linked.Token;
        context.Features.Set<IDistributedLockFeature>(new DistributedLockFeature(handle));
    }

    /// <summary>The request left this scope's endpoint: the lock (still held until the response is written) is no longer the current endpoint's.</summary>
    public void Leave(HttpContext context)
    {
        if (Left)
        {
            return;
        }

        Left = true;
        if (Handle is not null)
        {
            context.Features.Set<IDistributedLockFeature>(null);
            context.RequestAborted = OriginalAborted;
        }
    }

    /// <summary>Undoes <see cref="Hold"/> on the context (the caller disposes the handle).</summary>
    public void Detach(HttpContext context)
    {
        if (Handle is null)
        {
            return;
        }

        if (!Left)
        {
            context.Features.Set<IDistributedLockFeature>(null);
            context.RequestAborted = OriginalAborted;
        }

        if (_linked is not null)
        {
            Handle.Hold.RemoveDependent(_linked);
            _linked.Dispose();
            _linked = null;
        }
    }

    /// <summary>
    /// Installed as the request's <see cref="IEndpointFeature"/> while the scope is open: passes everything through, and
    /// tells the scope when the endpoint changes (routing running again after a re-execution).
    /// </summary>
    internal sealed class EndpointWatcher(IEndpointFeature? inner, LockScope scope, HttpContext context) : IEndpointFeature
    {
        private Endpoint? _endpoint = inner?.Endpoint;

        public IEndpointFeature? Inner => inner;

        public Endpoint? Endpoint
        {
            get => inner is null ? _endpoint : inner.Endpoint;
            set
            {
                if (inner is null)
                {
                    _endpoint = value;
                }
                else
                {
                    inner.Endpoint = value;
                }

                if (!ReferenceEquals(value, scope.Endpoint))
                {
                    scope.Leave(context);
                }
            }
        }
    }
}
