using System.Globalization;
using System.Text;
using ScottPlot;

namespace ZkSync.Benchmarks;

/// <summary>The reconnect storm's part of the report: a chart of both times per library and the numbers in a table.</summary>
internal static class StormSection
{
    public const string StartMarker = "<!-- reconnect-storm: generated from the JSON files beside the charts -->";
    public const string EndMarker = "<!-- /reconnect-storm -->";
    private const string ChartFile = "storm-reconnect.png";
    private const string TraceFile = "storm-watches.png";

    /// <summary>The JSON files of the storm in <paramref name="directory"/>, fsync on first.</summary>
    public static Task<List<StormBenchmark.StormRun>> ReadRunsAsync(string directory) => CurveFiles.ReadModesAsync<StormBenchmark.StormRun>(directory, "storm");

    /// <summary>Writes the chart into <paramref name="imageDirectory"/> and returns the section's markdown (image linked as <paramref name="imageLink"/>/file).</summary>
    public static string Render(IReadOnlyList<StormBenchmark.StormRun> runs, string imageDirectory, string imageLink)
    {
        var builder = new StringBuilder();
        builder.AppendLine("## Reconnect storm: the leader restarts under M sessions holding W watches each");
        builder.AppendLine();
        builder.AppendLine("M sessions (one client each, on the full connection string) each set a getData watch on each of W nodes; then the ensemble's "
            + "leader is stopped and started again at once (`eng/zookeeper.sh stop`/`start`), so every member drops its clients during the election and "
            + "every session reconnects and re-sends its watches. Two times, from the stop: **reconnected**, when every session has reported itself "
            + "disconnected and connected again (ZkSync's `Reconnected` state, Curator's `RECONNECTED`, kazoo's `CONNECTED`; the peers report it on "
            + "their standard output), and **watches back**, when the ensemble's watch count (the sum of `mntr`'s `zk_watch_count` over the members, "
            + "polled every 20 ms) is back at its count before the stop: the same server-side measure for the three libraries. A library whose count "
            + "does not come back within 15 s after its sessions reconnected shows \"never\" and the count it reached. After the storm every node "
            + "is changed once and the data-change notifications are counted (M × W expected). The sessions are idle through the storm, except in the "
            + "row \"ZkSync busy\": ZkSync again, each session keeping 4 getData requests in flight from before the stop until the end, each reply "
            + "checked against the node's own data (a reply given to the wrong request would show): every request must end once, with its own result "
            + "or an error, and after the storm every watch must fire exactly once (checked per session and node, after a later watch of each session fired).");
        builder.AppendLine();
        if (runs.Count == 0)
        {
            builder.AppendLine("(Not measured yet: `bench storm`.)");
            builder.AppendLine();
            return builder.ToString();
        }

        Directory.CreateDirectory(imageDirectory);
        Plot(runs, Path.Combine(imageDirectory, ChartFile));
        builder.AppendLine(CultureInfo.InvariantCulture, $"![Reconnect storm]({imageLink}/{ChartFile})");
        if (PlotTraces(runs, Path.Combine(imageDirectory, TraceFile)))
        {
            builder.AppendLine();
            builder.AppendLine(CultureInfo.InvariantCulture, $"![The ensemble's watch count after the stop]({imageLink}/{TraceFile})");
        }

        builder.AppendLine();
        foreach (var run in runs)
        {
            builder.AppendLine(CultureInfo.InvariantCulture,
                $"### fsync {run.Fsync}: M = {run.Sessions} sessions × W = {run.Watches:N0} watches, {run.Rounds} round(s), started {run.Started:yyyy-MM-dd HH:mm} UTC");
            builder.AppendLine();
            builder.AppendLine("| library | reconnected ms (median) | each round | watches back ms (median) | each round | watch count back (last round) | notifications after (last round) |");
            builder.AppendLine("|---|---:|---|---:|---|---:|---:|");
            foreach (var group in run.Points.GroupBy(p => p.Library).OrderBy(g => Array.IndexOf(StormBenchmark.Libraries, g.Key)))
            {
                var rounds = group.OrderBy(p => p.Round).ToList();
                var last = rounds[^1];
                builder.AppendLine(CultureInfo.InvariantCulture,
                    $"| {group.Key} | {Median(rounds, p => p.ReconnectedMs)} | {Each(rounds, p => p.ReconnectedMs)} | {Median(rounds, p => p.WatchesBackMs)} | {Each(rounds, p => p.WatchesBackMs)} | "
                    + $"{last.WatchCountAfter:N0} of {last.WatchCountBefore:N0} | {last.FiresAfter:N0} of {(long)last.Sessions * last.Watches:N0} |");
            }

            builder.AppendLine();
            foreach (var point in run.Points.Where(p => p.InFlight is not null).OrderBy(p => p.Round))
            {
                var f = point.InFlight!;
                var errors = string.Join(", ", f.Errors.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Key} {e.Value:N0}")));
                builder.AppendLine(CultureInfo.InvariantCulture,
                    $"- {point.Library} round {point.Round + 1}: {f.Sent:N0} getData sent through the storm, {f.Answered:N0} answered ({f.WrongReplies} with another node's data), "
                    + $"{f.Failed:N0} failed ({(errors.Length == 0 ? "none" : errors)}), {f.Unfinished} unfinished; after the storm "
                    + $"{point.WatchFires?.FiredTwiceOrMore ?? 0} watches fired more than once and {point.WatchFires?.NeverFired ?? 0} never.");
            }

            builder.AppendLine();
        }

        builder.AppendLine("The times count from the stop command (the member's process is gone about half a second later, where the second chart's "
            + "count drops) and include the election (the two remaining members elect a new leader before they serve again) and each library's "
            + "own reconnect back-off; \"each round\" shows the spread. Libraries run in a rotating order. The busy row's requests share the machine's "
            + "cores with the ensemble, which is slower to serve again under them; its later times were not analysed further. kazoo (2.8) keeps its watch callbacks "
            + "across a reconnect but never sends SetWatches, so the server forgets its watches with the connection and none fires afterwards "
            + "(its `DataWatch`/`ChildrenWatch` recipes re-read and re-watch on reconnect; a plain `get(watch=...)` does not: python-zk/kazoo#151; "
            + "SetWatches support was added in #305 and reverted in #450). Curator's count includes one more watch per session, its ensemble "
            + "tracker's on `/zookeeper/config`.");
        builder.AppendLine();
        return builder.ToString();
    }

