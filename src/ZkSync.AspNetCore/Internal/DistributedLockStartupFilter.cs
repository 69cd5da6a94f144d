using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ZkSync.AspNetCore.Internal;

/// <summary>
/// Checks every endpoint with distributed lock metadata once the request pipeline is built and before the server
/// starts: <c>UseZkSync()</c> was called, lock templates only use route parameters of their endpoint, and named policies
/// exist. Any problem fails startup with a message naming the endpoint.
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

            if (endpoint is RouteEndpoint routeEndpoint)
            {
                foreach (var placeholder in metadata.ParsedTemplate.Placeholders)
                {
                    if (!IsRouteValue(routeEndpoint, placeholder))
                    {
                        var parameters = string.Join(", ", routeEndpoint.RoutePattern.Parameters.Select(p => p.Name));
                        errors.Add($"Endpoint '{endpoint.DisplayName}': placeholder '{{{placeholder}}}' of the distributed lock template "
                            + $"'{metadata.Template}' is not a route parameter of the endpoint (route parameters: {(parameters.Length == 0 ? "none" : parameters)}).");
                    }
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

        Log.LockedEndpointsChecked(loggerFactory.CreateLogger("ZkSync.AspNetCore.DistributedLockStartupFilter"), locked.Count);
    }

    private static string Describe(List<string> endpoints) => endpoints.Count switch
    {
        1 => $"Endpoint '{endpoints[0]}' contains",
        <= 5 => $"Endpoints {string.Join(", ", endpoints.Select(e => $"'{e}'"))} contain",
        _ => $"Endpoints {string.Join(", ", endpoints.Take(5).Select(e => $"'{e}'"))} and {endpoints.Count - 5} more contain",
    };

    private static bool IsRouteValue(RouteEndpoint endpoint, string name)
    {
        var pattern = endpoint.RoutePattern;
        return pattern.GetParameter(name) is not null
            || pattern.RequiredValues.ContainsKey(name)
            || pattern.Defaults.ContainsKey(name);
    }
}
