using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using ZkSync.Client;

namespace ZkSync.Locks;

/// <summary>
/// Fair (FIFO) exclusive and shared/exclusive locks on ZooKeeper, wire-compatible with Apache Curator's
/// <c>InterProcessMutex</c> and <c>InterProcessReadWriteLock</c>.
/// </summary>
public sealed class ZooKeeperLockProvider
{
    /// <summary>Creates a provider on a client the caller owns.</summary>
    /// <param name="client">The client (not disposed by the provider).</param>
    /// <param name="options">The options; null for defaults.</param>
    /// <param name="loggerFactory">Logging; null for none.</param>
    /// <param name="meterFactory">Metrics; null for a provider-owned meter.</param>
    public ZooKeeperLockProvider(ZooKeeperClient client, ZooKeeperLockOptions? options = null, ILoggerFactory? loggerFactory = null, IMeterFactory? meterFactory = null)
    {
        throw new NotImplementedException();
    }

    /// <summary>The locks currently held through this provider.</summary>
    public IReadOnlyCollection<ZooKeeperLockHandle> HeldLocks => throw new NotImplementedException();

    /// <summary>The znode path of a lock name (<c>orders/42</c> → <c>/zksync/locks/orders/42</c>); throws <see cref="ArgumentException"/> naming the rule for invalid names.</summary>
    /// <param name="name">The lock name.</param>
    /// <returns>The path.</returns>
    public string GetLockPath(string name) => throw new NotImplementedException();

    /// <summary>Acquires an exclusive lock, waiting in FIFO order up to <paramref name="timeout"/> (zero: try once).</summary>
    /// <param name="name">The lock name.</param>
    /// <param name="timeout">How long to wait; <see cref="TimeSpan.Zero"/> to try once; <see cref="Timeout.InfiniteTimeSpan"/> to wait forever.</param>
    /// <param name="cancellationToken">Cancels the wait; no node is left behind.</param>
    /// <returns>The handle, or null if the lock was not acquired in time.</returns>
    public ValueTask<ZooKeeperLockHandle?> TryAcquireAsync(string name, TimeSpan timeout = default, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException();

    /// <summary>Acquires an exclusive lock, waiting in FIFO order; throws <see cref="TimeoutException"/> when <paramref name="timeout"/> runs out.</summary>
    /// <param name="name">The lock name.</param>
    /// <param name="timeout">How long to wait; null to wait forever.</param>
    /// <param name="cancellationToken">Cancels the wait; no node is left behind.</param>
    /// <returns>The handle.</returns>
    public ValueTask<ZooKeeperLockHandle> AcquireAsync(string name, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException();

    /// <summary>Acquires a lock as described by <paramref name="request"/> (mode, owner, TTL); null if not acquired within <paramref name="timeout"/>.</summary>
    /// <param name="name">The lock name.</param>
    /// <param name="request">Mode, owner and TTL.</param>
    /// <param name="timeout">How long to wait; <see cref="TimeSpan.Zero"/> to try once; <see cref="Timeout.InfiniteTimeSpan"/> to wait forever.</param>
    /// <param name="cancellationToken">Cancels the wait; no node is left behind.</param>
    /// <returns>The handle, or null.</returns>
    public ValueTask<ZooKeeperLockHandle?> TryAcquireAsync(string name, ZooKeeperLockRequest request, TimeSpan timeout = default, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException();

    /// <summary>Acquires a lock as described by <paramref name="request"/>; throws <see cref="TimeoutException"/> when <paramref name="timeout"/> runs out.</summary>
    /// <param name="name">The lock name.</param>
    /// <param name="request">Mode, owner and TTL.</param>
    /// <param name="timeout">How long to wait; null to wait forever.</param>
    /// <param name="cancellationToken">Cancels the wait; no node is left behind.</param>
    /// <returns>The handle.</returns>
    public ValueTask<ZooKeeperLockHandle> AcquireAsync(string name, ZooKeeperLockRequest request, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException();
}
