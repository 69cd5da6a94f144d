using Microsoft.Extensions.Logging;
using ZkSync.Leadership;

namespace ZkSync.AspNetCore.Internal;

/// <summary>What <c>AddLeaderService</c> gives a <see cref="LeaderBackgroundService"/>: its election and settings.</summary>
/// <param name="Election">The election (owned: disposed when the service stops).</param>
/// <param name="RestartDelay">The delay before standing again after the work returned or failed.</param>
/// <param name="TimeProvider">The clock of the delays.</param>
/// <param name="Logger">The logger.</param>
internal sealed record LeaderServiceRuntime(ZooKeeperLeaderElection Election, TimeSpan RestartDelay, TimeProvider TimeProvider, ILogger Logger);

/// <summary>The leader-only services of the application, for the health check.</summary>
internal sealed class LeaderServiceRegistry
{
    private readonly Lock _gate = new();
    private readonly List<LeaderBackgroundService> _services = [];

    public IReadOnlyList<LeaderBackgroundService> Services
    {
        get
        {
            lock (_gate)
            {
                return [.. _services];
            }
        }
    }

    public void Add(LeaderBackgroundService service)
    {
        lock (_gate)
        {
            _services.Add(service);
        }
    }
}

/// <summary>Reports each leader-only service's election and this replica's standing in it (never unhealthy by itself).</summary>
internal sealed class LeadershipStatusContributor(LeaderServiceRegistry registry) : IZkSyncStatusContributor
{
    public void Contribute(ZkSyncStatusReport status)
    {
        status.Data["leaderServices"] = registry.Services.Select(service => new LeaderServiceStatus(
            service.GetType().Name,
            service.ElectionName,
            service.Runtime.Election.ElectionPath,
            service.ParticipantId,
            service.Status.ToString(),
            service.Leadership?.ElectedAt,
            service.Leadership?.FencingToken,
            service.Terms,
            service.LastError)).ToArray();
    }
}

/// <summary>One leader-only service as shown by the health check.</summary>
internal sealed record LeaderServiceStatus(string Service, string Election, string Path, string ParticipantId, string Status,
    DateTimeOffset? LeaderSince, long? FencingToken, int Terms, string? LastError);
