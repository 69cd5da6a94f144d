using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ZkSync.Client;
using ZkSync.Internal.Recipes;

namespace ZkSync.Locks;

/// <summary>
/// Fair (FIFO) exclusive and shared/exclusive locks on ZooKeeper, wire-compatible with Apache Curator's
/// <c>InterProcessMutex</c> and <c>InterProcessReadWriteLock</c>.
/// </summary>
/// <remarks>
/// <para>
/// Each contender creates an ephemeral sequential node under the lock's znode: <c>_c_{uuid}-lock-{seq}</c> for an
/// exclusive lock, <c>_c_{uuid}-__READ__{seq}</c> / <c>_c_{uuid}-__WRIT__{seq}</c> for the read-write modes. The lowest
/// node holds an exclusive lock; a shared holder needs no exclusive node before it. Each waiter watches exactly one
/// other node. Lock znodes and their parents are container nodes, removed by the server once empty.
/// </para>
/// <para>
/// <see cref="ZooKeeperLockMode.Exclusive"/> is Curator's mutex layout; <see cref="ZooKeeperLockMode.Shared"/> and
/// <see cref="ZooKeeperLockMode.Write"/> are the two sides of Curator's read-write lock. As in Curator, the mutex and
/// the read-write lock are different locks even on the same path: use Shared and Write for a name that has readers.
/// </para>
/// <para>
/// Connection loss during a create is handled as in Curator's protected mode: the node is found again by its uuid.
/// A waiter that times out or is cancelled deletes its node. The handle's <see cref="ZooKeeperLockHandle.Lost"/>
/// fires as soon as the connection is suspended, the session expires or the node disappears.
/// </para>
/// </remarks>
public sealed class ZooKeeperLockProvider
{
    private static readonly string[] MutexTokens = [LockNodeNames.MutexToken];
    private static readonly string[] ReadWriteTokens = [LockNodeNames.ReadToken, LockNodeNames.WriteToken];
    private readonly ZooKeeperClient _client;
    private readonly ZooKeeperLockOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<HeldLock, byte> _held = new();
    private readonly Histogram<double> _acquireDuration;
    private readonly UpDownCounter<long> _heldCounter;
    private readonly Counter<long> _timeouts;

    /// <summary>Creates a provider on a client the caller owns.</summary>
    /// <param name="client">The client (not disposed by the provider).</param>
    /// <param name="options">The options; null for defaults.</param>
    /// <param name="loggerFactory">Logging; null for none.</param>
    /// <param name="meterFactory">Metrics; null for a provider-owned meter.</param>
    public ZooKeeperLockProvider(ZooKeeperClient client, ZooKeeperLockOptions? options = null, ILoggerFactory? loggerFactory = null, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _options = options ?? new ZooKeeperLockOptions();
        var rootError = ZkPath.GetError(_options.RootPath);
        if (rootError is not null)
        {
            throw new ArgumentException($"Invalid ZooKeeperLockOptions.RootPath '{_options.RootPath}': {rootError}", nameof(options));
        }

        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("ZkSync.Locks.ZooKeeperLockProvider");
        var meter = meterFactory?.Create(ZkSyncDiagnostics.SourceName, ZkSyncDiagnostics.Version) ?? new Meter(ZkSyncDiagnostics.SourceName, ZkSyncDiagnostics.Version);
        _acquireDuration = meter.CreateHistogram<double>("zksync.lock.acquire.duration", "s", "Time to acquire a lock, or to give up.");
        _heldCounter = meter.CreateUpDownCounter<long>("zksync.lock.held", "{lock}", "Locks held by this process.");
        _timeouts = meter.CreateCounter<long>("zksync.lock.timeouts", "{attempt}", "Lock attempts that timed out.");
    }

    /// <summary>The locks currently held through this provider (one handle per lock node).</summary>
    public IReadOnlyCollection<ZooKeeperLockHandle> HeldLocks => [.. _held.Keys.Select(h => new ZooKeeperLockHandle(h))];

    /// <summary>The znode path of a lock name (<c>orders/42</c> → <c>/zksync/locks/orders/42</c>); throws <see cref="ArgumentException"/> naming the rule for invalid names.</summary>
    /// <param name="name">The lock name.</param>
    /// <returns>The path.</returns>
    public string GetLockPath(string name) => LockNodeNames.LockPath(_options.RootPath, name);

    /// <summary>Acquires an exclusive lock, waiting in FIFO order up to <paramref name="timeout"/> (zero: try once).</summary>
    /// <param name="name">The lock name.</param>
    /// <param name="timeout">How long to wait; <see cref="TimeSpan.Zero"/> to try once; <see cref="Timeout.InfiniteTimeSpan"/> to wait forever.</param>
    /// <param name="cancellationToken">Cancels the wait; no node is left behind.</param>
    /// <returns>The handle, or null if the lock was not acquired in time.</returns>
    public ValueTask<ZooKeeperLockHandle?> TryAcquireAsync(string name, TimeSpan timeout = default, CancellationToken cancellationToken = default) =>
        TryAcquireAsync(name, new ZooKeeperLockRequest(), timeout, cancellationToken);

