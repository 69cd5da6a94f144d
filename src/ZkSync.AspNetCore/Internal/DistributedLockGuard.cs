using Microsoft.AspNetCore.Http;

namespace ZkSync.AspNetCore.Internal;

/// <summary>
/// Makes sure an endpoint that asks for a distributed lock never runs without it, nor under another endpoint's lock. The
/// middleware opens a <see cref="LockScope"/> for the endpoint it sees; the guard (wrapped around endpoints by
/// <c>RequireDistributedLock</c>, and an MVC filter for controllers and pages) then finds one of three cases: the scope is
/// this endpoint's (carry on); the scope is another endpoint's, or there is none but the middleware ran for an endpoint
/// without a lock, so the pipeline was re-executed for this one (an exception handler or status-code page placed after
/// <c>UseZkSync</c>): open this endpoint's own scope; or there is none, so the middleware did not run for the request:
/// throw, like ASP.NET Core's check for authorization metadata without the authorization middleware.
/// </summary>
internal static class DistributedLockGuard
{
    /// <summary>Metadata recording that an endpoint's request delegate is wrapped by the guard and has the lock's endpoint filter.</summary>
    public sealed class InstalledMetadata
    {
        public static readonly InstalledMetadata Instance = new();
    }

    /// <summary>Set by the middleware on a request whose endpoint wanted no lock: it ran, and opened no scope.</summary>
    public sealed class MiddlewareRan
    {
        public static readonly MiddlewareRan Instance = new();
    }

    /// <summary>Runs <paramref name="next"/> for the current endpoint inside its lock scope.</summary>
    public static Task RunAsync(HttpContext context, RequestDelegate next)
    {
        var endpoint = context.GetEndpoint();
        if (endpoint?.Metadata.GetMetadata<DistributedLockAttribute>() is null || endpoint.Metadata.GetMetadata<DisableDistributedLockAttribute>() is not null)
        {
            return next(context);
        }

        var scope = context.Features.Get<LockScope>();
        if (scope is null && context.Features.Get<MiddlewareRan>() is null)
        {
            throw MiddlewareNotRun(endpoint.DisplayName);
        }

        if (scope is not null && scope.IsFor(endpoint))
        {
            return next(context);
        }

        var runner = GetRunner(context);
        var plan = runner.GetPlan(endpoint) ?? throw MiddlewareNotRun(endpoint.DisplayName);
        return runner.RunScopeAsync(context, plan, next);
    }

    /// <summary>The scope of the current endpoint, for a filter that takes its lock after binding; throws when there is none.</summary>
    public static LockScope GetScope(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        var scope = context.Features.Get<LockScope>();
        return scope is not null && scope.IsFor(endpoint) ? scope : throw MiddlewareNotRun(endpoint?.DisplayName);
    }

    public static DistributedLockRunner GetRunner(HttpContext context) =>
        (DistributedLockRunner?)context.RequestServices.GetService(typeof(DistributedLockRunner))
        ?? throw new InvalidOperationException("Unable to find the required services. Add them by calling 'builder.Services.AddZkSync(builder.Configuration)' before building the application.");

    public static RequestDelegate Wrap(RequestDelegate inner) => context => RunAsync(context, inner);

    public static InvalidOperationException MiddlewareNotRun(string? endpoint) => new(
        $"Endpoint {endpoint} contains distributed lock metadata, but the ZkSync middleware did not run for this request, so "
        + "the endpoint would run without its lock. Call app.UseZkSync() in the pipeline that serves this endpoint, after "
        + "app.UseRouting() (when called explicitly), app.UseAuthentication() and app.UseAuthorization(), and before the "
        + "endpoints run.");
}
