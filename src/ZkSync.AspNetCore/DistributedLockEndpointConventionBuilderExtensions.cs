using Microsoft.AspNetCore.Mvc.Abstractions;
using ZkSync.AspNetCore;
using ZkSync.AspNetCore.Internal;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Distributed locks on minimal endpoints, route groups and other endpoint builders.</summary>
public static class DistributedLockEndpointConventionBuilderExtensions
{
    /// <summary>
    /// Requests to the endpoints hold the distributed lock named by <paramref name="template"/> (filled from route values,
    /// query, headers, claims or bound handler arguments; see <see cref="DistributedLockAttribute"/> for the syntax) until
    /// their response has been written, as <see cref="DistributedLockAttribute"/> does for controllers.
    /// </summary>
    /// <typeparam name="TBuilder">The endpoint convention builder.</typeparam>
    /// <param name="builder">The endpoint, group or endpoints.</param>
    /// <param name="template">The lock template, e.g. <c>/orders/{id}</c> or <c>/customers/{arg.order.CustomerId}</c>.</param>
    /// <param name="configure">Sets the lock's mode, wait timeout, owner and TTL; runs once, now. Null for the defaults of <see cref="DistributedLockOptions"/>.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentException">The template is malformed.</exception>
    /// <remarks>
    /// When the template needs bound arguments, an endpoint filter takes the lock after binding; it is added where this
    /// method is called, so endpoint filters added before it (and ASP.NET Core's validation) run before the lock is
    /// taken, and those added after it run under the lock.
    /// </remarks>
    public static TBuilder RequireDistributedLock<TBuilder>(this TBuilder builder, string template, Action<DistributedLockPolicy>? configure = null)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        DistributedLockPolicy? policy = null;
        if (configure is not null)
        {
            policy = new DistributedLockPolicy();
            configure(policy);
            policy = policy.Clone();
        }

        return Require(builder, new DistributedLockAttribute(template) { InlinePolicy = policy });
    }

    /// <summary>
    /// Requests to the endpoints hold the distributed lock named by <paramref name="template"/>, taken as the named policy
    /// (registered with <c>AddLockPolicy</c>; checked at startup) says.
    /// </summary>
    /// <typeparam name="TBuilder">The endpoint convention builder.</typeparam>
    /// <param name="builder">The endpoint, group or endpoints.</param>
    /// <param name="template">The lock template, e.g. <c>/orders/{id}</c> or <c>/customers/{arg.order.CustomerId}</c>.</param>
    /// <param name="policyName">The policy's name.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentException">The template is malformed.</exception>
    public static TBuilder RequireDistributedLock<TBuilder>(this TBuilder builder, string template, string policyName)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(policyName);
        return Require(builder, new DistributedLockAttribute(template) { PolicyName = policyName });
    }

    /// <summary>Requests to the endpoints take no distributed lock, whatever their group or controller asks for.</summary>
    /// <typeparam name="TBuilder">The endpoint convention builder.</typeparam>
    /// <param name="builder">The endpoint, group or endpoints.</param>
    /// <returns>The builder.</returns>
    public static TBuilder DisableDistributedLock<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Add(static endpoint => endpoint.Metadata.Add(DisableDistributedLockAttribute.Instance));
        return builder;
    }

    private static TBuilder Require<TBuilder>(TBuilder builder, DistributedLockAttribute metadata)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.Add(endpoint =>
        {
            endpoint.Metadata.Add(metadata);

            // Fail loudly instead of running unlocked when the middleware did not run for a request, and take the
            // endpoint's own lock when the pipeline was re-executed for it.
            if (endpoint.RequestDelegate is { } inner && !endpoint.Metadata.Contains(DistributedLockGuard.InstalledMetadata.Instance))
            {
                endpoint.Metadata.Add(DistributedLockGuard.InstalledMetadata.Instance);
                endpoint.RequestDelegate = DistributedLockGuard.Wrap(inner);
            }

            // Minimal API handlers whose lock needs bound arguments: taken by this filter, after binding. (Controller
            // actions get ZkSync's MVC filters instead.)
            if (!endpoint.Metadata.Contains(DistributedLockEndpointFilter.InstalledMetadata.Instance)
                && !endpoint.Metadata.Any(static m => m is ActionDescriptor)
                && LockPlan.NeedsEndpointFilter(metadata.ParsedTemplate, [.. endpoint.Metadata]))
            {
                endpoint.Metadata.Add(DistributedLockEndpointFilter.InstalledMetadata.Instance);
                endpoint.FilterFactories.Add(DistributedLockEndpointFilter.Create);
            }
        });
        return builder;
    }
}
