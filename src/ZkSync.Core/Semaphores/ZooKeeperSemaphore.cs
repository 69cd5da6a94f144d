using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ZkSync.Client;
using ZkSync.Internal.Recipes;
using ZkSync.Locks;

namespace ZkSync.Semaphores;

/// <summary>
/// A distributed counting semaphore: at most <see cref="MaxLeases"/> leases of one name exist at a time across all
/// processes. Wire-compatible with Apache Curator's <c>InterProcessSemaphoreV2</c>.
/// </summary>
/// <remarks>
/// <para>
/// <b>Protocol</b> (Curator <c>InterProcessSemaphoreV2</c>): under the semaphore's znode, <c>locks/</c> holds a fair
/// mutex (<c>_c_&lt;uuid&gt;-lock-&lt;seq&gt;</c>) and <c>leases/</c> the lease nodes
/// (<c>_c_&lt;uuid&gt;-lease-&lt;seq&gt;</c>, ephemeral sequential). An acquirer takes the mutex, creates its lease node and
/// lists <c>leases/</c> with a watch; it holds a lease when the count is at most <see cref="MaxLeases"/>, else it waits
/// for the count to change, still holding the mutex, so waiters are served in order and only one of them watches the
/// leases. The mutex is released as soon as the lease is obtained or the attempt gives up.
/// </para>
/// <para>
/// Every participant must use the same <see cref="MaxLeases"/> (as with Curator, it is not checked across processes).
/// Timeouts and cancellation delete the waiter's nodes, also ones whose create reply was lost to a connection drop.
/// Parents are container nodes, so unused semaphores leave nothing behind.
/// </para>
/// </remarks>
public sealed class ZooKeeperSemaphore
{
    private readonly ZooKeeperClient _client;
    private readonly string _locksPath;
    private readonly string _leasesPath;
    private readonly ILogger _logger;
    private readonly LockMetrics _metrics;
    private readonly NodeCleaner _cleaner;
    private readonly LockAcquisition _acquisition;

