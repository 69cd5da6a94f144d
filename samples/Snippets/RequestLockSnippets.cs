using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

public static class RequestLockSnippets
{
    public static void Map(WebApplication app)
    {
        #region request-sources
        app.MapPost("/payments", (PaymentRequest request) => Results.Accepted())
           .RequireDistributedLock("/payments/{header.Idempotency-Key}");     // one payment per key across replicas
        app.MapPost("/shipments", (ShipmentRequest shipment) => Results.Ok())
           .RequireDistributedLock("/orders/{arg.shipment.OrderId}");         // the body names the order's lock
        // Controllers: [HttpPost("/shipments"), DistributedLock("/orders/{arg.shipment.OrderId}")]
        #endregion
    }
}

public sealed record PaymentRequest(decimal Amount);

public sealed record ShipmentRequest(int OrderId, string Carrier);
