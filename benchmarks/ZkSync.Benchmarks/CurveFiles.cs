using System.Text.Json;

namespace ZkSync.Benchmarks;

/// <summary>The curves' raw results, one JSON file per fsync mode next to the report, from which it draws its tables and plots.</summary>
internal static class CurveFiles
{
    private static readonly JsonSerializerOptions s_options = new() { WriteIndented = true };

    /// <summary>One queue-curve run on one ensemble.</summary>
    public sealed record QueueRun(string Fsync, DateTimeOffset Started, double SecondsPerRow, int Rounds, List<QueueCurve.Point> Points);

    /// <summary>
    /// The scale rows on one ensemble: locks held at once (every library's rows), ZkSync's names run and the peers' (none in
    /// files from before the peers ran).
    /// </summary>
    public sealed record ScaleRun(string Fsync, DateTimeOffset Started, List<ScaleBenchmarks.HeldRow> Held, ScaleBenchmarks.NamesRun Names,
        List<ScaleBenchmarks.NamesRun>? PeerNames = null);

    public static async Task WriteAsync<T>(string path, T run)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(run, s_options));
    }

    /// <summary>The files <c>&lt;prefix&gt;-fsync-on.json</c> and <c>&lt;prefix&gt;-fsync-off.json</c> in <paramref name="directory"/> that exist, in that order.</summary>
    public static async Task<List<T>> ReadModesAsync<T>(string directory, string prefix)
    {
        var runs = new List<T>();
        foreach (var mode in new[] { "on", "off" })
        {
            var path = Path.Combine(directory, $"{prefix}-fsync-{mode}.json");
            if (File.Exists(path) && JsonSerializer.Deserialize<T>(await File.ReadAllTextAsync(path), s_options) is { } run)
            {
                runs.Add(run);
            }
        }

        return runs;
    }
}
