using ZkSync.AspNetCore;
using ZkSync.Locks;

namespace WebApp.Orders;

/// <summary>The sample's ZooKeeper coordination, registered on the builder that <c>AddZkSync</c> returns.</summary>
public static class OrderCoordination
{
    /// <summary>The startup barrier: a migration job creates this znode before it starts and deletes it when done.</summary>
    public const string MigrationsBarrier = "/deploy/migrations";

    /// <summary>
    /// Registers the orders API's coordination: its lock policies, the leader-only sweep job, and the migrations
    /// barrier (while <see cref="MigrationsBarrier"/> exists, /health/ready answers 503, so no traffic arrives).
    /// </summary>
    public static IZkSyncBuilder AddOrderCoordination(this IZkSyncBuilder zkSync) =>
        zkSync
            .AddLockPolicy("orders-read", policy =>
            {
                // Reads share the lock: many at a time, none while a write holds it; they wait up to 2 s for a write.
                policy.Mode = ZooKeeperLockMode.Shared;
                policy.WaitTimeout = TimeSpan.FromSeconds(2);
            })
            .AddLeaderService<OrderSweepJob>("jobs/order-sweep")
            .AddStartupBarrier(MigrationsBarrier, barrier => barrier.Mode = StartupBarrierMode.ReadinessOnly);
}
