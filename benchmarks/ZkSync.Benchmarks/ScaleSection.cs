using System.Globalization;
using System.Text;
using ScottPlot;

namespace ZkSync.Benchmarks;

/// <summary>
/// The scale rows' part of the report: locks held at once and distinct names over a run, ZkSync next to Curator and kazoo
/// (files from before the peers ran show ZkSync alone), with a chart per measure of the names run, one curve per library.
/// </summary>
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

        builder.AppendLine("## Held at once: one process holding 1, 100 and 10,000 locks");
        builder.AppendLine();
        builder.AppendLine(string.Join("; ", runs.Select(r => string.Create(CultureInfo.InvariantCulture, $"fsync {r.Fsync}: the held and names rows started {r.Started:yyyy-MM-dd HH:mm} UTC"))) + ".");
        builder.AppendLine();
        builder.AppendLine("Each library takes N distinct locks, 64 at a time, and holds them. ZkSync: an app built with `AddZkSync` and the `AddZooKeeper` health check, "
            + "through its provider; Curator: `InterProcessMutex`, kazoo: `Lock`, each in a driver process of its own (tests/peers: `CuratorScaleBench.java`, "
            + "`kazoo_scale_bench.py`) with one session and 64 threads, each thread keeping the locks it took (an `InterProcessMutex` is released by the thread "
            + "that acquired it) and releasing them at the end, 64 at a time where ZkSync disposes every handle at once. Every library first takes and releases one "
            + "lock under the same root (warm-up), then memory is read before and while the N locks are held: ZkSync's managed heap after full collections; "
            + "Curator's JVM used heap after `System.gc()`; kazoo's resident set (VmRSS, pages: coarse at small N) after `gc.collect()`. Server watches are read "
            + "from the ensemble the same way for the three (summed over the members): data watches (exists, getData) from `wchs`, child watches (getChildren) as "
            + "`mntr`'s `zk_watch_count` less those. Client watches and the health check (`HealthCheckService.CheckHealthAsync`, median of 21 calls after 3 "
            + "warm-ups, its JSON the entries' status and data serialized) are ZkSync's only.");
        builder.AppendLine();
        Directory.CreateDirectory(imageDirectory);
        Plot(HeldSeries(runs, r => r.AcquireAllMs), Path.Combine(imageDirectory, "held-acquire.png"), "Held at once: time to acquire them all (log scale)", HeldAxis, "ms", logarithmic: true);
        Plot(HeldSeries(runs, r => r.ClientBytesPerLock), Path.Combine(imageDirectory, "held-memory.png"), "Held at once: client memory per held lock (log scale)", HeldAxis, "bytes", logarithmic: true);
        builder.AppendLine(CultureInfo.InvariantCulture, $"![Held at once: time to acquire them all]({imageLink}/held-acquire.png)");
        builder.AppendLine(CultureInfo.InvariantCulture, $"![Held at once: client memory per held lock]({imageLink}/held-memory.png)");
        builder.AppendLine();
        builder.AppendLine("| fsync | locks held | library | acquire-all ms | client bytes / lock | client watches / lock | server data watches / lock | server child watches / lock | health check p50 ms | health JSON bytes (MaxListedLocks) | release-all ms |");
        builder.AppendLine("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var run in runs)
        {
            foreach (var row in run.Held.OrderBy(r => r.Locks).ThenBy(r => LibraryIndex(r.Library)))
            {
                var health = row.HealthCheckJsonBytes is { } bytes ? string.Create(CultureInfo.InvariantCulture, $"{bytes:N0} ({row.MaxListedLocks})") : "n/a";
                builder.AppendLine(CultureInfo.InvariantCulture,
                    $"| {run.Fsync} | {row.Locks:N0} | {Library(row.Library)} | {row.AcquireAllMs:N0} | {row.ClientBytesPerLock:N0} | {Format(row.ClientWatchesPerLock, "0.00")} | "
                    + $"{row.ServerWatchesPerLock:0.00} | {Format(row.ServerChildWatchesPerLock, "0.00")} | {Format(row.HealthCheckP50Ms, "0.00")} | {health} | {row.ReleaseAllMs:N0} |");
            }
        }

        builder.AppendLine();
        builder.AppendLine("A ZkSync holder that was first in line at once is guarded by the child watch of its listing (on the lock's parent) and sends no exists; "
            + "Curator and kazoo set no watch while they hold a lock (they watch only the node ahead while they wait).");
        builder.AppendLine();
        builder.AppendLine("## Names over time: distinct lock names taken and released by one app");
        builder.AppendLine();
        builder.AppendLine("One session and 64 callers per library (ZkSync: one provider; Curator and kazoo: 64 threads on one `CuratorFramework` / `KazooClient`, "
            + "kazoo on its threading handler, the threads sharing the GIL), each acquisition on a name never used before (`names/<i>`), released at once; "
            + "ZkSync runs first, then Curator, then kazoo, each under a root of its own. A checkpoint at each power of ten gives the throughput of the segment since "
            + "the last one (the first segment includes the start of the run), the client's memory (as for the held row: ZkSync's managed heap, Curator's used JVM heap, kazoo's resident set, so compare each "
            + "library's curve with itself) and the ensemble's znode count (`mntr`). After the run, the container reaper (`znode.container.checkIntervalMs` = 1 s "
            + "in eng/zookeeper.sh) removes empty containers bottom-up; the last column says whether the run's root (and with it every node of the run) was gone, "
            + "when, and the ensemble's znode count then. ZkSync's and Curator's lock parents are containers; kazoo's `Lock` creates persistent parents, "
            + "which the reaper never removes. The wait for the root's deletion lasts up to three minutes and ends early once the count of nodes under it "
            + "has not fallen for 10 s (ten reaper intervals); nodes still there then are counted, and deleted before the next run.");
        builder.AppendLine();
        var plotNames = Path.Combine(imageDirectory, "names-throughput.png");
        var plotMemory = Path.Combine(imageDirectory, "names-memory.png");
        Plot(NamesSeries(runs, r => r.SegmentAcquisitionsPerSecond), plotNames, "Distinct names: acquisitions per second", NamesAxis, "acquisitions/s", logarithmic: false);
        Plot(NamesSeries(runs, r => r.ClientBytes / 1e6), plotMemory, "Distinct names: client memory (log scale)", NamesAxis, "MB", logarithmic: true);
        builder.AppendLine(CultureInfo.InvariantCulture, $"![Distinct names: acquisitions per second]({imageLink}/names-throughput.png)");
        builder.AppendLine(CultureInfo.InvariantCulture, $"![Distinct names: client memory]({imageLink}/names-memory.png)");
        builder.AppendLine();
        builder.AppendLine("| fsync | library | names taken | acquisitions/s (segment) | client memory MB | znodes (baseline) | after the run: root reaped, seconds, znodes |");
        builder.AppendLine("|---|---|---:|---:|---:|---:|---|");
        foreach (var run in runs)
        {
            var planned = run.Names.Checkpoints.Count == 0 ? 0 : run.Names.Checkpoints[^1].NamesTaken;
            foreach (var names in NamesRuns(run))
            {
                var taken = names.Checkpoints.Count == 0 ? 0 : names.Checkpoints[^1].NamesTaken;
                var library = Library(names.Library) + (taken < planned ? string.Create(CultureInfo.InvariantCulture, $" (capped at {taken:N0})") : "");
                for (var i = 0; i < names.Checkpoints.Count; i++)
                {
                    var row = names.Checkpoints[i];
                    var after = i == names.Checkpoints.Count - 1 ? After(names) : "";
                    builder.AppendLine(CultureInfo.InvariantCulture,
                        $"| {run.Fsync} | {library} | {row.NamesTaken:N0} | {row.SegmentAcquisitionsPerSecond:N0} | {row.ClientBytes / 1e6:0.0} | {row.ZnodeCount:N0} ({names.BaselineZnodes:N0}) | {after} |");
                }
            }
        }

        builder.AppendLine();
        builder.AppendLine("The peers' names runs are capped where a library is too slow for the whole run to stay within minutes (`BENCH_PEER_NAMES` in eng/bench.sh; "
            + "the library column says so). The per-name hints ZkSync's provider keeps (lock parents known to exist, names a zero-timeout try found held) are bounded "
            + "sets that start over when full (4,096 paths each); `LockScaleTests` (tests/ZkSync.Recipes.Tests) asserts the bound, and that 300 names taken and "
            + "released leave no node (the root reaped) and no watch behind.");
        builder.AppendLine();
        return builder.ToString();
    }

    private const string HeldAxis = "locks held at once";
    private const string NamesAxis = "distinct names taken so far";

    private static IEnumerable<ScaleBenchmarks.NamesRun> NamesRuns(CurveFiles.ScaleRun run) => [run.Names, .. run.PeerNames ?? []];

    private static string After(ScaleBenchmarks.NamesRun names) => names.RootReaped
        ? string.Create(CultureInfo.InvariantCulture, $"yes, {names.ReaperSeconds:0} s, {names.ZnodesAfterReaper:N0}")
        : string.Create(CultureInfo.InvariantCulture,
            $"no, {names.ReaperSeconds:0} s, {names.ZnodesAfterReaper:N0} ({names.NodesLeft:N0} nodes left under the root, nothing reaped for 10 s)");

    private static int LibraryIndex(string library) => Array.IndexOf(QueueCurve.Libraries, library) is var index and >= 0 ? index : QueueCurve.Libraries.Length;

    private static string Library(string library) => library switch
    {
        "curator" => "Curator",
        _ => library,
    };

    private static string Format(double? value, string format) => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "n/a";

    /// <summary>One curve of a chart: a library in one fsync mode, its points in order.</summary>
    private sealed record Series(string Library, string Fsync, IReadOnlyList<(double X, double Y)> Points);

    private static IEnumerable<Series> NamesSeries(IReadOnlyList<CurveFiles.ScaleRun> runs, Func<ScaleBenchmarks.NamesRow, double> value) =>
        runs.SelectMany(run => NamesRuns(run).Select(names => new Series(names.Library, run.Fsync, [.. names.Checkpoints.Select(r => ((double)r.NamesTaken, value(r)))])));

    private static IEnumerable<Series> HeldSeries(IReadOnlyList<CurveFiles.ScaleRun> runs, Func<ScaleBenchmarks.HeldRow, double> value) =>
        runs.SelectMany(run => run.Held.GroupBy(r => r.Library).OrderBy(g => LibraryIndex(g.Key))
            .Select(g => new Series(g.Key, run.Fsync, [.. g.OrderBy(r => r.Locks).Select(r => ((double)r.Locks, value(r)))])));

    /// <summary>
    /// One line per library (its colour as in the queue charts) and fsync mode (<see cref="ChartStyle"/>), x on a log₁₀
    /// axis labelled with the counts, and y too if <paramref name="logarithmic"/>.
    /// </summary>
    private static void Plot(IEnumerable<Series> series, string file, string title, string xLabel, string yLabel, bool logarithmic)
    {
        var plot = new Plot();
        var all = series.ToList();
        foreach (var curve in all)
        {
            var ys = curve.Points.Select(p => logarithmic ? Math.Log10(p.Y) : p.Y).ToArray();
            var line = plot.Add.Scatter(curve.Points.Select(p => Math.Log10(p.X)).ToArray(), ys);
            ChartStyle.Apply(line, LibraryIndex(curve.Library), curve.Fsync, Library(curve.Library));
        }

        var ticks = all.SelectMany(c => c.Points).Select(p => p.X).Distinct().Order().ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [.. ticks.Select(Math.Log10)], [.. ticks.Select(n => n.ToString("N0", CultureInfo.InvariantCulture))]);
        plot.Axes.AutoScale();
        if (logarithmic)
        {
            // Decades from below the smallest value to above the largest, labelled with the values themselves.
            var values = all.SelectMany(c => c.Points).Select(p => p.Y).Where(v => v > 0).DefaultIfEmpty(1).ToArray();
            var low = (int)Math.Floor(Math.Log10(values.Min()));
            var high = (int)Math.Ceiling(Math.Log10(values.Max()));
            var decades = Enumerable.Range(low, Math.Max(1, high - low) + 1).ToArray();
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
                [.. decades.Select(d => (double)d)], [.. decades.Select(d => Math.Pow(10, d).ToString("#,0.###", CultureInfo.InvariantCulture))]);
            plot.Axes.SetLimitsY(decades[0], decades[^1]);
        }
        else
        {
            plot.Axes.SetLimitsY(0, plot.Axes.GetLimits().Top * 1.1);
        }

        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.ShowLegend(Edge.Right);
        plot.SavePng(file, 820, 440);
    }
}
