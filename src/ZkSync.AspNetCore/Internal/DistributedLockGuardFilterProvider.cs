using Microsoft.AspNetCore.Mvc.Filters;

namespace ZkSync.AspNetCore.Internal;

/// <summary>
/// Adds the <see cref="DistributedLockGuard"/> as a resource filter to the MVC actions and Razor pages whose attributes
/// ask for a distributed lock, so that they fail loudly instead of running unlocked when the middleware did not run.
/// Other actions get no filter.
/// </summary>
internal sealed class DistributedLockGuardFilterProvider : IFilterProvider
{
    // After the default provider (order -1000), so that our item is not replaced.
    public int Order => 0;

    public void OnProvidersExecuting(FilterProviderContext context)
    {
        foreach (var item in context.ActionContext.ActionDescriptor.EndpointMetadata)
        {
            if (item is DistributedLockAttribute)
            {
                context.Results.Add(new FilterItem(new FilterDescriptor(GuardFilter.Instance, FilterScope.Global), GuardFilter.Instance)
                {
                    IsReusable = true,
                });
                return;
            }
        }
    }

    public void OnProvidersExecuted(FilterProviderContext context)
    {
    }

    private sealed class GuardFilter : IResourceFilter, IOrderedFilter
    {
        public static readonly GuardFilter Instance = new();

        public int Order => int.MinValue;

        public void OnResourceExecuting(ResourceExecutingContext context) => DistributedLockGuard.Check(context.HttpContext);

        public void OnResourceExecuted(ResourceExecutedContext context)
        {
        }
    }
}
