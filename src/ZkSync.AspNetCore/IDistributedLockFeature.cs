using ZkSync.Locks;

namespace ZkSync.AspNetCore;

/// <summary>
/// The lock the current request holds, as a request feature:
/// <c>HttpContext.Features.Get&lt;IDistributedLockFeature&gt;()</c>. Present while the endpoint runs.
/// </summary>
public interface IDistributedLockFeature
{
    /// <summary>The lock name, e.g. <c>orders/42</c>.</summary>
    string Name { get; }

    /// <summary>The lock's znode, e.g. <c>/zksync/locks/orders/42</c>.</summary>
    string LockPath { get; }

    /// <summary>Exclusive or shared.</summary>
    ZooKeeperLockMode Mode { get; }

    /// <summary>
    /// The holder node's creation zxid: grows with every new holder of this lock. Pass it to the storage you protect and
    /// reject writes that carry an older token. Also sent in the <c>X-Fencing-Token</c> response header.
    /// </summary>
    long FencingToken { get; }

    /// <summary>
    /// Cancelled when the lock can no longer be trusted (connection suspended, session expired, node deleted). Already
    /// linked into <c>HttpContext.RequestAborted</c>.
    /// </summary>
    CancellationToken Lost { get; }

    /// <summary>The handle itself (owner id, acquisition time). The middleware releases it when the request ends.</summary>
    ZooKeeperLockHandle Handle { get; }
}
