using System.Diagnostics;
using System.Diagnostics.Metrics;
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
/// <b>Layout.</b> A lock name maps to a znode under <see cref="ZooKeeperLockOptions.RootPath"/>; the lock's parents are
/// CONTAINER nodes, created on demand and removed by the server once empty. Each contender creates an ephemeral
/// sequential child named as Curator does: <c>_c_&lt;uuid&gt;-lock-&lt;seq&gt;</c> for exclusive holds (or
/// <c>_c_&lt;uuid&gt;-__WRIT__&lt;seq&gt;</c>, see <see cref="ZooKeeperLockOptions.ExclusiveNodeFormat"/>) and
/// <c>_c_&lt;uuid&gt;-__READ__&lt;seq&gt;</c> for shared ones. The lowest holds; every waiter watches exactly one node
/// ahead of it (no herd effect); grants are strictly first come, first served, and readers never starve writers.
/// </para>
/// <para>
/// <b>Ordering.</b> Children are ordered like Curator orders them (by the sequence after the last token). Children that
/// are not lock nodes (a nested lock's container, another library's nodes) are ignored instead of blocking the queue.
/// After a parent's sequence counter overflows past 2^31−1 (ZooKeeper continues at −2147483648), ZkSync keeps the
/// creation order by reading the suffix as an unsigned number; Curator compares strings there, so only ZkSync peers stay
/// correct across an overflow (container parents reset the counter whenever they are reaped). For Curator interop
/// use one kind per path, as Curator requires: <c>InterProcessMutex</c> next to exclusive holds in the default format,
/// <c>InterProcessReadWriteLock</c> next to shared holds and <see cref="ExclusiveLockNodeFormat.WriteLock"/>.
/// </para>
/// <para>
/// <b>TTL.</b> With <see cref="ZooKeeperLockRequest.Ttl"/>, the holder's node records <c>ttlMs</c> and its lease runs
/// from the node's <c>mtime</c> (ZooKeeper's clock, written when the holder acquired): a contender waiting for that
/// holder deletes its node once the lease ran out, comparing against ZooKeeper's clock (its own node's ctime plus
/// local elapsed time), never against another machine's wall clock. Waiting nodes carry no lease. Holders without a TTL
/// are never evicted.
/// </para>
/// <para>
/// <b>Connection loss.</b> A create whose reply was lost is found again by its GUID; a node found after the session
/// changed is deleted, never adopted (CURATOR-498). While waiting, a connection loss is ridden out: the wait resumes on
/// reconnect with the same session (the node keeps its place), or starts over with a new node after session expiry.
/// The timeout also bounds waiting for a connection; if it runs out while disconnected, a <see cref="ZooKeeperException"/>
/// (ConnectionLoss) is thrown rather than reporting the lock as taken.
/// </para>
/// <para>
/// <b>Cancellation safety.</b> Timeouts and cancellation never leave a node behind: the waiter's node — also one whose
/// create is still in flight or whose create reply was lost — is deleted, inline while connected and otherwise in the
/// background, retried until the session ends.
/// </para>
/// <para>
/// <b>Owners.</b> With a <see cref="ZooKeeperLockRequest.OwnerId"/>, acquiring a lock that the same owner holds through
/// this provider is reentrant (one node, a hold count) or an error (<see cref="ZooKeeperLockOptions.Reentrancy"/>), and
/// <see cref="ReleaseAsync"/> refuses other owners. Owners are scoped to this provider instance; the owner id is also
/// written into the node's data for operators.
/// </para>
/// </remarks>
public sealed class ZooKeeperLockProvider
{
    private static readonly ZooKeeperLockRequest DefaultRequest = new();
    private readonly string _rootPath;
    private readonly LockReentrancy _reentrancy;
    private readonly ExclusiveLockNodeFormat _exclusiveFormat;
    private readonly ILogger _logger;
    private readonly LockMetrics _metrics;
    private readonly NodeCleaner _cleaner;
    private readonly LockAcquisition _acquisition;
    private readonly Lock _gate = new();
    private readonly Dictionary<OwnerKey, OwnerSlot> _owners = [];
    private readonly Dictionary<ZooKeeperLockHandle, long> _handles = [];
    private long _handleSequence;