    /// <summary>Acquires an exclusive lock, waiting in FIFO order; throws <see cref="TimeoutException"/> when <paramref name="timeout"/> runs out.</summary>
    /// <param name="name">The lock name.</param>
    /// <param name="timeout">How long to wait; null to wait forever.</param>
    /// <param name="cancellationToken">Cancels the wait; no node is left behind.</param>
    /// <returns>The handle.</returns>
    public ValueTask<ZooKeeperLockHandle> AcquireAsync(string name, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        AcquireAsync(name, new ZooKeeperLockRequest(), timeout, cancellationToken);

    /// <summary>Acquires a lock as described by <paramref name="request"/> (mode, owner, TTL); null if not acquired within <paramref name="timeout"/>.</summary>
    /// <param name="name">The lock name.</param>
    /// <param name="request">Mode, owner and TTL.</param>
    /// <param name="timeout">How long to wait; <see cref="TimeSpan.Zero"/> to try once; <see cref="Timeout.InfiniteTimeSpan"/> to wait forever.</param>
    /// <param name="cancellationToken">Cancels the wait; no node is left behind.</param>
    /// <returns>The handle, or null.</returns>
    public async ValueTask<ZooKeeperLockHandle?> TryAcquireAsync(string name, ZooKeeperLockRequest request, TimeSpan timeout = default, CancellationToken cancellationToken = default) =>
        await AcquireCoreAsync(name, request, timeout, cancellationToken).ConfigureAwait(false);

    /// <summary>Acquires a lock as described by <paramref name="request"/>; throws <see cref="TimeoutException"/> when <paramref name="timeout"/> runs out.</summary>
    /// <param name="name">The lock name.</param>
    /// <param name="request">Mode, owner and TTL.</param>
    /// <param name="timeout">How long to wait; null to wait forever.</param>
    /// <param name="cancellationToken">Cancels the wait; no node is left behind.</param>
    /// <returns>The handle.</returns>
    public async ValueTask<ZooKeeperLockHandle> AcquireAsync(string name, ZooKeeperLockRequest request, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        await AcquireCoreAsync(name, request, timeout ?? Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false)
        ?? throw new TimeoutException($"Timed out after {timeout} waiting for the lock '{name}' ({GetLockPath(name)}).");

    /// <summary>Releases one hold of <paramref name="name"/> held by <paramref name="ownerId"/> through this provider.</summary>
    /// <param name="name">The lock name.</param>
    /// <param name="ownerId">The owner that acquired it.</param>
    /// <param name="cancellationToken">Abandons the wait.</param>
    /// <returns>A task that completes when released.</returns>
    /// <exception cref="InvalidOperationException">The lock is not held by <paramref name="ownerId"/> ("not the lock owner").</exception>
    public async ValueTask ReleaseAsync(string name, string ownerId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ownerId);
        cancellationToken.ThrowIfCancellationRequested();
        var held = _held.Keys.FirstOrDefault(h => h.Name == name && h.OwnerId == ownerId)
            ?? throw new InvalidOperationException($"Cannot release lock '{name}': '{ownerId}' is not the lock owner.");
        await held.ReleaseOneAsync().ConfigureAwait(false);
    }

    internal void Forget(HeldLock held)
    {
        if (_held.TryRemove(held, out _) && _heldCounter.Enabled)
        {
            _heldCounter.Add(-1);
        }
    }

    private async Task<ZooKeeperLockHandle?> AcquireCoreAsync(string name, ZooKeeperLockRequest request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var lockPath = GetLockPath(name);
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout must be zero or positive, or Timeout.InfiniteTimeSpan.");
        }

        if (request.Ttl is { } ttl && ttl <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(request), ttl, "ZooKeeperLockRequest.Ttl must be positive when set.");
        }

        if (request.OwnerId is { } owner && _held.Keys.FirstOrDefault(h => h.Name == name && h.OwnerId == owner) is { } existing)
        {
            if (_options.Reentrancy == LockReentrancy.Error)
            {
                throw new InvalidOperationException($"Owner '{owner}' already owns the lock '{name}'.");
            }

            if (existing.TryAddHold())
            {
                return new ZooKeeperLockHandle(existing);
            }
        }

