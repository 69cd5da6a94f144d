using Microsoft.Extensions.DependencyInjection;
using ZkSync.AspNetCore;
using ZkSync.AspNetCore.Internal;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Adds ZkSync's middleware to the request pipeline.</summary>
public static class ZkSyncApplicationBuilderExtensions
{
    /// <summary>
    /// Adds the middleware that takes the distributed locks endpoints ask for (<see cref="DistributedLockAttribute"/>,
    /// <c>RequireDistributedLock</c>). Call it after <c>UseRouting()</c> (when called explicitly), <c>UseAuthentication()</c>
    /// and <c>UseAuthorization()</c>, so that unauthorized requests never queue for a lock, and before the endpoints run.
    /// </summary>
    /// <param name="app">The application builder.</param>
    /// <returns>The application builder.</returns>
    /// <exception cref="InvalidOperationException"><c>AddZkSync</c> was not called.</exception>
    /// <remarks>
    /// Without this middleware, an application with lock metadata on any endpoint fails at startup; an endpoint reached
    /// without the middleware having run for the request (e.g. the middleware placed before routing) throws rather than run
    /// unlocked.
    /// </remarks>
    public static IApplicationBuilder UseZkSync(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var services = app.ApplicationServices;
        var marker = services.GetService<ZkSyncMarkerService>() ?? throw new InvalidOperationException(
            "Unable to find the required services. Add them by calling 'builder.Services.AddZkSync(builder.Configuration)' before building the application.");
        marker.MiddlewareRegistered = true;
        return app.Use(next => new DistributedLockMiddleware(next, services.GetRequiredService<DistributedLockRunner>()).InvokeAsync);
    }
}