    /// <summary>Creates a provider on a client the caller owns.</summary>
    /// <param name="client">The client (not disposed by the provider).</param>
    /// <param name="options">The options; null for defaults.</param>
    /// <param name="loggerFactory">Logging; null for none.</param>
    /// <param name="meterFactory">Metrics; null for a provider-owned meter.</param>
    /// <exception cref="ArgumentException">An option is invalid (the message names it).</exception>
    public ZooKeeperLockProvider(ZooKeeperClient client, ZooKeeperLockOptions? options = null, ILoggerFactory? loggerFactory = null, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        options ??= new ZooKeeperLockOptions();
        _rootPath = RecipeNames.ValidateRoot(options.RootPath, nameof(ZooKeeperLockOptions.RootPath));
        var acl = RecipeAcl.Validate(options.Acl, nameof(ZooKeeperLockOptions.Acl));
        if (!Enum.IsDefined(options.Reentrancy))
        {
            throw new ArgumentException($"Unknown Reentrancy {options.Reentrancy}.", nameof(ZooKeeperLockOptions.Reentrancy));
        }

        if (!Enum.IsDefined(options.ExclusiveNodeFormat))
        {
            throw new ArgumentException($"Unknown ExclusiveNodeFormat {options.ExclusiveNodeFormat}.", nameof(ZooKeeperLockOptions.ExclusiveNodeFormat));
        }

        _reentrancy = options.Reentrancy;
        _exclusiveFormat = options.ExclusiveNodeFormat;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("ZkSync.Locks.ZooKeeperLockProvider");
        _metrics = LockMetrics.Create(meterFactory);
        _cleaner = new NodeCleaner(client, _logger);
        _acquisition = new LockAcquisition(client, acl, _cleaner, _metrics, _logger);
    }

    /// <summary>The locks currently held through this provider.</summary>
    /// <remarks>A snapshot: handles not yet disposed whose <see cref="ZooKeeperLockHandle.Lost"/> has not fired.</remarks>
    public IReadOnlyCollection<ZooKeeperLockHandle> HeldLocks
    {
        get
        {
            lock (_gate)
            {
                return _handles.Keys.Where(h => !h.IsDisposed && !h.Lost.IsCancellationRequested).ToArray();
            }
        }
    }

    /// <summary>The znode path of a lock name (<c>orders/42</c> → <c>/zksync/locks/orders/42</c>); throws <see cref="ArgumentException"/> naming the rule for invalid names.</summary>
    /// <param name="name">The lock name.</param>
    /// <returns>The path.</returns>
    /// <remarks>
    /// A name is a relative path: not empty, no leading or trailing '/', no empty ('//'), '.' or '..' components, no
    /// component starting with '_c_' (reserved for lock nodes), no control, surrogate, private-use or special characters
    /// (ZooKeeper's path rules), and with <see cref="ZooKeeperLockOptions.RootPath"/> "/" nothing starting with
    /// <c>zookeeper</c>.
    /// </remarks>
    public string GetLockPath(string name) => RecipeNames.GetPath(_rootPath, name);

    /// <summary>Acquires an exclusive lock, waiting in FIFO order up to <paramref name="timeout"/> (zero: try once).</summary>
    /// <param name="name">The lock name.</param>
    /// <param name="timeout">How long to wait; <see cref="TimeSpan.Zero"/> to try once; <see cref="Timeout.InfiniteTimeSpan"/> to wait forever.</param>
    /// <param name="cancellationToken">Cancels the wait; no node is left behind.</param>
    /// <returns>The handle, or null if the lock was not acquired in time.</returns>
    /// <remarks>See <see cref="TryAcquireAsync(string, ZooKeeperLockRequest, TimeSpan, CancellationToken)"/>.</remarks>
    public ValueTask<ZooKeeperLockHandle?> TryAcquireAsync(string name, TimeSpan timeout = default, CancellationToken cancellationToken = default) =>
        TryAcquireAsync(name, DefaultRequest, timeout, cancellationToken);

