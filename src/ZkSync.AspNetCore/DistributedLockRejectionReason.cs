namespace ZkSync.AspNetCore;

/// <summary>Why a request did not get its lock.</summary>
public enum DistributedLockRejectionReason
{
    /// <summary>The lock was held elsewhere when the wait timeout ran out (answered with <see cref="DistributedLockOptions.RejectionStatusCode"/>).</summary>
    Contention = 0,

    /// <summary>
    /// ZooKeeper could not be reached or refused the request (answered with
    /// <see cref="DistributedLockOptions.UnavailableStatusCode"/>).
    /// </summary>
    Unavailable = 1,
}
