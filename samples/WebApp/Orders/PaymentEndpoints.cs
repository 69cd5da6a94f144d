using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http.HttpResults;
using ZkSync.AspNetCore;

namespace WebApp.Orders;

/// <summary>
/// Endpoints whose locks come from the request rather than the route: an idempotent payment keyed by the
/// <c>Idempotency-Key</c> header, and a shipment keyed by a property of its JSON body.
/// </summary>
public static class PaymentEndpoints
{
    public static IEndpointRouteBuilder MapPayments(this IEndpointRouteBuilder app)
    {
        // One payment per Idempotency-Key across all replicas: the lock payments/{key} makes "look up the key, else charge
        // and record it" atomic, so a client's retry that races its original request gets 409 instead of a second charge,
        // and a retry after it gets the recorded payment. (The sample's store is in memory; a real one is the database
        // every replica shares.) A request without the header gets 400 naming it, before any ZooKeeper request.
        //   curl -X POST 'http://127.0.0.1:5080/payments?holdMs=15000' -H 'Idempotency-Key: k1' -H 'Content-Type: application/json' -d '{"orderId":"42","amount":9.5}'
        app.MapPost("/payments", async Task<Results<Ok<Payment>, ProblemHttpResult>> (PaymentRequest request, HttpContext context, PaymentStore payments, int? holdMs) =>
        {
            var held = context.Features.Get<IDistributedLockFeature>()!;
            var key = context.Request.Headers["Idempotency-Key"].ToString();
            if (payments.Find(key) is { } recorded)
            {
                return TypedResults.Ok(recorded with { Replayed = true });
            }

            if (holdMs is < 0 or > OrderEndpoints.MaxHoldMs)
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: $"holdMs must be between 0 and {OrderEndpoints.MaxHoldMs}.");
            }

            // The payment provider's call would go here; holdMs stretches it to show contention by hand.
            await Task.Delay(holdMs ?? 0, context.RequestAborted);
            return TypedResults.Ok(payments.Record(new Payment(key, Guid.NewGuid().ToString("N"), request.OrderId, request.Amount, held.FencingToken, Replayed: false)));
        }).RequireDistributedLock("/payments/{header.Idempotency-Key}");

        // Ships the order named in the body, under the same lock orders/{id} as the route-keyed order endpoints: the lock is
        // taken after the body is bound (a malformed body gets 400 and never reaches ZooKeeper).
        //   curl -X POST http://127.0.0.1:5080/shipments -H 'Content-Type: application/json' -d '{"orderId":"42","carrier":"dhl"}'
        app.MapPost("/shipments", Results<Ok<Order>, ProblemHttpResult> (ShipmentRequest shipment, HttpContext context, OrderStore store) =>
        {
            var fencingToken = context.Features.Get<IDistributedLockFeature>()!.FencingToken;
            if (store.Get(shipment.OrderId).Status != OrderStatus.Paid)
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The order is not paid.");
            }

            var shipped = store.Update(shipment.OrderId, fencingToken, o => o with { Status = OrderStatus.Shipped });
            return shipped is null
                ? TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Stale fencing token.")
                : TypedResults.Ok(shipped);
        }).RequireDistributedLock("/orders/{arg.shipment.OrderId}");

        return app;
    }
}

/// <summary>What <c>POST /payments</c> charges.</summary>
/// <param name="OrderId">The order paid for.</param>
/// <param name="Amount">The amount.</param>
public sealed record PaymentRequest(string OrderId, decimal Amount);

/// <summary>A recorded payment.</summary>
/// <param name="IdempotencyKey">The client's key.</param>
/// <param name="PaymentId">The payment's id, the same for every retry of the key.</param>
/// <param name="OrderId">The order paid for.</param>
/// <param name="Amount">The amount.</param>
/// <param name="FencingToken">The fencing token of the lock under which it was recorded.</param>
/// <param name="Replayed">True when a retry got the recorded payment back.</param>
public sealed record Payment(string IdempotencyKey, string PaymentId, string OrderId, decimal Amount, long FencingToken, bool Replayed);

/// <summary>What <c>POST /shipments</c> ships.</summary>
/// <param name="OrderId">The order, which names the lock.</param>
/// <param name="Carrier">The carrier.</param>
public sealed record ShipmentRequest(string OrderId, string? Carrier);

/// <summary>The sample's record of processed payments, by idempotency key (in memory).</summary>
public sealed class PaymentStore
{
    private readonly ConcurrentDictionary<string, Payment> _payments = new(StringComparer.Ordinal);

    public Payment? Find(string idempotencyKey) => _payments.GetValueOrDefault(idempotencyKey);

    public Payment Record(Payment payment) => _payments.GetOrAdd(payment.IdempotencyKey, payment);
}
