using System.Collections.Concurrent;

namespace WebApp.Orders;

/// <summary>
/// The sample's "database": orders in memory. Like a real store protected by a distributed lock, it checks fencing
/// tokens: a change made under an older lock than the last change is refused, so a request that lost its lock (and whose
/// successor already wrote) cannot overwrite newer data.
/// </summary>
public sealed class OrderStore
{
    private readonly ConcurrentDictionary<string, Order> _orders = new(StringComparer.Ordinal);

    public Order Get(string id) => _orders.GetValueOrDefault(id) ?? new Order(id, OrderStatus.New, 0, 0);

    /// <summary>Applies <paramref name="change"/> to the order, unless <paramref name="fencingToken"/> is older than the last writer's.</summary>
    /// <returns>The changed order, or null when the token is stale.</returns>
    public Order? Update(string id, long fencingToken, Func<Order, Order> change)
    {
        while (true)
        {
            var current = Get(id);
            if (fencingToken < current.FencingToken)
            {
                return null;
            }

            var next = change(current) with { Version = current.Version + 1, FencingToken = fencingToken };
            var stored = current.Version == 0 ? _orders.TryAdd(id, next) : _orders.TryUpdate(id, next, current);
            if (stored)
            {
                return next;
            }
        }
    }
}
