using ZkSync.Locks;

namespace WebApp.Orders;

/// <summary>The sample's ZooKeeper coordination, registered on the builder that <c>AddZkSync</c> returns.</summary>
public static class OrderCoordination
{
    /// <summary>
    /// Registers the orders API's lock policies. Replica-level coordination of the sample goes here as well: leader-only
    /// background jobs (<c>AddLeaderService&lt;T&gt;()</c>) and the startup barrier (<c>AddStartupBarrier(…)</c>).
    /// </summary>
    public static IZkSyncBuilder AddOrderCoordination(this IZkSyncBuilder zkSync) =>
        zkSync.AddLockPolicy("orders-read", policy =>
        {
            // Reads share the lock: many at a time, none while a write holds it; they wait up to 2 s for a write.
            policy.Mode = ZooKeeperLockMode.Shared;
            policy.WaitTimeout = TimeSpan.FromSeconds(2);
        });
}
