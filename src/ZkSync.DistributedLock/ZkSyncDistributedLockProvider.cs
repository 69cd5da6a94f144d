using System.Diagnostics.Metrics;
using Medallion.Threading;
using Microsoft.Extensions.Logging;
using ZkSync.Client;
using ZkSync.Locks;
using ZkSync.Semaphores;

namespace ZkSync.DistributedLock;

/// <summary>
/// DistributedLock.Core's providers on ZooKeeper: locks and reader-writer locks are ZkSync locks
/// (<see cref="ZooKeeperLockProvider"/>, Curator's layout), semaphores are ZkSync semaphores
/// (<see cref="ZooKeeperSemaphore"/>, Curator's <c>InterProcessSemaphoreV2</c> layout).
/// </summary>
/// <remarks>
/// <para>
/// Names are mapped by <see cref="ZkSyncDistributedLockNames.ToZkSyncName"/>, so any string is a valid name; each name is
/// one znode under the lock root (<c>/zksync/locks</c> by default) or the semaphore root (<c>/zksync/semaphores</c>).
/// A lock and a reader-writer lock of the same name share that znode: the lock excludes readers and writers alike.
/// </para>
/// <para>
/// Timeouts follow DistributedLock: <c>TryAcquire*</c> waits up to its timeout (zero, the default, tries once) and
/// returns null; <c>Acquire*</c> waits until acquired (null timeout) or throws <see cref="TimeoutException"/>. A negative
/// timeout other than <see cref="Timeout.InfiniteTimeSpan"/> throws <see cref="ArgumentOutOfRangeException"/>;
/// cancellation throws <see cref="OperationCanceledException"/> and leaves no node behind. Locks are not reentrant: a
/// second acquisition of a held name waits for the first handle, in this process as in any other.
/// <see cref="IDistributedSynchronizationHandle.HandleLostToken"/> is ZkSync's <c>Lost</c>. The synchronous methods
/// block on the asynchronous ones.
/// </para>
/// </remarks>
public sealed class ZkSyncDistributedLockProvider : IDistributedLockProvider, IDistributedReaderWriterLockProvider, IDistributedSemaphoreProvider
{
    private static readonly ZooKeeperLockRequest Exclusive = new() { Mode = ZooKeeperLockMode.Exclusive };
    private static readonly ZooKeeperLockRequest Shared = new() { Mode = ZooKeeperLockMode.Shared };
    private readonly ZooKeeperClient _client;
    private readonly ZooKeeperLockProvider _locks;
    private readonly ZooKeeperSemaphoreOptions? _semaphoreOptions;
    private readonly ILoggerFactory? _loggerFactory;
    private readonly IMeterFactory? _meterFactory;

    /// <summary>Creates the provider on a client the caller owns.</summary>
    /// <param name="client">The ZooKeeper client (not disposed by the provider).</param>
    /// <param name="locks">The lock provider to take locks from (its root, ACL and node format apply); null for one with default options on <paramref name="client"/>.</param>
    /// <param name="semaphoreOptions">The semaphores' options (root path); null for defaults.</param>
    /// <param name="loggerFactory">Logging for the semaphores; null for none.</param>
    /// <param name="meterFactory">Metrics for the semaphores; null for the process-wide meter.</param>
    /// <exception cref="ArgumentException">A root is '/', where ZooKeeper reserves names starting with <c>zookeeper</c>.</exception>
    public ZkSyncDistributedLockProvider(ZooKeeperClient client, ZooKeeperLockProvider? locks = null, ZooKeeperSemaphoreOptions? semaphoreOptions = null,
        ILoggerFactory? loggerFactory = null, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _locks = locks ?? new ZooKeeperLockProvider(client, loggerFactory: loggerFactory, meterFactory: meterFactory);
        if (_locks.GetLockPath("x") == "/x" || semaphoreOptions?.RootPath == "/")
        {
            throw new ArgumentException(
                "ZkSync.DistributedLock needs a lock and semaphore root other than '/': there ZooKeeper reserves names starting with 'zookeeper', which DistributedLock names may be.",
                locks is not null && _locks.GetLockPath("x") == "/x" ? nameof(locks) : nameof(semaphoreOptions));
        }

        _semaphoreOptions = semaphoreOptions;
        _loggerFactory = loggerFactory;
        _meterFactory = meterFactory;
    }

    /// <summary>An exclusive lock; its handle is a <see cref="ZkSyncDistributedLockHandle"/>.</summary>
    /// <param name="name">Any string (see <see cref="ZkSyncDistributedLockNames"/>).</param>
    /// <returns>The lock.</returns>
    public IDistributedLock CreateLock(string name) => new Lock(this, name);

    /// <summary>A reader-writer lock: any number of readers or one writer, first come first served (readers queued behind a writer wait).</summary>
    /// <param name="name">Any string (see <see cref="ZkSyncDistributedLockNames"/>).</param>
    /// <returns>The lock.</returns>
    public IDistributedReaderWriterLock CreateReaderWriterLock(string name) => new ReaderWriterLock(this, name);

    /// <summary>A semaphore of <paramref name="maxCount"/> tickets. Every user of the name must pass the same count (as with Curator, it is not checked across processes).</summary>
    /// <param name="name">Any string (see <see cref="ZkSyncDistributedLockNames"/>).</param>
    /// <param name="maxCount">The number of tickets, at least 1.</param>
    /// <returns>The semaphore.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxCount"/> is less than 1.</exception>
    public IDistributedSemaphore CreateSemaphore(string name, int maxCount)
    {
        ArgumentNullException.ThrowIfNull(name);
        var semaphore = new ZooKeeperSemaphore(_client, ZkSyncDistributedLockNames.ToZkSyncName(name), maxCount, _semaphoreOptions, _loggerFactory, _meterFactory);
        return new Semaphore(name, semaphore);
    }

