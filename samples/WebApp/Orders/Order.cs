using System.Text.Json.Serialization;

namespace WebApp.Orders;

/// <summary>An order of the sample's in-memory store.</summary>
/// <param name="Id">The order id.</param>
/// <param name="Status">New, Paid or Shipped.</param>
/// <param name="Version">Incremented by every change.</param>
/// <param name="FencingToken">The fencing token of the lock under which the order was last changed.</param>
public sealed record Order(string Id, OrderStatus Status, int Version, long FencingToken);

/// <summary>Where an order is in its life.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<OrderStatus>))]
public enum OrderStatus
{
    New,
    Paid,
    Shipped,
}
