using System.Globalization;
using System.Text;
using ScottPlot;

namespace ZkSync.Benchmarks;

/// <summary>The scale rows' part of the report (ZkSync only): locks held at once, and distinct names over a run (with charts).</summary>
internal static class ScaleSection
{
    public const string StartMarker = "<!-- scale: generated from the JSON files beside the charts -->";
    public const string EndMarker = "<!-- /scale -->";

    /// <summary>The scale JSON files in <paramref name="directory"/>, fsync on first.</summary>
    public static Task<List<CurveFiles.ScaleRun>> ReadRunsAsync(string directory) => CurveFiles.ReadModesAsync<CurveFiles.ScaleRun>(directory, "scale");

    public static string Render(IReadOnlyList<CurveFiles.ScaleRun> runs, string imageDirectory, string imageLink)
    {
        var builder = new StringBuilder();
        if (runs.Count == 0)
        {
            return "";
        }

        builder.AppendLine("## Held at once: one process holding 1, 100 and 10,000 locks (ZkSync)");
        builder.AppendLine();
        builder.AppendLine("An app built with `AddZkSync` and the `AddZooKeeper` health check takes N distinct locks through its provider (64 at a time) and holds them; "
            + "client memory is the managed heap after full collections, compared with the heap before (the provider already warm); watches are the client's registered "
            + "watches and the ensemble's data watches (`wchs`, summed over the members; it leaves child watches out, and a holder that was first in line at once is "
            + "guarded by the child watch of its listing), per held lock; the health check is `HealthCheckService.CheckHealthAsync` (median of 21 "
            + "calls after 3 warm-ups) and its JSON is the entries' status and data serialized; release-all disposes every handle at once.");
        builder.AppendLine();
        builder.AppendLine("| fsync | locks held | acquire-all ms | client bytes / lock | client watches / lock | server data watches / lock | health check p50 ms | health JSON bytes (MaxListedLocks) | release-all ms |");
        builder.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var run in runs)
        {
            foreach (var row in run.Held)
            {
                builder.AppendLine(CultureInfo.InvariantCulture,
                    $"| {run.Fsync} | {row.Locks:N0} | {row.AcquireAllMs:N0} | {row.ClientBytesPerLock:N0} | {row.ClientWatchesPerLock:0.00} | {row.ServerWatchesPerLock:0.00} | "
                    + $"{row.HealthCheckP50Ms:0.00} | {row.HealthCheckJsonBytes:N0} ({row.MaxListedLocks}) | {row.ReleaseAllMs:N0} |");
            }
        }

        builder.AppendLine();
        builder.AppendLine("## Names over time: distinct lock names taken and released by one app (ZkSync)");
        builder.AppendLine();
        builder.AppendLine("One provider, 64 callers, each acquisition on a name never used before (`names/<i>`), released at once; a checkpoint at each power of ten "
            + "gives the throughput of the segment since the last one, the client's managed heap after full collections, and the ensemble's znode count (`mntr`). "
            + "After the run, the container reaper (`znode.container.checkIntervalMs` = 1 s in eng/zookeeper.sh) removes the empty parents bottom-up; the last column "
            + "says whether the run's root (and with it every node of the run) was gone, when, and the ensemble's znode count then (other runs' leftovers being reaped "
            + "meanwhile move it too).");
        builder.AppendLine();
        var plotNames = Path.Combine(imageDirectory, "names-throughput.png");
        var plotMemory = Path.Combine(imageDirectory, "names-memory.png");
        PlotNames(runs, plotNames, "Distinct names: acquisitions per second", "acquisitions/s", r => r.SegmentAcquisitionsPerSecond);
        PlotNames(runs, plotMemory, "Distinct names: client managed heap", "MB", r => r.ClientBytes / 1e6);
        builder.AppendLine(CultureInfo.InvariantCulture, $"![Distinct names: acquisitions per second]({imageLink}/names-throughput.png)");
        builder.AppendLine(CultureInfo.InvariantCulture, $"![Distinct names: client managed heap]({imageLink}/names-memory.png)");
        builder.AppendLine();
        builder.AppendLine("| fsync | names taken | acquisitions/s (segment) | client heap MB | znodes (baseline) | after the run: root reaped, seconds, znodes |");
        builder.AppendLine("|---|---:|---:|---:|---:|---:|");
        foreach (var run in runs)
        {
            var names = run.Names;
            for (var i = 0; i < names.Checkpoints.Count; i++)
            {
                var row = names.Checkpoints[i];
                var after = i == names.Checkpoints.Count - 1
                    ? string.Create(CultureInfo.InvariantCulture, $"{(names.RootReaped ? "yes" : "no")}, {names.ReaperSeconds:0} s, {names.ZnodesAfterReaper:N0}")
                    : "";
                builder.AppendLine(CultureInfo.InvariantCulture,
                    $"| {run.Fsync} | {row.NamesTaken:N0} | {row.SegmentAcquisitionsPerSecond:N0} | {row.ClientBytes / 1e6:0.0} | {row.ZnodeCount:N0} ({names.BaselineZnodes:N0}) | {after} |");
            }
        }

        builder.AppendLine();
        builder.AppendLine("The per-name hints the provider keeps (lock parents known to exist, names a zero-timeout try found held) are bounded sets that start over when full "
            + "(4,096 paths each); `LockScaleTests` (tests/ZkSync.Recipes.Tests) asserts the bound, and that 300 names taken and released leave no node (the root reaped) and no watch behind.");
        builder.AppendLine();
        return builder.ToString();
    }

    private static void PlotNames(IReadOnlyList<CurveFiles.ScaleRun> runs, string file, string title, string axis, Func<ScaleBenchmarks.NamesRow, double> value)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        foreach (var run in runs)
        {
            var rows = run.Names.Checkpoints;
            var line = plot.Add.Scatter(rows.Select(r => Math.Log10(r.NamesTaken)).ToArray(), rows.Select(value).ToArray());
            line.Color = palette.GetColor(0);
            line.LineWidth = 2;
            line.MarkerSize = 7;
            line.LinePattern = run.Fsync == "off" ? LinePattern.Dashed : LinePattern.Solid;
            line.LegendText = $"ZkSync (fsync {run.Fsync})";
        }

        var ticks = runs.SelectMany(r => r.Names.Checkpoints).Select(r => r.NamesTaken).Distinct().Order().ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [.. ticks.Select(n => Math.Log10(n))], [.. ticks.Select(n => n.ToString("N0", CultureInfo.InvariantCulture))]);
        plot.Axes.AutoScale();
        plot.Axes.SetLimitsY(0, plot.Axes.GetLimits().Top * 1.1);
        plot.Title(title);
        plot.XLabel("distinct names taken so far");
        plot.YLabel(axis);
        plot.ShowLegend(Edge.Right);
        plot.SavePng(file, 820, 440);
    }
}