    /// <summary>Creates a semaphore on a client the caller owns.</summary>
    /// <param name="client">The client (not disposed by the semaphore).</param>
    /// <param name="name">The semaphore's name, a relative path such as <c>exports</c>.</param>
    /// <param name="maxLeases">How many leases may exist at once (at least 1).</param>
    /// <param name="options">The options; null for defaults.</param>
    /// <param name="loggerFactory">Logging; null for none.</param>
    /// <param name="meterFactory">Metrics (<c>zksync.semaphore.*</c>); null for a process-wide meter.</param>
    /// <exception cref="ArgumentException">The name or an option is invalid (the message names the rule).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLeases"/> is less than 1.</exception>
    public ZooKeeperSemaphore(ZooKeeperClient client, string name, int maxLeases, ZooKeeperSemaphoreOptions? options = null,
        ILoggerFactory? loggerFactory = null, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLeases, 1);
        options ??= new ZooKeeperSemaphoreOptions();
        var root = RecipeNames.ValidateRoot(options.RootPath, nameof(ZooKeeperSemaphoreOptions.RootPath));
        Path = RecipeNames.GetPath(root, name);
        Name = name;
        MaxLeases = maxLeases;
        _locksPath = Path + "/locks";
        _leasesPath = Path + "/leases";
        _client = client;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("ZkSync.Semaphores.ZooKeeperSemaphore");
        _metrics = LockMetrics.Create(meterFactory, LockMetrics.Semaphores);
        _cleaner = new NodeCleaner(client, _logger);
        _acquisition = new LockAcquisition(client, acl: null, _cleaner, _metrics, _logger);
    }

    /// <summary>The semaphore's name.</summary>
    public string Name { get; }

    /// <summary>The semaphore's znode, e.g. <c>/zksync/semaphores/exports</c>.</summary>
    public string Path { get; }

    /// <summary>How many leases may exist at once.</summary>
    public int MaxLeases { get; }

    /// <summary>Takes a lease, waiting up to <paramref name="timeout"/>; null when none became free in time.</summary>
    /// <param name="timeout">Zero (the default): decide on one look; <see cref="Timeout.InfiniteTimeSpan"/>: wait until one is free.</param>
    /// <param name="cancellationToken">Abandons the attempt (its nodes are deleted).</param>
    /// <returns>The lease, or null.</returns>
    /// <exception cref="ZooKeeperException">A non-transient failure, or no connection when the timeout ran out.</exception>
    public async Task<ZooKeeperSemaphoreLease?> TryAcquireAsync(TimeSpan timeout = default, CancellationToken cancellationToken = default)
    {
        if (timeout != Timeout.InfiniteTimeSpan && (timeout < TimeSpan.Zero || timeout.TotalMilliseconds > int.MaxValue))
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout,
                "The timeout must be zero (try once), positive up to int.MaxValue ms, or Timeout.InfiniteTimeSpan.");
        }

        var start = Stopwatch.GetTimestamp();
        using var activity = ZkSyncDiagnostics.ActivitySource.StartActivity("zksync.semaphore.acquire");
        activity?.SetTag("zksync.semaphore.path", Path);
        var outcome = "error";
        try
        {
            var lease = await AcquireCoreAsync(timeout, start, cancellationToken).ConfigureAwait(false);
            outcome = lease is null ? "timeout" : "acquired";
            return lease;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            outcome = "canceled";
            throw;
        }
        finally
        {
            activity?.SetTag("zksync.semaphore.outcome", outcome);
            _metrics.RecordAcquire("lease", outcome, start);
        }
    }

    /// <summary>Takes a lease, waiting up to <paramref name="timeout"/>.</summary>
    /// <param name="timeout">How long to wait; null waits until a lease is free.</param>
    /// <param name="cancellationToken">Abandons the attempt (its nodes are deleted).</param>
    /// <returns>The lease.</returns>
    /// <exception cref="TimeoutException">No lease became free within <paramref name="timeout"/>.</exception>
    /// <exception cref="ZooKeeperException">A non-transient failure, or no connection when the timeout ran out.</exception>
    public async Task<ZooKeeperSemaphoreLease> AcquireAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        await TryAcquireAsync(timeout ?? Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false)
            ?? throw new TimeoutException($"No lease of semaphore '{Name}' ({Path}, {MaxLeases} leases) became free within {timeout}.");

    /// <summary>The number of lease nodes that exist now (holders, and at most one acquirer still counting).</summary>
    /// <param name="cancellationToken">Abandons the wait.</param>
    /// <returns>The count.</returns>
    public async Task<int> GetLeaseCountAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return (await _client.GetChildrenAsync(_leasesPath, cancellationToken: cancellationToken).ConfigureAwait(false)).Count;
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
        {
            return 0;
        }
    }

    private async Task<ZooKeeperSemaphoreLease?> AcquireCoreAsync(TimeSpan timeout, long start, CancellationToken cancellationToken)
    {
        while (true)
        {
            var left = Remaining(timeout, start);
            var mutexAttempt = new LockAttempt(Name, _locksPath, LockNodeKind.Mutex, ZooKeeperLockMode.Exclusive, null, null);
            var mutex = await _acquisition.AcquireAsync(mutexAttempt, left, cancellationToken).ConfigureAwait(false);
            if (mutex is null)
            {
                return null;
            }

            try
            {
                return await TakeLeaseAsync(Remaining(timeout, start), cancellationToken).ConfigureAwait(false);
            }
            catch (ZooKeeperException ex) when (ex.IsTransient || ex.Code is ZooKeeperErrorCode.SessionExpired or ZooKeeperErrorCode.NoNode)
            {
                // Connection lost (or our lease node vanished) while counting: start over once connected.
                Log.SemaphoreRetry(_logger, Path, ex.Code);
            }
            finally
            {
                mutex.Monitor.Stop();
                await _cleaner.DeleteWhileConnectedAsync(mutex.Entry.Path).ConfigureAwait(false);
            }

            using var wait = timeout == Timeout.InfiniteTimeSpan ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait?.CancelAfter(Remaining(timeout, start));
            try
            {
                await _client.WaitForConnectedAsync(wait?.Token ?? cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new ZooKeeperException(ZooKeeperErrorCode.ConnectionLoss, Path,
                    $"Could not acquire a lease of semaphore '{Name}': no ZooKeeper connection before the timeout of {timeout} ran out.");
            }
        }
    }

    /// <summary>With the mutex held: create our lease node and wait until the lease count allows it.</summary>
    private async Task<ZooKeeperSemaphoreLease?> TakeLeaseAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = timeout == Timeout.InfiniteTimeSpan ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline?.CancelAfter(timeout);
        var waitToken = deadline?.Token ?? cancellationToken;
        var requestToken = timeout == TimeSpan.Zero ? cancellationToken : waitToken;
        var queue = new SequentialNodeQueue(_client, _leasesPath, null, _cleaner, _logger);
        QueueEntry? entry = null;
        OwnNodeMonitor? monitor = null;
        var taken = false;
        try
        {
            var entered = await queue.EnterAsync("lease-", LockNodeData.Encode(null, DateTimeOffset.UtcNow, null), createParent: false, requestToken, waitToken).ConfigureAwait(false);
            entry = entered.Entry;
            monitor = new OwnNodeMonitor(_client, entry.Path, entry.SessionId);
            monitor.Start();
            while (true)
            {
                var changed = new TaskCompletionSource<ZooKeeperWatchEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
                var leases = await _client.GetChildrenAsync(_leasesPath, e => changed.TrySetResult(e), requestToken).ConfigureAwait(false);
                if (monitor.IsGone || !leases.Contains(entry.Name))
                {
                    throw new ZooKeeperException(ZooKeeperErrorCode.NoNode, entry.Path, "The lease node vanished while waiting for a lease (deleted, or its session ended).");
                }

                if (leases.Count <= MaxLeases)
                {
                    var connection = _client.ConnectionLostToken;
                    if (connection.IsCancellationRequested || _client.Session.SessionId != entry.SessionId)
                    {
                        throw new ZooKeeperException(ZooKeeperErrorCode.ConnectionLoss, entry.Path, "The connection was lost while taking the lease.");
                    }

                    var attempt = new LockAttempt(Name, _leasesPath, LockNodeKind.Mutex, ZooKeeperLockMode.Exclusive, null, null);
                    var hold = new LockHold(attempt, new AcquiredNode(entry, monitor, connection), _cleaner, _metrics, _logger, static _ => { }, "semaphore lease");
                    hold.AddFirstHandle();
                    taken = true;
                    Log.LeaseAcquired(_logger, Name, entry.Path, leases.Count, MaxLeases);
                    return new ZooKeeperSemaphoreLease(hold);
                }

                if (timeout == TimeSpan.Zero)
                {
                    return null;
                }

                await Task.WhenAny(changed.Task, monitor.Gone).WaitAsync(waitToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && deadline is { IsCancellationRequested: true })
        {
            return null;
        }
        finally
        {
            if (!taken && entry is not null)
            {
                monitor?.Stop();
                await _cleaner.DeleteWhileConnectedAsync(entry.Path).ConfigureAwait(false);
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
}