    /// <summary>Acquires an exclusive lock, waiting in FIFO order; throws <see cref="TimeoutException"/> when <paramref name="timeout"/> runs out.</summary>
    /// <param name="name">The lock name.</param>
    /// <param name="timeout">How long to wait; null to wait forever.</param>
    /// <param name="cancellationToken">Cancels the wait; no node is left behind.</param>
    /// <returns>The handle.</returns>
    /// <remarks>See <see cref="TryAcquireAsync(string, ZooKeeperLockRequest, TimeSpan, CancellationToken)"/>.</remarks>
    public ValueTask<ZooKeeperLockHandle> AcquireAsync(string name, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        AcquireAsync(name, DefaultRequest, timeout, cancellationToken);

    /// <summary>Acquires a lock as described by <paramref name="request"/> (mode, owner, TTL); null if not acquired within <paramref name="timeout"/>.</summary>
    /// <param name="name">The lock name.</param>
    /// <param name="request">Mode, owner and TTL.</param>
    /// <param name="timeout">How long to wait; <see cref="TimeSpan.Zero"/> to try once; <see cref="Timeout.InfiniteTimeSpan"/> to wait forever.</param>
    /// <param name="cancellationToken">Cancels the wait; no node is left behind.</param>
    /// <returns>The handle, or null.</returns>
    /// <exception cref="ArgumentException">Invalid name, timeout or request.</exception>
    /// <exception cref="InvalidOperationException">The owner already holds the lock and <see cref="ZooKeeperLockOptions.Reentrancy"/>
    /// is <see cref="LockReentrancy.Error"/>; or the owner holds it shared and asks for exclusive (upgrades would deadlock).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ZooKeeperException">ZooKeeper refused (e.g. NoAuth); or ConnectionLoss: the client was not
    /// connected when the timeout ran out (at once, for a zero timeout), so whether the lock is free is unknown.</exception>
    /// <remarks>
    /// <para>
    /// Zero timeout: one round trip (create and list, pipelined), then the node is deleted again if the lock is taken.
    /// Otherwise the timeout covers waiting in line, waiting for a connection, and the round trips themselves.
    /// </para>
    /// <para>
    /// Connection loss while waiting keeps our place in line if the session survives; after session expiry the attempt
    /// queues again with a new node. Timeout and cancellation always delete our node (also when a create reply was
    /// lost), inline while connected, otherwise in the background until the session ends.
    /// </para>
    /// </remarks>
    public ValueTask<ZooKeeperLockHandle?> TryAcquireAsync(string name, ZooKeeperLockRequest request, TimeSpan timeout = default, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return AcquireCoreAsync(name, request, timeout, cancellationToken);
    }

    /// <summary>Acquires a lock as described by <paramref name="request"/>; throws <see cref="TimeoutException"/> when <paramref name="timeout"/> runs out.</summary>
    /// <param name="name">The lock name.</param>
    /// <param name="request">Mode, owner and TTL.</param>
    /// <param name="timeout">How long to wait; null to wait forever.</param>
    /// <param name="cancellationToken">Cancels the wait; no node is left behind.</param>
    /// <returns>The handle.</returns>
    /// <exception cref="TimeoutException">The lock was not acquired within <paramref name="timeout"/>.</exception>
    /// <remarks>Otherwise as <see cref="TryAcquireAsync(string, ZooKeeperLockRequest, TimeSpan, CancellationToken)"/>.</remarks>
    public async ValueTask<ZooKeeperLockHandle> AcquireAsync(string name, ZooKeeperLockRequest request, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var wait = timeout ?? Timeout.InfiniteTimeSpan;
        var handle = await AcquireCoreAsync(name, request, wait, cancellationToken).ConfigureAwait(false);
        return handle ?? throw new TimeoutException(
            $"Could not acquire the {LockHold.ModeTag(request.Mode)} lock '{name}' within {wait}: it is held by another contender.");
    }

    /// <summary>
    /// Releases one hold of <paramref name="ownerId"/> on <paramref name="name"/> (the most recently acquired handle),
    /// as if that handle were disposed.
    /// </summary>
    /// <param name="name">The lock name.</param>
    /// <param name="ownerId">The owner releasing the lock.</param>
    /// <param name="cancellationToken">Checked before releasing; the release itself is not abandoned.</param>
    /// <returns>A task that completes when released.</returns>
    /// <exception cref="InvalidOperationException">"Not the lock owner": <paramref name="ownerId"/> holds no handle on this lock through this provider.</exception>
    public async ValueTask ReleaseAsync(string name, string ownerId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ownerId);
        var path = GetLockPath(name);
        cancellationToken.ThrowIfCancellationRequested();
        ZooKeeperLockHandle? latest = null;
        string? other = null;
        lock (_gate)
        {
            var latestSequence = long.MinValue;
            foreach (var (handle, sequence) in _handles)
            {
                if (handle.LockPath != path || handle.IsDisposed)
                {
                    continue;
                }

                if (handle.OwnerId == ownerId)
                {
                    if (sequence > latestSequence)
                    {
                        latest = handle;
                        latestSequence = sequence;
                    }
                }
                else
                {
                    other = handle.OwnerId ?? "(anonymous)";
                }
            }
        }

        if (latest is null)
        {
            throw new InvalidOperationException(other is null
                ? $"Not the lock owner: '{ownerId}' does not hold lock '{name}' through this provider."
                : $"Not the lock owner: lock '{name}' is held by '{other}', not by '{ownerId}'.");
        }

        await latest.DisposeAsync().ConfigureAwait(false);
    }