    private static double? MedianValue(IEnumerable<double?> values)
    {
        var known = values.OfType<double>().Order().ToArray();
        return known.Length == 0 ? null : known.Length % 2 == 1 ? known[known.Length / 2] : (known[(known.Length / 2) - 1] + known[known.Length / 2]) / 2;
    }

    private static string Median(IEnumerable<StormBenchmark.Point> points, Func<StormBenchmark.Point, double?> value)
    {
        var all = points.Select(value).ToList();
        // A median over rounds that partly never came back would hide them: "never" wins if most rounds never did.
        return all.Count(v => v is null) * 2 > all.Count ? "never" : Ms(MedianValue(all));
    }

    private static string Each(IEnumerable<StormBenchmark.Point> points, Func<StormBenchmark.Point, double?> value) =>
        string.Join(" / ", points.Select(value).Select(Ms));

    private static string Ms(double? value) => value is { } v ? v.ToString("N0", CultureInfo.InvariantCulture) : "never";

    /// <summary>
    /// The ensemble's watch count after the stop, one line per library and fsync mode (<see cref="ChartStyle"/>), from its
    /// median round (by the time its watches were back, else by its reconnect); false when no run has a trace.
    /// </summary>
    private static bool PlotTraces(IReadOnlyList<StormBenchmark.StormRun> runs, string file)
    {
        var plot = new Plot();
        var any = false;
        // The chart ends a little after the last count that came back; one that never did is drawn flat to that edge
        // (it was polled for 15 s after the reconnect).
        var right = 1.1 * runs.SelectMany(r => r.Points).Where(p => p.WatchesBackMs is not null).SelectMany(p => p.WatchCountTrace ?? [])
            .Select(t => t[0]).DefaultIfEmpty(10_000).Max();
        foreach (var run in runs)
        {
            foreach (var library in StormBenchmark.Libraries)
            {
                var rounds = run.Points.Where(p => p.Library == library && p.WatchCountTrace is { Count: > 0 })
                    .OrderBy(p => p.WatchesBackMs ?? double.MaxValue).ThenBy(p => p.ReconnectedMs ?? double.MaxValue).ToList();
                if (rounds.Count == 0)
                {
                    continue;
                }

                var median = rounds[rounds.Count / 2];
                IReadOnlyList<double[]> trace = median.WatchCountTrace!;
                if (median.WatchesBackMs is null)
                {
                    var shown = trace.Where(t => t[0] <= right).ToList();
                    trace = [.. shown, [right, shown.Count > 0 ? shown[^1][1] : trace[0][1]]];
                }
                var line = plot.Add.Scatter(trace.Select(t => t[0] / 1000).ToArray(), trace.Select(t => t[1]).ToArray());
                line.ConnectStyle = ConnectStyle.StepHorizontal;
                ChartStyle.Apply(line, Array.IndexOf(StormBenchmark.Libraries, library), run.Fsync, library, markers: false);
                any = true;
            }
        }

        if (!any)
        {
            return false;
        }

        plot.Axes.AutoScale();
        plot.Axes.SetLimitsY(0, plot.Axes.GetLimits().Top * 1.1);
        plot.Title("The ensemble's watch count after the leader's stop (median round)");
        plot.XLabel("seconds after the stop");
        plot.YLabel("watches (sum of zk_watch_count)");
        plot.ShowLegend(Edge.Right);
        plot.SavePng(file, 820, 440);
        return true;
    }

