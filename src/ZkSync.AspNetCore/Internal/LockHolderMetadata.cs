using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ZkSync.AspNetCore.Internal;

/// <summary>
/// What an HTTP lock's node publishes about its holder (<see cref="Locks.ZooKeeperLockRequest.Metadata"/>), so that
/// <c>zksync locks</c> answers "who holds it" with a replica and a request: <c>instance</c> (the machine name: the pod
/// name on Kubernetes), <c>endpoint</c> (method and route template, never route values), <c>traceId</c> (the W3C trace
/// id when the request is traced) and <c>requestId</c> (<see cref="HttpContext.TraceIdentifier"/>, as in the server's logs).
/// </summary>
/// <remarks>Nothing from the request's content, headers, query or user: anyone who can list the lock can read this.</remarks>
internal static class LockHolderMetadata
{
    private static readonly string Instance = Environment.MachineName;

    /// <summary>The metadata of a lock taken for <paramref name="context"/>.</summary>
    /// <param name="context">The request.</param>
    /// <returns>The entries.</returns>
    public static Dictionary<string, string> Create(HttpContext context)
    {
        var metadata = new Dictionary<string, string>(4, StringComparer.Ordinal)
        {
            ["instance"] = Instance,
            ["requestId"] = context.TraceIdentifier,
        };
        var endpoint = context.GetEndpoint();
        var route = (endpoint as RouteEndpoint)?.RoutePattern.RawText;
        if (route is not null || endpoint?.DisplayName is not null)
        {
            metadata["endpoint"] = route is null ? endpoint!.DisplayName! : $"{context.Request.Method} {(route.StartsWith('/') ? route : "/" + route)}";
        }

        if (Activity.Current is { IdFormat: ActivityIdFormat.W3C } activity)
        {
            metadata["traceId"] = activity.TraceId.ToHexString();
        }

        return metadata;
    }
}
