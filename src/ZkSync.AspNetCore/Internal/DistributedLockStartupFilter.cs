using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ZkSync.AspNetCore.Internal;

/// <summary>
/// Checks every endpoint with distributed lock metadata once the request pipeline is built and before the server
/// starts: <c>UseZkSync()</c> was called, every placeholder of a lock template exists on its endpoint (route parameter,
/// handler argument, property path), and named policies exist. Any problem fails startup with a message naming the
/// endpoint; a route parameter without a constraint that binds a typed handler parameter is logged as a warning.
/// </summary>
internal sealed class DistributedLockStartupFilter(ZkSyncMarkerService marker, DistributedLockResolver resolver, ILoggerFactory loggerFactory) : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        // The application's own pipeline (and, for WebApplication, its endpoints) is registered inside next(app).
        next(app);
        Validate(app.ApplicationServices.GetService<EndpointDataSource>()?.Endpoints ?? []);
    };

    internal void Validate(IReadOnlyList<Endpoint> endpoints)
    {
        var logger = loggerFactory.CreateLogger("ZkSync.AspNetCore.DistributedLockStartupFilter");
        var errors = new List<string>();
        var locked = new List<string>();
        foreach (var endpoint in endpoints)
        {
            var metadata = endpoint.Metadata.GetMetadata<DistributedLockAttribute>();
            if (metadata is null || endpoint.Metadata.GetMetadata<DisableDistributedLockAttribute>() is not null)
            {
                continue;
            }

            locked.Add(endpoint.DisplayName ?? "(unnamed)");
            if (resolver.GetPolicyError(metadata) is { } policyError)
            {
                errors.Add($"Endpoint '{endpoint.DisplayName}': {policyError}");
            }
            else if (resolver.GetPlan(endpoint) is { } plan)
            {
                errors.AddRange(plan.Errors);
                foreach (var warning in plan.Warnings)
                {
                    Log.UnconstrainedLockRouteValue(logger, warning.Endpoint, warning.Parameter, warning.Type.Name, warning.Template,
                        warning.SuggestedConstraint is { } constraint ? $"{{{warning.Parameter}:{constraint}}}" : "a route constraint");
                }
            }
        }

        if (locked.Count > 0 && !marker.MiddlewareRegistered)
        {
            errors.Insert(0, $"{Describe(locked)} distributed lock metadata, but the ZkSync middleware was not found: these endpoints would run "
                + "without their locks. Call app.UseZkSync() after app.UseRouting() (when called explicitly), app.UseAuthentication() "
                + "and app.UseAuthorization(), and before the endpoints run.");
        }

        if (errors.Count > 0)
        {
            throw new InvalidOperationException("ZkSync cannot start: " + string.Join(Environment.NewLine, errors));
        }

        Log.LockedEndpointsChecked(logger, locked.Count);
    }

    private static string Describe(List<string> endpoints) => endpoints.Count switch
    {
        1 => $"Endpoint '{endpoints[0]}' contains",
        <= 5 => $"Endpoints {string.Join(", ", endpoints.Select(e => $"'{e}'"))} contain",
        _ => $"Endpoints {string.Join(", ", endpoints.Take(5).Select(e => $"'{e}'"))} and {endpoints.Count - 5} more contain",
    };
}
