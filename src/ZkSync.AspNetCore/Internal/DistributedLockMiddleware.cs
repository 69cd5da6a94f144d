using Microsoft.AspNetCore.Http;

namespace ZkSync.AspNetCore.Internal;

/// <summary>
/// Opens the lock scope of endpoints that carry lock metadata: takes the lock at once when the request alone names it
/// (route values, query, headers, claims), or leaves it to the endpoint's filter when it needs bound arguments; either way
/// the lock is held while the rest of the pipeline (the endpoint and its response) runs and released when the request
/// ends, whether it completes, throws or is aborted.
/// </summary>
/// <remarks>
/// One implementation for controllers, minimal endpoints and route groups: MVC copies attributes into endpoint metadata,
/// and <c>RequireDistributedLock</c> adds the same <see cref="DistributedLockAttribute"/>. Requests to endpoints without
/// the metadata go straight to the next middleware.
/// </remarks>
internal sealed class DistributedLockMiddleware(RequestDelegate next, DistributedLockRunner runner)
{
    public Task InvokeAsync(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        var plan = endpoint is null ? null : runner.GetPlan(endpoint);
        if (plan is null)
        {
            // No lock wanted. Recorded, so that a locked endpoint the pipeline is re-executed for later (an error page)
            // takes its own lock instead of concluding that this middleware never ran. Not without an endpoint: routing
            // has not run yet (UseZkSync placed before UseRouting), which the guard must still report.
            if (endpoint is not null)
            {
                context.Features.Set(DistributedLockGuard.MiddlewareRan.Instance);
            }

            return next(context);
        }

        if (context.Features.Get<LockScope>()?.IsFor(endpoint) == true)
        {
            // An outer instance of this middleware (UseZkSync called twice) has it.
            return next(context);
        }

        return runner.RunScopeAsync(context, plan, next);
    }
}
