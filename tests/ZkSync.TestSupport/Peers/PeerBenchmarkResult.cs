using System.Globalization;
using System.Text.Json;

namespace ZkSync.TestSupport.Peers;

/// <summary>One row printed by a peer benchmark driver (one JSON object per line).</summary>
/// <param name="Peer"><c>zookeeper-java</c>, <c>curator</c> or <c>kazoo</c>.</param>
/// <param name="Benchmark"><c>getData</c>, <c>setData</c>, <c>mutex-uncontended</c>, <c>mutex-handoff</c> or <c>mutex-distinct</c>.</param>
/// <param name="Parameters">The run's parameters (in-flight requests, sessions, callers, duration...).</param>
/// <param name="Operations">Successful operations (acquisitions for lock rows).</param>
/// <param name="Seconds">Measured wall time of the row.</param>
/// <param name="OperationsPerSecond"><see cref="Operations"/> / <see cref="Seconds"/>.</param>
/// <param name="Errors">Failed operations.</param>
/// <param name="P50Milliseconds">Median latency, for latency rows.</param>
/// <param name="P99Milliseconds">99th percentile latency, for latency rows.</param>
public sealed record PeerBenchmarkResult(
    string Peer,
    string Benchmark,
    IReadOnlyDictionary<string, double> Parameters,
    long Operations,
    double Seconds,
    double OperationsPerSecond,
    long Errors,
    double? P50Milliseconds,
    double? P99Milliseconds)
{
    /// <summary>Parses one driver line.</summary>
    /// <exception cref="FormatException">The line is not a result object.</exception>
    public static PeerBenchmarkResult Parse(string line)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            var parameters = new Dictionary<string, double>(StringComparer.Ordinal);
            if (root.TryGetProperty("params", out var parametersElement))
            {
                foreach (var property in parametersElement.EnumerateObject())
                {
                    parameters[property.Name] = property.Value.GetDouble();
                }
            }
            return new PeerBenchmarkResult(
                root.GetProperty("peer").GetString() ?? throw new FormatException("'peer' is null."),
                root.GetProperty("benchmark").GetString() ?? throw new FormatException("'benchmark' is null."),
                parameters,
                root.GetProperty("operations").GetInt64(),
                root.GetProperty("seconds").GetDouble(),
                root.GetProperty("opsPerSecond").GetDouble(),
                root.GetProperty("errors").GetInt64(),
                root.TryGetProperty("p50Ms", out var p50) ? p50.GetDouble() : null,
                root.TryGetProperty("p99Ms", out var p99) ? p99.GetDouble() : null);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"Not a peer benchmark result: {line}"), e);
        }
    }
}
