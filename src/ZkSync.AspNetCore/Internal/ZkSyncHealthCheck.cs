using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ZkSync.AspNetCore.Internal;

/// <summary>
/// The <c>zookeeper</c> health check: Healthy while the session is connected, Degraded while connecting or suspended,
/// the registration's failure status (Unhealthy by default) when expired, closed or refused. Its data carries the
/// session and the held locks (and whatever later contributors add), for <c>UIResponseWriter</c>.
/// </summary>
internal sealed class ZkSyncHealthCheck(IEnumerable<IZkSyncStatusContributor> contributors) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var report = new ZkSyncStatusReport();
        foreach (var contributor in contributors)
        {
            contributor.Contribute(report);
        }

        var status = report.Status == HealthStatus.Unhealthy ? context.Registration.FailureStatus : report.Status;
        var description = report.Problems.Count > 0 ? string.Join(" ", report.Problems) : report.Summary;
        return Task.FromResult(new HealthCheckResult(status, description, data: report.Data));
    }
}
