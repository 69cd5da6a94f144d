using System.Globalization;
using System.Text;
using ScottPlot;

namespace ZkSync.Benchmarks;

/// <summary>The queue-length curve's part of the report: a chart per measure (ScottPlot PNGs) and the numbers in tables.</summary>
internal static class QueueSection
{
    private sealed record Measure(string File, string Title, string Axis, Func<QueueCurve.Point, double> Value);

    private static readonly Measure[] s_measures =
    [
        new("queue-handoffs.png", "Handoffs per second", "handoffs/s", p => p.HandoffsPerSecond),
        new("queue-requests.png", "ZooKeeper requests per handoff", "requests", p => p.RequestsPerHandoff),
        new("queue-bytes.png", "Bytes received per handoff", "bytes", p => p.BytesReceivedPerHandoff),
        new("queue-wait-p99.png", "Wait for the lock, p99", "ms", p => p.P99WaitMs),
    ];

    public const string StartMarker = "<!-- queue-curve: generated from the JSON files beside the charts -->";
    public const string EndMarker = "<!-- /queue-curve -->";

    /// <summary>The JSON files of the queue curve in <paramref name="directory"/>, fsync on first.</summary>
    public static Task<List<CurveFiles.QueueRun>> ReadRunsAsync(string directory) => CurveFiles.ReadModesAsync<CurveFiles.QueueRun>(directory, "queue");

    /// <summary>Replaces the section between the markers in <paramref name="markdown"/> (or inserts it before the first "## Locks" heading).</summary>
    public static string Splice(string markdown, string startMarker, string endMarker, string section)
    {
        var marked = startMarker + Environment.NewLine + section + endMarker + Environment.NewLine;
        var start = markdown.IndexOf(startMarker, StringComparison.Ordinal);
        var end = markdown.IndexOf(endMarker, StringComparison.Ordinal);
        if (start >= 0 && end > start)
        {
            return markdown[..start] + marked + markdown[(end + endMarker.Length)..].TrimStart('\r', '\n');
        }

        var at = markdown.IndexOf("## Locks", StringComparison.Ordinal);
        return at < 0 ? markdown + Environment.NewLine + marked : markdown[..at] + marked + Environment.NewLine + markdown[at..];
    }

