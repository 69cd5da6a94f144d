using System.Collections.Concurrent;
using System.Diagnostics;
using ZkSync.Client.Internal;

namespace ZkSync.Client;

/// <summary>
/// The watchdog: one dedicated thread per client that decides when the connection can no longer be trusted, sends
/// pings, fails requests past their deadline and cancels <see cref="ConnectionLostToken"/>s. It never waits for the
/// thread pool, so an application that starves the pool (sync over async) still sees Lost on time.
/// </summary>
/// <remarks>
/// <para>
/// The trust rule. ZooKeeper expires a session no earlier than the session timeout T after the last packet of the
/// session it <em>received</em>. The client cannot see that moment, but every reply proves the server received the
/// request it answers, which was sent at a time the client knows: <see cref="ZkConnection.LastAcknowledged"/>. So the
/// client trusts a connection until LastAcknowledged + 2/3·T and suspends it then (cancelling every
/// ConnectionLostToken, and so Lost and Revoked), which is at least T/3 before the server can expire the session.
/// Notifications, which the server sends unasked, never extend the trust: under a one-way partition (the client's
/// packets dropped, the server's delivered) they keep arriving while the server counts down to expiry.
/// </para>
/// <para>
/// Pings go out whenever nothing has been acknowledged for min(T/3, 10 s), busy or idle, so a healthy connection keeps
/// a margin of about T/3 minus one round trip. Times are <see cref="Stopwatch"/> timestamps (CLOCK_MONOTONIC on Linux).
/// </para>
/// </remarks>
public sealed partial class ZooKeeperClient
{
    [ThreadStatic]
    private static bool t_onWatchdog;

    private readonly ConcurrentQueue<CancellationTokenSource> _toCancel = new();
    private readonly AutoResetEvent _wake = new(initialState: false);
    private readonly TaskCompletionSource _watchdogExited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _watchdogStopping;
    private long _lastWatchdogFailureLog = long.MinValue;

    /// <summary>
    /// True while connected and the newest acknowledged request or ping was sent less than a ping interval
    /// (min(T/3, 10 s)) ago: the connection is then trusted for at least another T/3. A recipe that would act on a
    /// notification alone (a direct lock hand-off) confirms with a round trip when this is false.
    /// </summary>
    internal bool IsAcknowledgementFresh =>
        Volatile.Read(ref _trusted) is { } connection && _negotiatedTimeoutMs is var timeout and > 0
        && Stopwatch.GetElapsedTime(connection.LastAcknowledged) < TimeSpan.FromMilliseconds(Math.Min(timeout / 3, 10_000));

    private int WatchdogTickMs => Math.Clamp(_requestedTimeoutMs / 30, 20, 250);

    private void StartWatchdog() => new Thread(RunWatchdog) { IsBackground = true, Name = "ZkSync watchdog" }.Start();

    private void RunWatchdog()
    {
        t_onWatchdog = true;
        try
        {
            while (!_watchdogStopping)
            {
                int waitMs;
                try
                {
                    waitMs = WatchdogTick();
                }
#pragma warning disable CA1031 // The watchdog must outlive anything one tick throws (F16), or Lost would depend on TCP alone.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    ReportWatchdogFailure(ex);
                    waitMs = WatchdogTickMs;
                }

                _wake.WaitOne(waitMs);
            }

            CancelQueued();
        }
        finally
        {
            _watchdogExited.TrySetResult();
        }
    }

    /// <summary>One pass; returns how long to sleep (woken early by <see cref="CancelOnWatchdog"/>).</summary>
    private int WatchdogTick()
    {
        CancelQueued();
        FailOverdueRequests();
        var next = WatchdogTickMs;
        var connection = Volatile.Read(ref _trusted);
        var timeout = _negotiatedTimeoutMs;
        if (connection is null || timeout <= 0)
        {
            return next;
        }

        var age = Stopwatch.GetElapsedTime(connection.LastAcknowledged);
        var trust = TimeSpan.FromMilliseconds(timeout * 2 / 3);
        if (age >= trust)
        {
            var reason = FormattableString.Invariant(
                $"Nothing sent to {connection.Server} in the last {(long)age.TotalMilliseconds} ms was acknowledged (the limit is 2/3 of the {timeout} ms session timeout).");
            SetState(ZooKeeperSessionState.Suspended, onlyIfTrusted: connection);
            connection.Abort(new TimeoutException(reason));
            return next;
        }

        next = Math.Min(next, CeilingMs(trust - age));
        var pingInterval = TimeSpan.FromMilliseconds(Math.Min(timeout / 3, 10_000));
        if (age < pingInterval)
        {
            next = Math.Min(next, CeilingMs(pingInterval - age));
        }
        else if (!connection.PingOutstanding && !connection.PingQueued)
        {
            connection.PingQueued = true;
            _outgoing.Writer.TryWrite(new PingRequest());
        }

        return Math.Max(1, next);
    }

    private static int CeilingMs(TimeSpan span) => (int)Math.Ceiling(span.TotalMilliseconds);

    /// <summary>Request deadlines: requests share one timeout, so deadlines are in submission order.</summary>
    private void FailOverdueRequests()
    {
        var now = Environment.TickCount64;
        while (_deadlines.TryPeek(out var head) && (head.IsCompleted || head.Deadline <= now))
        {
            _deadlines.TryDequeue(out _);
            if (!head.IsCompleted)
            {
                head.Fail(new ZooKeeperException(ZooKeeperErrorCode.RequestTimeout, head.Path,
                    FormattableString.Invariant($"The {OpName(head.OpCode)} request did not complete within the request timeout of {_options.RequestTimeout.TotalMilliseconds} ms; its outcome is unknown.")));
            }
        }
    }

    /// <summary>
    /// Cancels a connection's token on the watchdog thread: at once when called there, else as soon as it wakes (it is
    /// signalled). Either way the callbacks (Lost of every lock of that connection) run on a thread the application's
    /// work cannot starve, and never on the socket loop.
    /// </summary>
    private void CancelOnWatchdog(CancellationTokenSource cts)
    {
        if (t_onWatchdog || _watchdogExited.Task.IsCompleted)
        {
            CancelNow(cts);
            return;
        }

        _toCancel.Enqueue(cts);
        try
        {
            _wake.Set();
        }
        catch (ObjectDisposedException)
        {
            CancelQueued(); // the watchdog has just stopped (disposal): cancel here
        }
    }

    private void CancelQueued()
    {
        while (_toCancel.TryDequeue(out var cts))
        {
            CancelNow(cts);
        }
    }

    private void CancelNow(CancellationTokenSource cts)
    {
        try
        {
            cts.Cancel();
        }
#pragma warning disable CA1031 // Callbacks registered by users must not break the client.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.EventHandlerFailed(_logger, ex);
        }
        finally
        {
            cts.Dispose();
        }
    }

    private void ReportWatchdogFailure(Exception exception)
    {
        // At most one report a minute: a tick that keeps failing must not flood the log.
        var now = Environment.TickCount64;
        if (now - Interlocked.Read(ref _lastWatchdogFailureLog) >= 60_000)
        {
            Interlocked.Exchange(ref _lastWatchdogFailureLog, now);
            Log.WatchdogFailed(_logger, exception);
        }
    }

    private async Task StopWatchdogAsync()
    {
        _watchdogStopping = true;
        _wake.Set();
        try
        {
            // Bounded: a user callback blocking the watchdog must not hang disposal.
            await _watchdogExited.Task.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return; // The thread still uses _wake; it is a background thread and exits after the callback.
        }

        CancelQueued();
        _wake.Dispose();
    }
}
