using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using ZkSync.TestSupport.Peers;

namespace ZkSync.Benchmarks;

/// <summary>Runs every benchmark row next to its peers on the same ensemble in the same run and writes a markdown report.</summary>
internal static class Report
{
    /// <param name="connectionString">The ensemble of the single-point sections.</param>
    /// <param name="duration">Seconds per row.</param>
    /// <param name="output">The report's path; the queue curve's JSON files and charts are in its <c>benchmarks/</c> folder.</param>
    /// <param name="fsync">The fsync mode (<c>on</c>/<c>off</c>) of the ensemble the single-point sections run on.</param>
    public static async Task<string> BuildAsync(string connectionString, TimeSpan duration, string output, string fsync)
    {
        var warmup = TimeSpan.FromSeconds(Math.Max(1, duration.TotalSeconds / 4));
        var builder = new StringBuilder();
        builder.AppendLine("# ZkSync benchmark report");
        builder.AppendLine();
        builder.AppendLine(CultureInfo.InvariantCulture, $"Generated {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC by `bash eng/bench.sh`. The queue curve, the scale rows and the reconnect storm ran on a 3-member ensemble with fsync on and again on one with fsync off (ZooKeeper's `forceSync`); each says when it ran (their results are kept as JSON files beside the charts, and a run of one mode leaves the other mode's files as they were). The single-point sections at the end ran last, on the ensemble with fsync {fsync} (`{connectionString}`).");
        builder.AppendLine();
        builder.AppendLine("## Machine");
        builder.AppendLine();
        foreach (var line in await DescribeMachineAsync())
        {
            builder.AppendLine("- " + line);
        }

        builder.AppendLine();
        var curves = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(output))!, "benchmarks");
        builder.AppendLine(QueueSection.StartMarker);
        builder.Append(QueueSection.Render(await QueueSection.ReadRunsAsync(curves), curves, "benchmarks"));
        builder.AppendLine(QueueSection.EndMarker);
        builder.AppendLine();
        builder.AppendLine(ScaleSection.StartMarker);
        builder.Append(ScaleSection.Render(await ScaleSection.ReadRunsAsync(curves), curves, "benchmarks"));
        builder.AppendLine(ScaleSection.EndMarker);
        builder.AppendLine();
        builder.AppendLine(StormSection.StartMarker);
        builder.Append(StormSection.Render(await StormSection.ReadRunsAsync(curves), curves, "benchmarks"));
        builder.AppendLine(StormSection.EndMarker);
        builder.AppendLine();
        builder.AppendLine(CultureInfo.InvariantCulture, $"## Client throughput: 1,000 requests in flight on one session, {duration.TotalSeconds:0} s per row");
        builder.AppendLine();
        builder.AppendLine("| operation | client | ops/s | bytes allocated per op |");
        builder.AppendLine("|---|---|---:|---:|");
        var ours = await ClientThroughputBenchmark.RunAsync(connectionString, 1000, duration, warmup);
        var java = await PeerBenchmarks.RunJavaClientAsync(connectionString, "/zksync-bench-java",
            new PeerBenchmarkOptions { Duration = duration, Warmup = warmup, InFlight = 1000, ValueBytes = 64 });
        foreach (var row in ours)
        {
            builder.AppendLine(CultureInfo.InvariantCulture, $"| {row.Operation} | ZkSync | {row.OpsPerSecond:N0} | {row.BytesAllocatedPerOp:N0} |");
            if (java.FirstOrDefault(j => j.Benchmark == row.Operation) is { } peer)
            {
                builder.AppendLine(CultureInfo.InvariantCulture, $"| {row.Operation} | ZooKeeper Java client 3.8 | {peer.OperationsPerSecond:N0} | n/a |");
            }
        }

        builder.AppendLine();
        builder.AppendLine("Both clients use 64-byte values on one znode.");
        builder.AppendLine();
        builder.AppendLine(CultureInfo.InvariantCulture, $"## Locks: uncontended acquire+release (1,000 times), handoffs between 8 sessions on one lock and acquisitions on distinct names by 64 callers on one session ({duration.TotalSeconds:0} s each), {LockRounds} rounds");
        builder.AppendLine();
        builder.AppendLine("| row | library | ops/s (median) | ops/s (each round) | p50 ms | p99 ms |");
        builder.AppendLine("|---|---|---:|---:|---:|---:|");
        var peerOptions = new PeerBenchmarkOptions { Duration = duration, Warmup = warmup, Iterations = 1000, Sessions = 8, Callers = 64 };
        var samples = new List<LockSample>();
        IReadOnlyList<LockBenchmark.Row> zkSyncLocks = [];
        var kazooAvailable = true;
        for (var round = 0; round < LockRounds; round++)
        {
            // Each round starts with another library, so that none always runs first (cold ensemble) or last.
            for (var turn = 0; turn < 3; turn++)
            {
                switch ((round + turn) % 3)
                {
                    case 0:
                        zkSyncLocks = await LockBenchmark.RunAsync(connectionString, 1000, duration, warmup, 8, 64);
                        samples.AddRange(zkSyncLocks.Select(r => new LockSample(r.Benchmark, "ZkSync", r.OpsPerSecond, r.P50Ms, r.P99Ms)));
                        break;
                    case 1:
                        var curator = await PeerBenchmarks.RunCuratorLockAsync(connectionString, "/zksync-bench-curator", peerOptions);
                        samples.AddRange(curator.Select(PeerSample));
                        break;
                    case 2 when kazooAvailable:
                        try
                        {
                            var kazoo = await PeerBenchmarks.RunKazooLockAsync(connectionString, "/zksync-bench-kazoo", peerOptions);
                            samples.AddRange(kazoo.Select(PeerSample));
                        }
                        catch (Exception ex) when (ex is PeerUnavailableException or InvalidOperationException)
                        {
                            kazooAvailable = false;
                            Console.Error.WriteLine("kazoo rows skipped: " + ex.Message);
                        }

                        break;
                }
            }
        }

        foreach (var benchmark in samples.Select(s => s.Benchmark).Distinct())
        {
            foreach (var library in samples.Where(s => s.Benchmark == benchmark).Select(s => s.Library).Distinct())
            {
                var rounds = samples.Where(s => s.Benchmark == benchmark && s.Library == library).ToList();
                var each = string.Join(" / ", rounds.Select(r => r.OpsPerSecond.ToString("N0", CultureInfo.InvariantCulture)));
                builder.AppendLine(CultureInfo.InvariantCulture,
                    $"| {benchmark} | {library} | {Median(rounds.Select(r => r.OpsPerSecond)):N0} | {each} | {Ms(Median(rounds.Select(r => r.P50Ms)))} | {Ms(Median(rounds.Select(r => r.P99Ms)))} |");
            }
        }

        builder.AppendLine();
        builder.AppendLine(CultureInfo.InvariantCulture, $"Each library ran all its rows once per round, {LockRounds} rounds, in a rotating order; the table shows the median of the rounds (ops/s, p50 and p99 each on their own). The spread between rounds is the machine's, not the library's: compare medians.");
        builder.AppendLine();
        builder.AppendLine("ZooKeeper requests ZkSync sent per operation in the last round (measurements of the `db.client.operation.duration` histogram per `db.operation.name`; create and getChildren go out together; a holder that was first in line at once is guarded by the child watch of that listing and sends no exists; a waiter sets an exists watch on its own node without waiting for it):");
        builder.AppendLine();
        foreach (var row in zkSyncLocks.Where(r => r.RequestsPerOp is { Count: > 0 }))
        {
            var counts = string.Join(", ", row.RequestsPerOp!.Where(p => p.Value >= 0.005).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value:0.##}")));
            builder.AppendLine(CultureInfo.InvariantCulture, $"- {row.Benchmark}: {counts}");
        }

        builder.AppendLine();
        builder.AppendLine("`floor-uncontended` is the least any acquire+release can cost: ZkSync's client sending create (ephemeral sequential), getChildren and delete one after another, no recipe; "
            + "it and ZkSync's uncontended row alternate in blocks of 100 on the same session, so that both see the same machine. "
            + "All three libraries run the same shapes (tests/peers): warm-ups first, one name for the uncontended and handoff rows, one fixed name per caller for the distinct row.");

        builder.AppendLine();
        builder.AppendLine(CultureInfo.InvariantCulture, $"## End to end: an ASP.NET Core endpoint with and without `RequireDistributedLock`, driven by wrk ({HttpBenchmark.Threads} threads, {HttpBenchmark.Connections} connections, {duration.TotalSeconds:0} s each)");
        builder.AppendLine();
        builder.AppendLine("| scenario | requests/s | p50 ms | p99 ms | non-2xx |");
        builder.AppendLine("|---|---:|---:|---:|---:|");
        var http = await HttpBenchmark.RunAsync(connectionString, duration);
        foreach (var row in http.Rows)
        {
            builder.AppendLine(CultureInfo.InvariantCulture, $"| {row.Scenario} | {row.RequestsPerSecond:N0} | {row.P50Ms:0.00} | {row.P99Ms:0.00} | {row.Non2xx:N0} of {row.Requests:N0} |");
        }

        builder.AppendLine();
        builder.AppendLine(CultureInfo.InvariantCulture, $"### At low load: one connection, 1 wrk thread, no queueing ({HttpBenchmark.LowLoadRounds} rounds of {duration.TotalSeconds:0} s per row)");
        builder.AppendLine();
        builder.AppendLine("What the lock adds to a request at p50 (locked minus unlocked, same round) next to the lock's own floor, measured in the same round on the app's own session: "
            + "raw requests one after another, no recipe; on one name create (ephemeral sequential), getChildren, delete; on a new name the name's container first, then the same three.");
        builder.AppendLine();
        builder.AppendLine("| round | unlocked p50 ms | one id: locked p50 ms | one id: lock adds | one id: floor | new id each time: locked p50 ms | new id: lock adds | new id: floor |");
        builder.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        var lowRows = http.LowLoad.Select(r => (
            Unlocked: r.Unlocked.P50Ms, OneId: r.LockedOneId.P50Ms, OneIdAdds: r.LockedOneId.P50Ms - r.Unlocked.P50Ms, OneFloor: r.FloorOneNameP50Ms,
            NewId: r.LockedNewId.P50Ms, NewIdAdds: r.LockedNewId.P50Ms - r.Unlocked.P50Ms, NewFloor: r.FloorNewNameP50Ms)).ToList();
        for (var round = 0; round < lowRows.Count; round++)
        {
            var r = lowRows[round];
            builder.AppendLine(CultureInfo.InvariantCulture,
                $"| {round + 1} | {r.Unlocked:0.00} | {r.OneId:0.00} | {r.OneIdAdds:0.00} | {r.OneFloor:0.00} | {r.NewId:0.00} | {r.NewIdAdds:0.00} | {r.NewFloor:0.00} |");
        }

        var (oneIdAdds, oneFloor) = (Median(lowRows.Select(r => r.OneIdAdds)), Median(lowRows.Select(r => r.OneFloor)));
        var (newIdAdds, newFloor) = (Median(lowRows.Select(r => r.NewIdAdds)), Median(lowRows.Select(r => r.NewFloor)));
        builder.AppendLine(CultureInfo.InvariantCulture,
            $"| median | {Median(lowRows.Select(r => r.Unlocked)):0.00} | {Median(lowRows.Select(r => r.OneId)):0.00} | **{oneIdAdds:0.00}** | **{oneFloor:0.00}** | {Median(lowRows.Select(r => r.NewId)):0.00} | **{newIdAdds:0.00}** | **{newFloor:0.00}** |");
        builder.AppendLine();
        static string PerRequest(HttpBenchmark.Row row) => string.Join(", ", (row.ZooKeeperRequestsPerRequest ?? new Dictionary<string, double>()).Where(p => p.Value >= 0.005)
            .OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value:0.##}")));
        static string Verdict(double adds, double floor) => adds <= floor
            ? string.Create(CultureInfo.InvariantCulture, $"within the floor ({floor - adds:0.00} ms under it)")
            : string.Create(CultureInfo.InvariantCulture, $"{adds - floor:0.00} ms over the floor");
        var last = http.LowLoad[^1];
        builder.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"Medians of the rounds: on one id the lock adds {oneIdAdds:0.00} ms against a floor of {oneFloor:0.00} ms, {Verdict(oneIdAdds, oneFloor)}; "
            + $"on a new id each time it adds {newIdAdds:0.00} ms against {newFloor:0.00} ms, {Verdict(newIdAdds, newFloor)}. "
            + $"The lock can come in under its floor because it sends create and getChildren together (and, on a new name, the container with them) where the floor waits for each reply. "
            + $"Requests/s in the last round: unlocked {last.Unlocked.RequestsPerSecond:N0}, one id {last.LockedOneId.RequestsPerSecond:N0}, new ids {last.LockedNewId.RequestsPerSecond:N0}. "
            + $"ZooKeeper requests per locked request (last round): on one id {PerRequest(last.LockedOneId)}; on a new id {PerRequest(last.LockedNewId)}."));

        builder.AppendLine();
        builder.AppendLine("The app (Kestrel), wrk and the three ZooKeeper members share the machine's cores. Each locked request takes and releases");
        builder.AppendLine("its lock (two writes to the ensemble); on the hot id, requests that find the lock held are answered 409 at once (the");
        builder.AppendLine("default wait timeout is zero), which the non-2xx column counts; once a name was found held, a refusal looks first");
        builder.AppendLine("(sync and getChildren) and writes nothing.");
        builder.AppendLine();
        builder.AppendLine("Numbers from a shared 2-core machine vary by ±20 % between runs; compare rows of the same run.");
        return builder.ToString();
    }

    /// <summary>How many times each library runs its lock rows (rotating order); the report shows medians.</summary>
    private const int LockRounds = 3;

    private static LockSample PeerSample(PeerBenchmarkResult result) =>
        new(result.Benchmark, result.Peer, result.OperationsPerSecond, result.P50Milliseconds, result.P99Milliseconds);

    private static double? Median(IEnumerable<double?> values)
    {
        var known = values.OfType<double>().Order().ToList();
        return known.Count == 0 ? null : known.Count % 2 == 1 ? known[known.Count / 2] : (known[(known.Count / 2) - 1] + known[known.Count / 2]) / 2;
    }

    private static double Median(IEnumerable<double> values) => Median(values.Select(v => (double?)v)) ?? 0;

    private sealed record LockSample(string Benchmark, string Library, double OpsPerSecond, double? P50Ms, double? P99Ms);

    private static string Ms(double? value) => value is { } v ? v.ToString("0.00", CultureInfo.InvariantCulture) : "";

    // The file system the ensemble writes to (what fsync costs depends on it): df's type and device for the current folder.
    private static async Task<string> DescribeStorageAsync()
    {
        try
        {
            var startInfo = new System.Diagnostics.ProcessStartInfo("df", "--output=fstype,source .") { RedirectStandardOutput = true, UseShellExecute = false };
            using var process = System.Diagnostics.Process.Start(startInfo)!;
            var lines = (await process.StandardOutput.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            await process.WaitForExitAsync();
            return lines.Length > 1 ? string.Join(" ", lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)) : "unknown";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }

    private static async Task<IEnumerable<string>> DescribeMachineAsync()
    {
        var lines = new List<string>
        {
            $"OS: {RuntimeInformation.OSDescription} ({RuntimeInformation.OSArchitecture})",
            $"CPU cores: {Environment.ProcessorCount}",
            $".NET: {RuntimeInformation.FrameworkDescription}",
        };
        if (File.Exists("/proc/cpuinfo"))
        {
            var model = (await File.ReadAllLinesAsync("/proc/cpuinfo")).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (model is not null)
            {
                lines.Add("CPU: " + model[(model.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim());
            }
        }

        if (File.Exists("/proc/meminfo"))
        {
            var total = (await File.ReadAllLinesAsync("/proc/meminfo")).FirstOrDefault(l => l.StartsWith("MemTotal", StringComparison.Ordinal));
            if (total is not null)
            {
                lines.Add("Memory: " + total[(total.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim());
            }
        }

        lines.Add("ZooKeeper: Debian zookeeper 3.8 package, 3 members on loopback, -Xmx256m each (eng/zookeeper.sh; `ZK_FORCE_SYNC=yes` for fsync on)");
        lines.Add("Storage under the ensemble's data: " + await DescribeStorageAsync());
        return lines;
    }
}
