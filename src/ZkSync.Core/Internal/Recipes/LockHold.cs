using System.Diagnostics;
using Microsoft.Extensions.Logging;
using ZkSync.Locks;

namespace ZkSync.Internal.Recipes;

/// <summary>
/// One held lock node, shared by the handles of a reentrant owner: counts the handles, fires <see cref="LostToken"/>
/// when the hold can no longer be trusted, and deletes the node when the last handle is disposed.
/// </summary>
internal sealed class LockHold
{
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _lost = new();
    private readonly OwnNodeMonitor _monitor;
    private readonly NodeCleaner _cleaner;
    private readonly LockMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Action<LockHold> _onEnded;
    private readonly string _noun;
    private readonly long _acquiredTimestamp = Stopwatch.GetTimestamp();
    private readonly CancellationTokenRegistration _connectionRegistration;
    private readonly List<CancellationTokenSource> _dependents = [];
    private int _handles;
    private bool _ended;
    private bool _lostReported;

    /// <summary>Starts the hold.</summary>
    /// <param name="attempt">What was acquired.</param>
    /// <param name="node">The held node.</param>
    /// <param name="cleaner">Deletes the node on release.</param>
    /// <param name="metrics">The recipe family's instruments.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="onEnded">Called once when the last handle is released.</param>
    /// <param name="noun">What the hold is called in logs: <c>lock</c>, <c>leadership</c>, <c>semaphore lease</c>.</param>
    public LockHold(LockAttempt attempt, AcquiredNode node, NodeCleaner cleaner, LockMetrics metrics, ILogger logger, Action<LockHold> onEnded, string noun = "lock")
    {
        _noun = noun;
        Name = attempt.Name;
        LockPath = attempt.LockPath;
        Mode = attempt.Mode;
        OwnerId = attempt.OwnerId;
        NodePath = node.Entry.Path;
        FencingToken = node.Entry.Stat.Czxid;
        AcquiredAt = DateTimeOffset.UtcNow;
        LostToken = _lost.Token;
        _monitor = node.Monitor;
        _cleaner = cleaner;
        _metrics = metrics;
        _logger = logger;
        _onEnded = onEnded;
        if (_metrics.Held.Enabled)
        {
            _metrics.Held.Add(1, _metrics.Mode(ModeTag(Mode)));
        }

        // Last: either may run at once (already cancelled / already gone).
        _connectionRegistration = node.Connection.UnsafeRegister(static state =>
            ((LockHold)state!).OnLost("connection", "the connection to ZooKeeper was lost (suspended, expired or closed)"), this);
        _ = _monitor.Gone.ContinueWith(static (gone, state) => ((LockHold)state!).OnLost(
                gone.Result == NodeGoneReason.Deleted ? "node_deleted" : "session",
                gone.Result == NodeGoneReason.Deleted ? "its node was deleted (by someone else, or evicted when its TTL ran out)" : "its session ended"),
            this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public string Name { get; }

    public string LockPath { get; }

    public string NodePath { get; }

    public ZooKeeperLockMode Mode { get; }

    public string? OwnerId { get; }

    public long FencingToken { get; }

    public DateTimeOffset AcquiredAt { get; }

    /// <summary>Cancelled when the hold can no longer be trusted or was released.</summary>
    public CancellationToken LostToken { get; }

    public int HandleCount
    {
        get
        {
            lock (_gate)
            {
                return _handles;
            }
        }
    }

    /// <summary>True once the last handle was released.</summary>
    public bool IsEnded
    {
        get
        {
            lock (_gate)
            {
                return _ended;
            }
        }
    }

    public static string ModeTag(ZooKeeperLockMode mode) => mode == ZooKeeperLockMode.Shared ? "shared" : "exclusive";

    /// <summary>Counts the handle of the acquisition that created the hold (even if it was lost in the meantime: Lost has fired on it).</summary>
    public void AddFirstHandle()
    {
        lock (_gate)
        {
            _handles++;
        }
    }

    /// <summary>Counts one more handle; false when the hold has ended or is lost (then it must not be re-entered).</summary>
    public bool TryAddHandle()
    {
        lock (_gate)
        {
            if (_ended || _lost.IsCancellationRequested)
            {
                return false;
            }

            _handles++;
            return true;
        }
    }

    /// <summary>Releases one handle; the last one deletes the node.</summary>
    /// <returns>A task that completes when released (or the deletion continues in the background after a connection loss).</returns>
    public async ValueTask ReleaseHandleAsync()
    {
        lock (_gate)
        {
            if (_ended || --_handles > 0)
            {
                return;
            }

            _ended = true;
        }

        _connectionRegistration.Dispose();
        _monitor.Stop();
        _onEnded(this);
        CancelLost();
        await _cleaner.DeleteWhileConnectedAsync(NodePath).ConfigureAwait(false);
        var held = Stopwatch.GetElapsedTime(_acquiredTimestamp);
        var mode = _metrics.Mode(ModeTag(Mode));
        if (_metrics.Held.Enabled)
        {
            _metrics.Held.Add(-1, mode);
        }

        if (_metrics.HoldDuration.Enabled)
        {
            _metrics.HoldDuration.Record(held.TotalSeconds, mode);
        }

        Log.LockReleased(_logger, _noun, Name, NodePath, (long)held.TotalMilliseconds);
    }

    private void OnLost(string tag, string reason)
    {
        lock (_gate)
        {
            if (_ended || _lostReported)
            {
                return;
            }

            _lostReported = true;
        }

        Log.LockLost(_logger, _noun, Name, NodePath, reason);
        if (_metrics.Lost.Enabled)
        {
            _metrics.Lost.Add(1, _metrics.LostReason(tag));
        }

        CancelLost();
    }

    /// <summary>
    /// Makes <paramref name="dependent"/> (a handle's Lost) cancel together with <see cref="LostToken"/>, with its flag
    /// set on the same thread at the same moment (a linked token source would only follow through a callback, i.e. on
    /// a starved thread pool, late). Cancelled at once when the hold is already lost or ended.
    /// </summary>
    public void AddDependent(CancellationTokenSource dependent)
    {
        lock (_gate)
        {
            if (!_lost.IsCancellationRequested)
            {
                _dependents.Add(dependent);
                return;
            }
        }

        CancelAsyncObserved(dependent);
    }

    /// <summary>Stops cancelling <paramref name="dependent"/> (before it is disposed).</summary>
    public void RemoveDependent(CancellationTokenSource dependent)
    {
        lock (_gate)
        {
            _dependents.Remove(dependent);
        }
    }

    /// <summary>
    /// Cancels <see cref="LostToken"/> and the handles' tokens: every flag is set before this returns, on the calling
    /// thread (the client's watchdog when the connection was lost); their callbacks run on the thread pool, never on the
    /// client's threads.
    /// </summary>
    private void CancelLost()
    {
        CancellationTokenSource[] dependents;
        lock (_gate)
        {
            dependents = [.. _dependents];
            _dependents.Clear();
            CancelAsyncObserved(_lost);
        }

        foreach (var dependent in dependents)
        {
            CancelAsyncObserved(dependent);
        }
    }

    private void CancelAsyncObserved(CancellationTokenSource source)
    {
        Task cancelled;
        try
        {
            cancelled = source.CancelAsync();
        }
        catch (ObjectDisposedException)
        {
            return; // a handle disposed meanwhile: nothing listens any more
        }

        _ = cancelled.ContinueWith(static (task, state) => Log.EventHandlerFailed((ILogger)state!, task.Exception!),
            _logger, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }
}