    private async ValueTask<ZooKeeperLockHandle?> AcquireCoreAsync(string name, ZooKeeperLockRequest request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // Read the (mutable) request once.
        var mode = request.Mode;
        var ownerId = request.OwnerId;
        var ttl = request.Ttl;
        var path = GetLockPath(name);
        ValidateTimeout(timeout);
        Validate(mode, ownerId, ttl);
        var kind = mode == ZooKeeperLockMode.Shared ? LockNodeKind.Read
            : _exclusiveFormat == ExclusiveLockNodeFormat.WriteLock ? LockNodeKind.Write : LockNodeKind.Mutex;
        var metadata = request.Metadata is { Count: > 0 } published ? new Dictionary<string, string>(published, StringComparer.Ordinal) : null;
        var attempt = new LockAttempt(name, path, kind, mode, ownerId, ttl, Metadata: metadata);
        var start = Stopwatch.GetTimestamp();
        using var activity = StartActivity(attempt, timeout);
        var outcome = "error";
        try
        {
            var (handle, reentered) = ownerId is null
                ? (await AcquireNewAsync(attempt, timeout, start, cancellationToken).ConfigureAwait(false), false)
                : await AcquireOwnedAsync(attempt, ownerId, timeout, start, cancellationToken).ConfigureAwait(false);
            outcome = handle is null ? "timeout" : reentered ? "reentered" : "acquired";
            if (handle is not null && activity is not null)
            {
                activity.SetTag("zksync.lock.node", handle.NodePath);
                activity.SetTag("zksync.lock.fencing_token", handle.FencingToken);
            }

            return handle;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            outcome = "canceled";
            throw;
        }
        catch (Exception ex) when (activity is not null)
        {
            activity.SetStatus(ActivityStatusCode.Error, ex.Message);
            throw;
        }
        finally
        {
            activity?.SetTag("zksync.lock.outcome", outcome);
            _metrics.RecordAcquire(LockHold.ModeTag(mode), outcome, start);
            if (outcome is not ("acquired" or "reentered"))
            {
                Log.LockNotAcquired(_logger, mode, name, (long)Stopwatch.GetElapsedTime(start).TotalMilliseconds, outcome);
            }
        }
    }

    private async Task<(ZooKeeperLockHandle? Handle, bool Reentered)> AcquireOwnedAsync(LockAttempt attempt, string ownerId, TimeSpan timeout, long start, CancellationToken cancellationToken)
    {
        var key = new OwnerKey(attempt.LockPath, ownerId);
        OwnerSlot slot;
        lock (_gate)
        {
            if (!_owners.TryGetValue(key, out slot!))
            {
                slot = new OwnerSlot();
                _owners[key] = slot;
            }

            slot.Users++;
        }

        try
        {
            // One acquisition per owner and lock at a time, so a concurrent second call re-enters the first one's hold.
            if (!await slot.Gate.WaitAsync(timeout, cancellationToken).ConfigureAwait(false))
            {
                return (null, false);
            }

            try
            {
                if (slot.Hold is { } hold && !hold.LostToken.IsCancellationRequested)
                {
                    if (_reentrancy == LockReentrancy.Error)
                    {
                        throw new InvalidOperationException($"Owner '{ownerId}' already owns lock '{attempt.Name}' (Reentrancy is Error).");
                    }

                    if (hold.Mode == ZooKeeperLockMode.Shared && attempt.Mode == ZooKeeperLockMode.Exclusive)
                    {
                        throw new InvalidOperationException(
                            $"Owner '{ownerId}' holds lock '{attempt.Name}' shared and cannot re-enter it exclusive: upgrading a read lock would deadlock.");
                    }

                    var reentered = CreateHandle(hold);
                    if (reentered is not null)
                    {
                        Log.LockReentered(_logger, ownerId, attempt.Name, hold.HandleCount);
                        return (reentered, true);
                    }
                }

                var handle = await AcquireNewAsync(attempt, Remaining(timeout, start), start, cancellationToken).ConfigureAwait(false);
                if (handle is not null)
                {
                    lock (_gate)
                    {
                        slot.Hold = handle.Hold;
                    }
                }

                return (handle, false);
            }
            finally
            {
                slot.Gate.Release();
            }
        }
        finally
        {
            lock (_gate)
            {
                if (--slot.Users == 0 && (slot.Hold is null || slot.Hold.IsEnded))
                {
                    _owners.Remove(key);
                }
            }
        }
    }

