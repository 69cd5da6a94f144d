using Microsoft.Extensions.Options;
using ZkSync.Locks;

namespace ZkSync.AspNetCore.Internal;

/// <summary>Reports the locks this instance holds through the shared provider (count, and the oldest ones in detail).</summary>
internal sealed class HeldLocksStatusContributor(ZooKeeperLockProvider provider, IOptions<ZkSyncOptions> options) : IZkSyncStatusContributor
{
    public void Contribute(ZkSyncStatusReport status)
    {
        var held = provider.HeldLocks;
        var max = options.Value.HealthChecks.MaxListedLocks;
        status.Data["heldLockCount"] = held.Count;
        status.Data["heldLocks"] = held
            .OrderBy(h => h.AcquiredAt)
            .Take(max)
            .Select(h => new HeldLockStatus(h.Name, h.LockPath, DistributedLockMetrics.ModeName(h.Mode), h.AcquiredAt, h.FencingToken, h.OwnerId))
            .ToArray();
        if (held.Count > max)
        {
            status.Data["heldLocksTruncated"] = true;
        }
    }
}

/// <summary>One held lock as shown by the health check.</summary>
/// <param name="Name">The lock name.</param>
/// <param name="Path">The lock's znode.</param>
/// <param name="Mode"><c>exclusive</c> or <c>shared</c>.</param>
/// <param name="HeldSince">When it was acquired.</param>
/// <param name="FencingToken">Its fencing token.</param>
/// <param name="OwnerId">Its owner id, if any.</param>
internal sealed record HeldLockStatus(string Name, string Path, string Mode, DateTimeOffset HeldSince, long FencingToken, string? OwnerId);