        using var activity = ZkSyncDiagnostics.ActivitySource.StartActivity("zksync.lock.acquire");
        activity?.SetTag("zksync.lock.name", name);
        var started = Stopwatch.GetTimestamp();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout != Timeout.InfiniteTimeSpan && timeout > TimeSpan.Zero)
        {
            deadline.CancelAfter(timeout);
        }

        var (token, tokens, rule) = request.Mode switch
        {
            ZooKeeperLockMode.Exclusive => (LockNodeNames.MutexToken, MutexTokens, (SequentialNodeQueue.TurnRule)ExclusiveRule),
            ZooKeeperLockMode.Shared => (LockNodeNames.ReadToken, ReadWriteTokens, SharedRule),
            ZooKeeperLockMode.Write => (LockNodeNames.WriteToken, ReadWriteTokens, ExclusiveRule),
            _ => throw new ArgumentOutOfRangeException(nameof(request), request.Mode, "Unknown ZooKeeperLockMode."),
        };
        var data = NodeData(request);
        while (true)
        {
            SequentialNodeQueue.OwnNode? node = null;
            try
            {
                await _client.WaitForConnectedAsync(deadline.Token).ConfigureAwait(false);
                var (created, children) = await SequentialNodeQueue.CreateAsync(_client, lockPath, Guid.NewGuid(), token, data, _options.Acl, deadline.Token).ConfigureAwait(false);
                node = created;
                if (timeout == TimeSpan.Zero)
                {
                    // Try once: decide from the listing that came with the create.
                    var sorted = LockNodeNames.Sort(children, tokens);
                    var index = sorted.IndexOf(created.Name);
                    if (index < 0 || !rule(sorted, index).Holds)
                    {
                        await GiveUpAsync(created).ConfigureAwait(false);
                        Record(started, acquired: false);
                        return null;
                    }
                }
                else if (!await SequentialNodeQueue.WaitForTurnAsync(_client, lockPath, created, children, rule, tokens, deadline.Token).ConfigureAwait(false))
                {
                    continue; // Our node vanished (session expired or deleted): queue again at the end.
                }

                var connection = _client.ConnectionLostToken;
                if (connection.IsCancellationRequested || _client.Session.SessionId != created.Stat.EphemeralOwner)
                {
                    // Cut off while we were being granted: confirm from scratch once reconnected.
                    await GiveUpAsync(created).ConfigureAwait(false);
                    continue;
                }

                var held = new HeldLock(_client, this, name, lockPath, created, request.Mode, request.OwnerId, connection);
                _held.TryAdd(held, 0);
                if (_heldCounter.Enabled)
                {
                    _heldCounter.Add(1);
                }

                _ = held.WatchOwnNodeAsync();
                Record(started, acquired: true);
                Log.LockAcquired(_logger, name, request.Mode, created.Stat.Czxid);
                return new ZooKeeperLockHandle(held);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                if (node is { } timedOut)
                {
                    await GiveUpAsync(timedOut).ConfigureAwait(false);
                }

                Record(started, acquired: false);
                Log.LockTimedOut(_logger, name, timeout);
                return null;
            }
            catch
            {
                if (node is { } failed)
                {
                    await GiveUpAsync(failed).ConfigureAwait(false);
                }

                throw;
            }
        }
    }

    private Task GiveUpAsync(SequentialNodeQueue.OwnNode node) =>
        SequentialNodeQueue.DeleteAsync(_client, node.Path, node.Stat.EphemeralOwner, CancellationToken.None);

    private void Record(long started, bool acquired)
    {
        if (!acquired && _timeouts.Enabled)
        {
            _timeouts.Add(1);
        }

        if (_acquireDuration.Enabled)
        {
            _acquireDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("zksync.lock.acquired", acquired));
        }
    }

    private static ReadOnlyMemory<byte> NodeData(ZooKeeperLockRequest request)
    {
        if (request.OwnerId is null && request.Ttl is null)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("owner", request.OwnerId);
            json.WriteString("acquiredAt", DateTimeOffset.UtcNow);
            if (request.Ttl is { } ttl)
            {
                json.WriteNumber("ttlMs", (long)ttl.TotalMilliseconds);
            }

            json.WriteEndObject();
        }

        return buffer.WrittenMemory;
    }

    /// <summary>An exclusive (write) holder needs the lowest node; it watches its immediate predecessor.</summary>
    internal static (bool Holds, string? Watch) ExclusiveRule(IReadOnlyList<string> sorted, int ourIndex) =>
        ourIndex == 0 ? (true, null) : (false, sorted[ourIndex - 1]);

    /// <summary>
    /// A shared (read) holder needs no write node before it (Curator's <c>readLockPredicate</c>); it watches the nearest
    /// earlier write node, so only the writer that blocks it wakes it.
    /// </summary>
    internal static (bool Holds, string? Watch) SharedRule(IReadOnlyList<string> sorted, int ourIndex)
    {
        for (var i = ourIndex - 1; i >= 0; i--)
        {
            if (sorted[i].Contains(LockNodeNames.WriteToken, StringComparison.Ordinal))
            {
                return (false, sorted[i]);
            }
        }

        return (true, null);
    }
}