    private async Task<ZooKeeperLockHandle?> AcquireNewAsync(LockAttempt attempt, TimeSpan timeout, long start, CancellationToken cancellationToken)
    {
        var node = await _acquisition.AcquireAsync(attempt, timeout, cancellationToken).ConfigureAwait(false);
        if (node is null)
        {
            return null;
        }

        var hold = new LockHold(attempt, node, _cleaner, _metrics, _logger, OnHoldEnded);
        Log.LockAcquired(_logger, attempt.Mode, attempt.Name, node.Entry.Path, hold.FencingToken, (long)Stopwatch.GetElapsedTime(start).TotalMilliseconds);

        // A hold lost in the instant since it was confirmed still gets its handle; Lost has fired on it.
        hold.AddFirstHandle();
        return Register(new ZooKeeperLockHandle(hold, ReleaseHandleAsync));
    }

    private ZooKeeperLockHandle? CreateHandle(LockHold hold) =>
        hold.TryAddHandle() ? Register(new ZooKeeperLockHandle(hold, ReleaseHandleAsync)) : null;

    private ZooKeeperLockHandle Register(ZooKeeperLockHandle handle)
    {
        lock (_gate)
        {
            _handles[handle] = ++_handleSequence;
        }

        return handle;
    }

    private ValueTask ReleaseHandleAsync(ZooKeeperLockHandle handle)
    {
        lock (_gate)
        {
            _handles.Remove(handle);
        }

        return handle.Hold.ReleaseHandleAsync();
    }

    private void OnHoldEnded(LockHold hold)
    {
        if (hold.OwnerId is null)
        {
            return;
        }

        lock (_gate)
        {
            var key = new OwnerKey(hold.LockPath, hold.OwnerId);
            if (_owners.TryGetValue(key, out var slot) && slot.Hold == hold)
            {
                slot.Hold = null;
                if (slot.Users == 0)
                {
                    _owners.Remove(key);
                }
            }
        }
    }

    private static TimeSpan Remaining(TimeSpan timeout, long start)
    {
        if (timeout == Timeout.InfiniteTimeSpan || timeout == TimeSpan.Zero)
        {
            return timeout;
        }

        var left = timeout - Stopwatch.GetElapsedTime(start);
        return left > TimeSpan.Zero ? left : TimeSpan.FromTicks(1);
    }

    private static void ValidateTimeout(TimeSpan timeout)
    {
        if (timeout != Timeout.InfiniteTimeSpan && (timeout < TimeSpan.Zero || timeout.TotalMilliseconds > int.MaxValue))
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout,
                "The timeout must be zero (try once), positive up to int.MaxValue ms, or Timeout.InfiniteTimeSpan.");
        }
    }

    private static void Validate(ZooKeeperLockMode mode, string? ownerId, TimeSpan? ttl)
    {
        if (!Enum.IsDefined(mode))
        {
            throw new ArgumentException($"Unknown lock mode {mode}.", "request");
        }

        if (ownerId is not null && string.IsNullOrWhiteSpace(ownerId))
        {
            throw new ArgumentException("OwnerId must not be empty or white space; use null for an anonymous hold.", "request");
        }

        if (ttl is { } value && (value < TimeSpan.FromMilliseconds(1) || value.TotalMilliseconds > int.MaxValue))
        {
            throw new ArgumentException($"Ttl must be at least 1 ms and at most int.MaxValue ms (was {value}); use null for no lease.", "request");
        }
    }

    private static Activity? StartActivity(LockAttempt attempt, TimeSpan timeout)
    {
        if (!ZkSyncDiagnostics.ActivitySource.HasListeners())
        {
            return null;
        }

        var activity = ZkSyncDiagnostics.ActivitySource.StartActivity("zksync.lock.acquire");
        if (activity is not null)
        {
            activity.SetTag("zksync.lock.name", attempt.Name);
            activity.SetTag("zksync.lock.path", attempt.LockPath);
            activity.SetTag("zksync.lock.mode", LockHold.ModeTag(attempt.Mode));
            activity.SetTag("zksync.lock.timeout_ms", timeout == Timeout.InfiniteTimeSpan ? -1 : (long)timeout.TotalMilliseconds);
        }

        return activity;
    }

    private readonly record struct OwnerKey(string LockPath, string OwnerId);

    private sealed class OwnerSlot
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public int Users { get; set; }

        public LockHold? Hold { get; set; }
    }
}
