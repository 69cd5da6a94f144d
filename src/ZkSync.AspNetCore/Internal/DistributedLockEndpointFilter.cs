using Microsoft.AspNetCore.Http;

namespace ZkSync.AspNetCore.Internal;

/// <summary>
/// The endpoint filter that <c>RequireDistributedLock</c> adds to minimal API endpoints whose lock needs bound arguments
/// (<c>{arg.…}</c>, or a route value bound to a typed parameter): it takes the lock after binding and after the
/// filters added before it (validation among them), just before the handler. A request that binding rejected (the
/// framework has set 400 and will not call the handler) takes no lock. The scope opened by the middleware releases the
/// lock once the response has been written.
/// </summary>
internal static class DistributedLockEndpointFilter
{
    /// <summary>Metadata recording that the endpoint has this filter.</summary>
    public sealed class InstalledMetadata
    {
        public static readonly InstalledMetadata Instance = new();
    }

    public static EndpointFilterDelegate Create(EndpointFilterFactoryContext factoryContext, EndpointFilterDelegate next) => async invocation =>
    {
        var context = invocation.HttpContext;
        var endpoint = context.GetEndpoint();
        if (endpoint?.Metadata.GetMetadata<DistributedLockAttribute>() is null || endpoint.Metadata.GetMetadata<DisableDistributedLockAttribute>() is not null)
        {
            return await next(invocation).ConfigureAwait(false);
        }

        var scope = DistributedLockGuard.GetScope(context);
        if (!scope.Plan.AfterBinding || scope.Handle is not null || context.Response.StatusCode >= StatusCodes.Status400BadRequest)
        {
            return await next(invocation).ConfigureAwait(false);
        }

        var runner = DistributedLockGuard.GetRunner(context);
        return await runner.AcquireAfterBindingAsync(context, scope, new LockArguments(invocation.Arguments)).ConfigureAwait(false)
            ? await next(invocation).ConfigureAwait(false)
            : Results.Empty;
    };
}
