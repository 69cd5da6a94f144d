using Microsoft.Extensions.Logging;

namespace ZkSync.Client.Internal;

/// <summary>
/// How long the session loop waits between connection attempts that fail in a row: exponential with jitter, capped.
/// </summary>
/// <remarks>
/// After the n-th failure in a row, with h hosts in the connection string, the wait is a random value in [d/2, d] with
/// d = min(cap, 100 ms × 2^((n−1) div h)): it doubles once per round of the ensemble's hosts, not once per host, so the
/// next host is always tried soon (50–100 ms after each failure of the first round, 100–200 ms in the second …) and a
/// client is back soon after an election ends (the reconnect storm of issue #20: with a doubling per host, the wait had
/// reached seconds by the time a 3-member ensemble elected its leader). Up to 2.5–5 s once the whole ensemble has been
/// unreachable for a while (under 1,500 attempts an hour, and one warning a minute).
/// While a session is still alive the cap is a quarter of its timeout, so that several attempts fit before it would
/// expire, and a wait never runs past the session's local expiry. A connection that dies before it has lived one ping
/// interval (a third of the session timeout, at most 10 s) counts as a failure too, so that a server that accepts the
/// handshake and then closes cannot make a tight loop.
/// </remarks>
internal static class ReconnectBackoff
{
    /// <summary>The wait after the first failure is between half of this and this.</summary>
    public const int FirstDelayMs = 100;

    /// <summary>The largest wait between two attempts.</summary>
    public const int MaxDelayMs = 5_000;

    /// <summary>The wait before the next attempt after <paramref name="failures"/> failures in a row (at least 1).</summary>
    /// <param name="failures">Failed attempts (and short-lived connections) in a row.</param>
    /// <param name="hosts">The hosts of the connection string: the wait doubles once per round of them.</param>
    /// <param name="capMs">The largest value of d; see <see cref="CapMs"/>.</param>
    /// <param name="random">The jitter's source.</param>
    /// <returns>A random wait in [d/2, d] milliseconds.</returns>
    public static int NextDelayMs(int failures, int hosts, int capMs, Random random)
    {
        var doublings = Math.Clamp((failures - 1) / Math.Max(1, hosts), 0, 20);
        var ceiling = (int)Math.Min(Math.Max(capMs, FirstDelayMs), (long)FirstDelayMs << doublings);
        return ceiling / 2 + random.Next(0, ceiling / 2 + 1);
    }

    /// <summary>The cap: <see cref="MaxDelayMs"/>, or a quarter of the session timeout while a session is alive.</summary>
    /// <param name="sessionTimeoutMs">The negotiated session timeout, when a session is alive; else 0.</param>
    public static int CapMs(int sessionTimeoutMs) =>
        sessionTimeoutMs > 0 ? Math.Clamp(sessionTimeoutMs / 4, FirstDelayMs, MaxDelayMs) : MaxDelayMs;

    /// <summary>How long a connection must have lived to reset the back-off: one ping interval.</summary>
    /// <param name="sessionTimeoutMs">The negotiated session timeout.</param>
    public static int StableAfterMs(int sessionTimeoutMs) => Math.Min(sessionTimeoutMs / 3, 10_000);
}

/// <summary>
/// Rate-limits the "could not connect" warning: the first failure after a working connection (or at start) is a
/// warning; later ones are logged at Debug, with at most one warning per <see cref="SummaryIntervalMs"/> that counts
/// the failures since the previous warning. Used by the session loop only (one thread at a time).
/// </summary>
internal sealed class ConnectFailureLog(ILogger logger)
{
    /// <summary>The least time between two warnings of one outage.</summary>
    public const long SummaryIntervalMs = 60_000;

    private bool _failing;
    private long _lastWarningMs;
    private int _sinceWarning;

    /// <summary>Records a failed attempt (or a connection that died right after its handshake).</summary>
    /// <param name="server">host:port.</param>
    /// <param name="reason">Why.</param>
    /// <param name="nowMs">A monotonic clock in milliseconds (<see cref="Environment.TickCount64"/>).</param>
    public void Failed(string server, string reason, long nowMs)
    {
        if (!_failing)
        {
            _failing = true;
            _lastWarningMs = nowMs;
            _sinceWarning = 0;
            Log.ConnectFailed(logger, server, reason);
            return;
        }

        _sinceWarning++;
        if (nowMs - _lastWarningMs >= SummaryIntervalMs)
        {
            Log.StillCannotConnect(logger, _sinceWarning, (nowMs - _lastWarningMs) / 1000, server, reason);
            _lastWarningMs = nowMs;
            _sinceWarning = 0;
        }
        else
        {
            Log.ConnectRetryFailed(logger, server, reason);
        }
    }

    /// <summary>A connection worked (it lived long enough): the next failure is a warning again.</summary>
    public void Recovered() => _failing = false;
}
