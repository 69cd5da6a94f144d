using Microsoft.AspNetCore.Http.HttpResults;
using ZkSync.AspNetCore;

namespace WebApp.Orders;

/// <summary>Minimal endpoints of the orders API, locked per order with <c>RequireDistributedLock</c>.</summary>
public static class OrderEndpoints
{
    /// <summary>The longest a <c>/hold</c> request may hold its lock.</summary>
    public const int MaxHoldMs = 120_000;

    public static IEndpointRouteBuilder MapOrders(this IEndpointRouteBuilder app)
    {
        // Reads share the lock (policy "orders-read", see OrderCoordination).
        app.MapGet("/orders/{id}", (string id, OrderStore store) => store.Get(id))
            .RequireDistributedLock("/orders/{id}", "orders-read");

        // Every write below holds the exclusive lock orders/{id} (znode {RootPath}/orders/{id}) for the whole request.
        var order = app.MapGroup("/orders/{id}").RequireDistributedLock("/orders/{id}");

        order.MapPost("/ship", Results<Ok<Order>, ProblemHttpResult> (string id, HttpContext context, OrderStore store) =>
        {
            var fencingToken = context.Features.Get<IDistributedLockFeature>()!.FencingToken;
            if (store.Get(id).Status != OrderStatus.Paid)
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The order is not paid.");
            }

            var shipped = store.Update(id, fencingToken, o => o with { Status = OrderStatus.Shipped });
            return shipped is null
                ? TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Stale fencing token.")
                : TypedResults.Ok(shipped);
        });

        // Holds the order's lock for holdMs (default 10 s) to show contention by hand:
        //   curl -X POST 'http://127.0.0.1:5080/orders/42/hold?holdMs=15000' &
        //   curl -i -X POST http://127.0.0.1:5080/orders/42/pay     → 409 with Retry-After
        order.MapPost("/hold", async Task<Results<Ok<HoldResult>, ProblemHttpResult>> (string id, HttpContext context, int? holdMs) =>
        {
            var hold = holdMs ?? 10_000;
            if (hold is < 0 or > MaxHoldMs)
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: $"holdMs must be between 0 and {MaxHoldMs}.");
            }

            var held = context.Features.Get<IDistributedLockFeature>()!;

            // RequestAborted also fires if the lock is lost while we wait.
            await Task.Delay(hold, context.RequestAborted);
            return TypedResults.Ok(new HoldResult(held.Name, held.LockPath, held.FencingToken, hold));
        });

        return app;
    }
}

/// <summary>What <c>/hold</c> returns.</summary>
public sealed record HoldResult(string Lock, string Path, long FencingToken, int HeldMs);
