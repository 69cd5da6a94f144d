using Microsoft.AspNetCore.Http;

namespace ZkSync.AspNetCore.Internal;

/// <summary>
/// Makes sure an endpoint that asks for a distributed lock never runs without it: the middleware marks a locked request
/// with <see cref="IDistributedLockFeature"/>, and the guard (wrapped around endpoints by <c>RequireDistributedLock</c>,
/// and an MVC filter for controllers and pages) throws when the mark is missing, like ASP.NET Core's check for
/// authorization metadata without the authorization middleware.
/// </summary>
internal static class DistributedLockGuard
{
    /// <summary>Metadata recording that an endpoint's request delegate is already wrapped by the guard.</summary>
    public sealed class InstalledMetadata
    {
        public static readonly InstalledMetadata Instance = new();
    }

    /// <summary>Throws when the current endpoint needs a lock and the middleware did not take it.</summary>
    public static void Check(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        if (endpoint is not null
            && endpoint.Metadata.GetMetadata<DistributedLockAttribute>() is not null
            && endpoint.Metadata.GetMetadata<DisableDistributedLockAttribute>() is null
            && context.Features.Get<IDistributedLockFeature>() is null)
        {
            throw MiddlewareNotRun(endpoint.DisplayName);
        }
    }

    public static RequestDelegate Wrap(RequestDelegate inner) => context =>
    {
        Check(context);
        return inner(context);
    };

    public static InvalidOperationException MiddlewareNotRun(string? endpoint) => new(
        $"Endpoint {endpoint} contains distributed lock metadata, but the ZkSync middleware did not run for this request, so "
        + "the endpoint would run without its lock. Call app.UseZkSync() in the pipeline that serves this endpoint, after "
        + "app.UseRouting() (when called explicitly), app.UseAuthentication() and app.UseAuthorization(), and before the "
        + "endpoints run.");
}