    /// <summary>A bar per library and measure (median of the rounds), each round as a dot on it; one group per fsync mode.</summary>
    private static void Plot(IReadOnlyList<StormBenchmark.StormRun> runs, string file)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var ticks = new List<Tick>();
        var position = 0.0;
        string[] measures = ["reconnected", "watches back"];
        foreach (var run in runs)
        {
            foreach (var library in StormBenchmark.Libraries)
            {
                var rounds = run.Points.Where(p => p.Library == library).ToList();
                if (rounds.Count == 0)
                {
                    continue;
                }

                for (var m = 0; m < measures.Length; m++)
                {
                    Func<StormBenchmark.Point, double?> value = m == 0 ? p => p.ReconnectedMs : p => p.WatchesBackMs;
                    var x = position + (m * 0.4);
                    if (MedianValue(rounds.Select(value)) is { } median)
                    {
                        var bar = plot.Add.Bar(new Bar { Position = x, Value = median, Size = 0.38, FillColor = palette.GetColor(m) });
                        bar.LegendText = "";
                    }
                    else
                    {
                        var never = plot.Add.Text("never", x, 0);
                        never.LabelAlignment = Alignment.LowerCenter;
                        never.LabelFontSize = 12;
                        never.LabelBold = true;
                    }

                    var dots = rounds.Select(value).OfType<double>().ToArray();
                    if (dots.Length > 0)
                    {
                        var scatter = plot.Add.ScatterPoints(Enumerable.Repeat(x, dots.Length).ToArray(), dots);
                        scatter.Color = Colors.Black;
                        scatter.MarkerSize = 5;
                    }
                }

                ticks.Add(new Tick(position + 0.2, $"{library}\nfsync {run.Fsync}"));
                position += 1.2;
            }
        }

        for (var m = 0; m < measures.Length; m++)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = measures[m], FillColor = palette.GetColor(m) });
        }

        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. ticks]);
        plot.Axes.AutoScale();
        plot.Axes.SetLimitsY(0, plot.Axes.GetLimits().Top * 1.1);
        plot.Title($"Reconnect storm: M = {runs[0].Sessions} sessions × W = {runs[0].Watches:N0} watches, leader restarted");
        plot.YLabel("ms after the leader's stop");
        plot.XLabel("bars: median of the rounds; dots: each round");
        plot.ShowLegend(Edge.Right);
        plot.SavePng(file, 820, 440);
    }
}
