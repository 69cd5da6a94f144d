using Microsoft.AspNetCore.Mvc;
using ZkSync.AspNetCore;

namespace WebApp.Orders;

/// <summary>Order payments: one replica at a time touches a given order.</summary>
[ApiController]
[Route("orders")]
public sealed class OrdersController(OrderStore store) : ControllerBase
{
    /// <summary>Pays an order, holding the lock <c>orders/{id}</c> (409 at once if another request holds it).</summary>
    [HttpPost("{id}/pay")]
    [DistributedLock("/orders/{id}")]
    public ActionResult<Order> Pay(string id)
    {
        var fencingToken = HttpContext.Features.Get<IDistributedLockFeature>()!.FencingToken;
        var order = store.Get(id);
        if (order.Status != OrderStatus.New)
        {
            return Problem(statusCode: StatusCodes.Status409Conflict, title: "The order is already paid.", detail: $"Order {id} is {order.Status}.");
        }

        var paid = store.Update(id, fencingToken, o => o with { Status = OrderStatus.Paid });
        return paid is null
            ? Problem(statusCode: StatusCodes.Status409Conflict, title: "Stale fencing token.", detail: "A newer lock holder changed the order.")
            : paid;
    }
}
