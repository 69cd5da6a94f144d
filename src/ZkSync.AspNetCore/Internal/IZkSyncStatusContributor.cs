using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ZkSync.AspNetCore.Internal;

/// <summary>
/// A part of ZkSync that reports into the <c>zookeeper</c> health check: the session, the held locks, and later
/// leadership per elector and barrier status. Register implementations with
/// <c>services.TryAddEnumerable(ServiceDescriptor.Singleton&lt;IZkSyncStatusContributor, T&gt;())</c>; they run in
/// registration order.
/// </summary>
internal interface IZkSyncStatusContributor
{
    /// <summary>Adds this part's entries (camelCase keys, JSON-friendly values) and, if it is not healthy, says so.</summary>
    /// <param name="status">The report being built.</param>
    void Contribute(ZkSyncStatusReport status);
}

/// <summary>The report the contributors build: data entries, the worst status and its reasons.</summary>
internal sealed class ZkSyncStatusReport
{
    private readonly List<string> _problems = [];

    /// <summary>The health check's data (shown by UIResponseWriter).</summary>
    public Dictionary<string, object> Data { get; } = new(StringComparer.Ordinal);

    /// <summary>The worst status reported so far.</summary>
    public HealthStatus Status { get; private set; } = HealthStatus.Healthy;

    /// <summary>The summary of the healthy case, set by the session contributor.</summary>
    public string? Summary { get; set; }

    /// <summary>Why the status is not healthy, in the order reported.</summary>
    public IReadOnlyList<string> Problems => _problems;

    /// <summary>Lowers the status to <paramref name="status"/> (if worse) and records why.</summary>
    public void Report(HealthStatus status, string problem)
    {
        if (status < Status)
        {
            Status = status;
        }

        _problems.Add(problem);
    }
}