    private async ValueTask<IDistributedSynchronizationHandle?> TryLockAsync(string zkName, ZooKeeperLockRequest request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var handle = await _locks.TryAcquireAsync(zkName, request, timeout, cancellationToken).ConfigureAwait(false);
        return handle is null ? null : new ZkSyncDistributedLockHandle(handle, handle.FencingToken, handle.Lost);
    }

    private static async ValueTask<IDistributedSynchronizationHandle> OrTimeout(ValueTask<IDistributedSynchronizationHandle?> attempt, string what, TimeSpan? timeout) =>
        await attempt.ConfigureAwait(false) ?? throw new TimeoutException($"Could not acquire {what} within {timeout}: it is held elsewhere.");

    private static T Wait<T>(ValueTask<T> task) => task.IsCompletedSuccessfully ? task.Result : task.AsTask().GetAwaiter().GetResult();

    private sealed class Lock(ZkSyncDistributedLockProvider provider, string name) : IDistributedLock
    {
        private readonly string _zkName = ZkSyncDistributedLockNames.ToZkSyncName(name);

        public string Name { get; } = name;

        public ValueTask<IDistributedSynchronizationHandle?> TryAcquireAsync(TimeSpan timeout = default, CancellationToken cancellationToken = default) =>
            provider.TryLockAsync(_zkName, Exclusive, timeout, cancellationToken);

        public ValueTask<IDistributedSynchronizationHandle> AcquireAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
            OrTimeout(TryAcquireAsync(timeout ?? Timeout.InfiniteTimeSpan, cancellationToken), $"the lock '{Name}'", timeout);

        public IDistributedSynchronizationHandle? TryAcquire(TimeSpan timeout = default, CancellationToken cancellationToken = default) =>
            Wait(TryAcquireAsync(timeout, cancellationToken));

        public IDistributedSynchronizationHandle Acquire(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
            Wait(AcquireAsync(timeout, cancellationToken));
    }

    private sealed class ReaderWriterLock(ZkSyncDistributedLockProvider provider, string name) : IDistributedReaderWriterLock
    {
        private readonly string _zkName = ZkSyncDistributedLockNames.ToZkSyncName(name);

        public string Name { get; } = name;

        public ValueTask<IDistributedSynchronizationHandle?> TryAcquireReadLockAsync(TimeSpan timeout = default, CancellationToken cancellationToken = default) =>
            provider.TryLockAsync(_zkName, Shared, timeout, cancellationToken);

        public ValueTask<IDistributedSynchronizationHandle> AcquireReadLockAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
            OrTimeout(TryAcquireReadLockAsync(timeout ?? Timeout.InfiniteTimeSpan, cancellationToken), $"the read lock '{Name}'", timeout);

        public ValueTask<IDistributedSynchronizationHandle?> TryAcquireWriteLockAsync(TimeSpan timeout = default, CancellationToken cancellationToken = default) =>
            provider.TryLockAsync(_zkName, Exclusive, timeout, cancellationToken);

        public ValueTask<IDistributedSynchronizationHandle> AcquireWriteLockAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
            OrTimeout(TryAcquireWriteLockAsync(timeout ?? Timeout.InfiniteTimeSpan, cancellationToken), $"the write lock '{Name}'", timeout);

        public IDistributedSynchronizationHandle? TryAcquireReadLock(TimeSpan timeout = default, CancellationToken cancellationToken = default) =>
            Wait(TryAcquireReadLockAsync(timeout, cancellationToken));

        public IDistributedSynchronizationHandle AcquireReadLock(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
            Wait(AcquireReadLockAsync(timeout, cancellationToken));

        public IDistributedSynchronizationHandle? TryAcquireWriteLock(TimeSpan timeout = default, CancellationToken cancellationToken = default) =>
            Wait(TryAcquireWriteLockAsync(timeout, cancellationToken));

        public IDistributedSynchronizationHandle AcquireWriteLock(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
            Wait(AcquireWriteLockAsync(timeout, cancellationToken));
    }

    private sealed class Semaphore(string name, ZooKeeperSemaphore semaphore) : IDistributedSemaphore
    {
        public string Name { get; } = name;

        public int MaxCount => semaphore.MaxLeases;

        public async ValueTask<IDistributedSynchronizationHandle?> TryAcquireAsync(TimeSpan timeout = default, CancellationToken cancellationToken = default)
        {
            var lease = await semaphore.TryAcquireAsync(timeout, cancellationToken).ConfigureAwait(false);
            return lease is null ? null : new ZkSyncDistributedLockHandle(lease, lease.FencingToken, lease.Lost);
        }

        public ValueTask<IDistributedSynchronizationHandle> AcquireAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
            OrTimeout(TryAcquireAsync(timeout ?? Timeout.InfiniteTimeSpan, cancellationToken), $"a ticket of the semaphore '{Name}' ({MaxCount} tickets)", timeout);

        public IDistributedSynchronizationHandle? TryAcquire(TimeSpan timeout = default, CancellationToken cancellationToken = default) =>
            Wait(TryAcquireAsync(timeout, cancellationToken));

        public IDistributedSynchronizationHandle Acquire(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
            Wait(AcquireAsync(timeout, cancellationToken));
    }
}
