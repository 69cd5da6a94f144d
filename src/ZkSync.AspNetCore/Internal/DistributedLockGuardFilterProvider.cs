using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace ZkSync.AspNetCore.Internal;

/// <summary>
/// Adds ZkSync's two MVC filters to every action and Razor page (they do nothing for endpoints without lock metadata,
/// which is known only per request, since conventions such as <c>MapControllers().RequireDistributedLock(…)</c> add
/// metadata the action descriptor does not show): the guard, a resource filter that runs first and opens the endpoint's
/// lock scope after a re-execution (see <see cref="DistributedLockGuard"/>); and, for locks that need bound arguments,
/// an action filter that takes the lock after model binding, after <c>[ApiController]</c>'s automatic 400 and after the
/// application's action filters of lower order (<see cref="AcquireOrder"/>).
/// </summary>
internal sealed class DistributedLockGuardFilterProvider : IFilterProvider
{
    /// <summary>The order of the action filter that takes locks after binding: after other action filters, just before the action.</summary>
    public const int AcquireOrder = 1_000_000;

    private static readonly FilterDescriptor GuardDescriptor = new(GuardFilter.Instance, FilterScope.Global);
    private static readonly FilterDescriptor AcquireDescriptor = new(AcquireFilter.Instance, FilterScope.Global);

    // After the default provider (order -1000), so that our items are not replaced.
    public int Order => 0;

    public void OnProvidersExecuting(FilterProviderContext context)
    {
        context.Results.Add(new FilterItem(GuardDescriptor, GuardFilter.Instance) { IsReusable = true });
        context.Results.Add(new FilterItem(AcquireDescriptor, AcquireFilter.Instance) { IsReusable = true });
    }

    public void OnProvidersExecuted(FilterProviderContext context)
    {
    }

    private sealed class GuardFilter : IAsyncResourceFilter, IOrderedFilter
    {
        public static readonly GuardFilter Instance = new();

        public int Order => int.MinValue;

        public Task OnResourceExecutionAsync(ResourceExecutingContext context, ResourceExecutionDelegate next)
        {
            var endpoint = context.HttpContext.GetEndpoint();
            return endpoint?.Metadata.GetMetadata<DistributedLockAttribute>() is null
                ? next()
                : DistributedLockGuard.RunAsync(context.HttpContext, async _ => await next().ConfigureAwait(false));
        }
    }

    private sealed class AcquireFilter : IAsyncActionFilter, IOrderedFilter
    {
        public static readonly AcquireFilter Instance = new();

        public int Order => AcquireOrder;

        public async Task OnActionExecutionAsync(ActionExecutingContext context, ActionExecutionDelegate next)
        {
            var http = context.HttpContext;
            var endpoint = http.GetEndpoint();
            if (endpoint?.Metadata.GetMetadata<DistributedLockAttribute>() is null || endpoint.Metadata.GetMetadata<DisableDistributedLockAttribute>() is not null)
            {
                await next().ConfigureAwait(false);
                return;
            }

            var scope = DistributedLockGuard.GetScope(http);
            if (!scope.Plan.AfterBinding || scope.Handle is not null)
            {
                await next().ConfigureAwait(false);
                return;
            }

            if (!context.ModelState.IsValid)
            {
                // The lock's values may come from what failed to bind: answer as [ApiController] would, without locking.
                var factory = http.RequestServices.GetRequiredService<ProblemDetailsFactory>();
                context.Result = new BadRequestObjectResult(factory.CreateValidationProblemDetails(http, context.ModelState))
                {
                    ContentTypes = { "application/problem+json" },
                };
                return;
            }

            if (await DistributedLockGuard.GetRunner(http).AcquireAfterBindingAsync(http, scope, new LockArguments(context.ActionArguments)).ConfigureAwait(false))
            {
                await next().ConfigureAwait(false);
            }
            else
            {
                context.Result = new EmptyResult();
            }
        }
    }
}
