using ZkSync.AspNetCore;

namespace WebApp.Orders;

/// <summary>
/// A leader-only job: every replica runs this service, but only the leader of election <c>jobs/order-sweep</c> does the
/// work. Stop the leading replica and another one takes over; its token fires if ZooKeeper revokes the leadership.
/// </summary>
public sealed partial class OrderSweepJob(ILogger<OrderSweepJob> logger) : LeaderBackgroundService
{
    /// <summary>How often the leader sweeps.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    /// <summary>Sweeps until the leadership is revoked or the app stops.</summary>
    /// <param name="stoppingToken">Fires on revocation or shutdown.</param>
    /// <returns>A task that completes when the sweeping stops.</returns>
    protected override async Task ExecuteAsLeaderAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            // Real work would pass Leadership.FencingToken to the store it writes to.
            LogSweep(logger, ParticipantId, Leadership?.FencingToken ?? 0);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(100, LogLevel.Information, "Sweeping stale orders as leader {ParticipantId} (fencing token {FencingToken}).")]
    private static partial void LogSweep(ILogger logger, string participantId, long fencingToken);
}