    /// <summary>Writes the charts into <paramref name="imageDirectory"/> and returns the section's markdown (images linked as <paramref name="imageLink"/>/file).</summary>
    public static string Render(IReadOnlyList<CurveFiles.QueueRun> runs, string imageDirectory, string imageLink)
    {
        var builder = new StringBuilder();
        builder.AppendLine("## Queue length: N sessions queueing on one lock");
        builder.AppendLine();
        builder.AppendLine("Each of N sessions (one client each) loops on acquire+release of one lock name, every wait bounded only by the end of "
            + "the run, so each handoff goes to the next in line. The measured window follows a warm-up (a fifth of the window, at least 1 s) within the same run, "
            + "so the queue has formed when it opens; the wait is measured from the call to the grant, for grants inside the window. Every library's sessions connect through "
            + "a counting proxy in the benchmark process (one per ensemble member), which counts the bytes each way and the requests the clients send, "
            + "by ZooKeeper operation code, in the measured window only (pings and the connect handshake not counted): the same measure for the three libraries. "
            + "A handoff is one acquisition.");
        builder.AppendLine();
        Directory.CreateDirectory(imageDirectory);
        foreach (var measure in s_measures)
        {
            Plot(runs, measure, Path.Combine(imageDirectory, measure.File));
            builder.AppendLine(CultureInfo.InvariantCulture, $"![{measure.Title}]({imageLink}/{measure.File})");
        }

        builder.AppendLine();
        foreach (var run in runs)
        {
            builder.AppendLine(CultureInfo.InvariantCulture,
                $"### fsync {run.Fsync}: {run.SecondsPerRow:0} s per point, {run.Rounds} round(s), started {run.Started:yyyy-MM-dd HH:mm} UTC");
            builder.AppendLine();
            builder.AppendLine("| N | library | handoffs/s (median) | each round | requests / handoff | bytes received / handoff | bytes sent / handoff | wait p50 ms | wait p99 ms | errors | requests by operation (last round) |");
            builder.AppendLine("|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---|");
            foreach (var group in run.Points.GroupBy(p => (p.Sessions, p.Library)).OrderBy(g => g.Key.Sessions).ThenBy(g => Array.IndexOf(QueueCurve.Libraries, g.Key.Library)))
            {
                var rounds = group.OrderBy(p => p.Round).ToList();
                var last = rounds[^1];
                var each = string.Join(" / ", rounds.Select(p => p.HandoffsPerSecond.ToString("N0", CultureInfo.InvariantCulture)));
                var byOperation = string.Join(", ", last.RequestsPerHandoffByOperation.Where(p => p.Value >= 0.005).OrderBy(p => p.Key, StringComparer.Ordinal)
                    .Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value:0.##}")));
                builder.AppendLine(CultureInfo.InvariantCulture,
                    $"| {group.Key.Sessions} | {group.Key.Library} | {Median(rounds, p => p.HandoffsPerSecond):N0} | {each} | {Median(rounds, p => p.RequestsPerHandoff):0.00} | "
                    + $"{Median(rounds, p => p.BytesReceivedPerHandoff):N0} | {Median(rounds, p => p.BytesSentPerHandoff):N0} | {Median(rounds, p => p.P50WaitMs):0.0} | "
                    + $"{Median(rounds, p => p.P99WaitMs):0.0} | {rounds.Sum(p => p.Errors)} | {byOperation} |");
            }

            builder.AppendLine();
        }

        builder.AppendLine("Each value is the median of the rounds; \"each round\" shows the spread. Libraries run in a rotating order for each round and N.");
        builder.AppendLine();
        builder.AppendLine("**What a contended handoff costs ZkSync, and why each request stays.** In a queue of N > 2 a handoff is six requests: "
            + "(1) the create of the waiter's node and (2) the listing sent with it in the same round trip (where it stands, whom to watch); "
            + "(3) getData with a watch on the node ahead (the wake-up, and its lease: any holder may carry a TTL, whatever the waiter asked for); (4) exists with a watch on its own node, sent without "
            + "waiting (it is what fires `Lost` when the node is deleted while held; Curator sets no such watch, hence its five); (5) on the wake-up, a second "
            + "listing, because the node ahead may have been a waiter that gave up rather than the holder, and only a listing shows whether anything ahead "
            + "remains; (6) the delete on release. The second listing is skipped only when the node ahead was the head at the first listing (a direct hand-off, "
            + "trusted only on that listing's connection and with a freshly acknowledged clock), which is why N = 2 costs five and N = 1 three. "
            + "Both listings carry all N names, so bytes per handoff grow with N for every library; a watch or a write that told a waiter \"the node ahead was "
            + "the holder\" would cost more than the listing it saves, and would not hold for Curator or kazoo nodes in the same queue. "
            + "So no request was removed (issue #20, item \"handoff cost\").");
        builder.AppendLine();
        return builder.ToString();
    }

    internal static double Median(IEnumerable<QueueCurve.Point> points, Func<QueueCurve.Point, double> value)
    {
        var sorted = points.Select(value).Order().ToArray();
        return sorted.Length == 0 ? 0 : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>One line per library and fsync mode (see <see cref="ChartStyle"/>), the median of the rounds at each N; N on a log₂ axis.</summary>
    private static void Plot(IReadOnlyList<CurveFiles.QueueRun> runs, Measure measure, string file)
    {
        var plot = new Plot();
        var sizes = runs.SelectMany(r => r.Points).Select(p => p.Sessions).Distinct().Order().ToArray();
        foreach (var run in runs)
        {
            foreach (var library in QueueCurve.Libraries)
            {
                var points = run.Points.Where(p => p.Library == library).GroupBy(p => p.Sessions).OrderBy(g => g.Key).ToList();
                if (points.Count == 0)
                {
                    continue;
                }

                var xs = points.Select(g => Math.Log2(g.Key)).ToArray();
                var ys = points.Select(g => Median(g, measure.Value)).ToArray();
                var line = plot.Add.Scatter(xs, ys);
                ChartStyle.Apply(line, Array.IndexOf(QueueCurve.Libraries, library), run.Fsync, library);
            }
        }

        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [.. sizes.Select(n => Math.Log2(n))], [.. sizes.Select(n => n.ToString(CultureInfo.InvariantCulture))]);
        plot.Axes.AutoScale();
        var limits = plot.Axes.GetLimits();
        plot.Axes.SetLimitsY(0, limits.Top * 1.1);
        plot.Title(measure.Title);
        plot.XLabel("N sessions queueing on one lock");
        plot.YLabel(measure.Axis);
        plot.ShowLegend(Edge.Right);
        plot.SavePng(file, 820, 440);
    }
}
