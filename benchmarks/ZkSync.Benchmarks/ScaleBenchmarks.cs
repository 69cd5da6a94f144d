using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ZkSync.Client;
using ZkSync.Locks;
using ZkSync.TestSupport;

namespace ZkSync.Benchmarks;

/// <summary>
/// ZkSync's scale rows: many locks held at once by one process, and many distinct names taken and released over a run.
/// </summary>
internal static partial class ScaleBenchmarks
{
    /// <summary>The library of ZkSync's own rows (older files have no library: theirs are ZkSync's).</summary>
    public const string ZkSyncLibrary = "ZkSync";

    /// <summary>One count of locks held at once by one library; a peer has no client watch count and no health check (null).</summary>
    public sealed record HeldRow(
        int Locks,
        double AcquireAllMs,
        double ClientBytesPerLock,
        double? ClientWatchesPerLock,
        double ServerWatchesPerLock,
        double? HealthCheckP50Ms,
        int? HealthCheckJsonBytes,
        int? MaxListedLocks,
        double ReleaseAllMs,
        string Library = ZkSyncLibrary,
        double? ServerChildWatchesPerLock = null);

    /// <summary>One checkpoint of the distinct-names run.</summary>
    public sealed record NamesRow(long NamesTaken, double SegmentAcquisitionsPerSecond, long ClientBytes, long ZnodeCount);

    /// <summary>
    /// The names run of one library: its checkpoints, the ensemble's znode count before it and after the container reaper,
    /// whether the run's root (and so every node of the run) was gone by then, and how long that took; when it was not,
    /// how many nodes were left under it.
    /// </summary>
    public sealed record NamesRun(long BaselineZnodes, List<NamesRow> Checkpoints, long ZnodesAfterReaper, bool RootReaped, double ReaperSeconds, int Callers,
        IReadOnlyDictionary<string, double>? RequestsPerName = null, string Library = ZkSyncLibrary, long? NodesLeft = null);

    /// <summary>Concurrent acquisitions while taking (and releasing) many locks.</summary>
    private const int Parallelism = 64;

    /// <summary>
    /// Holds <paramref name="counts"/> locks at once through the provider of an app built with <c>AddZkSync</c> (which
    /// registers the ZooKeeper health check; default <c>MaxListedLocks</c>), measuring each step.
    /// </summary>
    public static async Task<List<HeldRow>> RunHeldAsync(string connectionString, IReadOnlyList<int> counts, TextWriter log)
    {
        var rows = new List<HeldRow>();
        foreach (var count in counts)
        {
            var builder = Host.CreateApplicationBuilder();
            builder.Logging.ClearProviders();
            var root = "/zksync-bench-held-" + Guid.NewGuid().ToString("N")[..8];
            builder.Services.AddZkSync(options =>
            {
                options.ConnectionString = connectionString;
                options.Locks.RootPath = root;
            });
            using var host = builder.Build();
            await host.StartAsync();
            try
            {
                var client = host.Services.GetRequiredService<ZooKeeperClient>();
                using (var connected = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
                {
                    try
                    {
                        await client.WaitForConnectedAsync(connected.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        throw new InvalidOperationException($"Not connected to {connectionString} after 30 s: {client.State}, {client.LastConnectionError}");
                    }
                }

                var provider = host.Services.GetRequiredService<ZooKeeperLockProvider>();
                var health = host.Services.GetRequiredService<HealthCheckService>();
                var maxListed = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AspNetCore.ZkSyncOptions>>().Value.HealthChecks.MaxListedLocks;

                // Warm the provider (first use of the root) so that the baseline includes what every count shares.
                await (await provider.AcquireAsync("warm-up")).DisposeAsync();
                var memoryBefore = Memory();
                var clientWatchesBefore = client.WatchCount;
                var (dataWatchesBefore, childWatchesBefore) = await ServerWatchesAsync();

                var handles = new ZooKeeperLockHandle[count];
                var started = Stopwatch.GetTimestamp();
                await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = Parallelism },
                    async (i, ct) => handles[i] = await provider.AcquireAsync("held/lock-" + i.ToString(CultureInfo.InvariantCulture), cancellationToken: ct));
                var acquireMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;

                var memory = Memory() - memoryBefore;
                var clientWatches = client.WatchCount - clientWatchesBefore;
                var (dataWatches, childWatches) = await ServerWatchesAsync();

                // The health check: a few warm-up calls, then the median of 21.
                var json = 0;
                var times = new List<double>();
                for (var i = 0; i < 24; i++)
                {
                    var at = Stopwatch.GetTimestamp();
                    var report = await health.CheckHealthAsync();
                    var elapsed = Stopwatch.GetElapsedTime(at).TotalMilliseconds;
                    if (i >= 3)
                    {
                        times.Add(elapsed);
                    }

                    json = JsonSerializer.SerializeToUtf8Bytes(report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), data = e.Value.Data })).Length;
                }

                started = Stopwatch.GetTimestamp();
                await Task.WhenAll(handles.Select(h => h.DisposeAsync().AsTask()));
                var releaseMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                times.Sort();
                var row = new HeldRow(count, acquireMs, (double)memory / count, (double)clientWatches / count, (double)(dataWatches - dataWatchesBefore) / count,
                    times[times.Count / 2], json, maxListed, releaseMs, ZkSyncLibrary, (double)(childWatches - childWatchesBefore) / count);
                rows.Add(row);
                log.WriteLine($"held {count} ZkSync: acquire-all {acquireMs:0} ms, {row.ClientBytesPerLock:0} client bytes and {row.ClientWatchesPerLock:0.00} client / "
                    + $"{row.ServerWatchesPerLock:0.00} server data / {row.ServerChildWatchesPerLock:0.00} child watches per lock, health check p50 {row.HealthCheckP50Ms:0.00} ms ({json} bytes JSON), release-all {releaseMs:0} ms");
            }
            finally
            {
                await host.StopAsync();
            }
        }

        return rows;
    }

    /// <summary>
    /// <paramref name="total"/> distinct names taken and released by <see cref="Parallelism"/> callers on one provider, with
    /// a checkpoint at each power of ten: throughput of the segment, client memory after a full collection, znode count.
    /// Then waits (up to two minutes) for the container reaper to bring the znode count back to its baseline.
    /// </summary>
    public static async Task<NamesRun> RunNamesAsync(string connectionString, long total, TextWriter log)
    {
        var root = "/zksync-bench-names-" + Guid.NewGuid().ToString("N")[..8];
        await using var client = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectionString = connectionString });
        var provider = new ZooKeeperLockProvider(client, new ZooKeeperLockOptions { RootPath = root });
        await (await provider.AcquireAsync("warm-up")).DisposeAsync();
        await client.DeleteAsync(root + "/warm-up");
        var baseline = await ZnodeCountAsync();
        using var requests = new RequestCounter();
        var checkpoints = new List<NamesRow>();
        long next = 0;
        long taken = 0;
        var checkpoint = 1000L;
        while (checkpoint <= total)
        {
            var started = Stopwatch.GetTimestamp();
            var segmentStart = taken;
            var end = checkpoint;
            // Without options ForAsync runs only ProcessorCount of the callers at once (2 here, not 64).
            await Parallel.ForAsync(0, Parallelism, new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (_, ct) =>
            {
                long i;
                while ((i = Interlocked.Increment(ref next) - 1) < end)
                {
                    await (await provider.AcquireAsync("names/" + i.ToString(CultureInfo.InvariantCulture), cancellationToken: ct)).DisposeAsync();
                }
            });
            Interlocked.Exchange(ref next, end);
            taken = end;
            var rate = (taken - segmentStart) / Stopwatch.GetElapsedTime(started).TotalSeconds;
            var row = new NamesRow(taken, rate, Memory(), await ZnodeCountAsync());
            checkpoints.Add(row);
            log.WriteLine($"names {taken:N0} ZkSync: {rate:0} acquisitions/s in the segment, client memory {row.ClientBytes:N0} bytes, znodes {row.ZnodeCount:N0} (baseline {baseline:N0})");
            checkpoint *= 10;
        }

        var perName = requests.PerOperation(taken);
        log.WriteLine("names: requests per name " + string.Join(", ", perName.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value:0.##}"))));

        // Every name's parent is a container: the reaper (znode.container.checkIntervalMs, 1 s in eng/zookeeper.sh)
        // deletes it once empty; then "names" and the root go the same way.
        var reaper = await AwaitReaperAsync(client, root);
        log.WriteLine($"names ZkSync: root {(reaper.Reaped ? "reaped" : "still there")} after {reaper.Seconds:0} s, znodes {reaper.ZnodesAfter:N0} (baseline {baseline:N0})");
        return new NamesRun(baseline, checkpoints, reaper.ZnodesAfter, reaper.Reaped, reaper.Seconds, Parallelism, perName);
    }

    private sealed record Reaper(bool Reaped, double Seconds, long ZnodesAfter, long? NodesLeft);

    /// <summary>How long the reaper may remove nothing under a root before the wait for it ends (ten reaper intervals).</summary>
    private static readonly TimeSpan s_reaperStall = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Waits for the container reaper to delete <paramref name="root"/> (an exists watch on it), up to three minutes, counting
    /// the nodes under it once a second (its reaper interval): once that count has not fallen for <see cref="s_reaperStall"/>
    /// (persistent nodes, which the reaper never deletes; a stat does not tell a container from a persistent node), the
    /// wait ends. Then reads the ensemble's znode count and, if the root is still there, how many nodes it holds (itself included).
    /// </summary>
    private static async Task<Reaper> AwaitReaperAsync(ZooKeeperClient client, string root)
    {
        var waited = Stopwatch.StartNew();
        long? left = null;
        var progressed = TimeSpan.Zero;
        var deleted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var watching = false;
        while (waited.Elapsed < TimeSpan.FromMinutes(3))
        {
            if (!watching)
            {
                deleted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                watching = true;
                if (await client.ExistsAsync(root, _ => deleted.TrySetResult()) is null)
                {
                    return new Reaper(true, waited.Elapsed.TotalSeconds, await ZnodeCountAsync(), null);
                }
            }

            long count;
            try
            {
                count = await client.GetAllChildrenNumberAsync(root) + 1;
            }
            catch (ZooKeeperException e) when (e.Code == ZooKeeperErrorCode.NoNode)
            {
                return new Reaper(true, waited.Elapsed.TotalSeconds, await ZnodeCountAsync(), null);
            }

            if (left is null || count < left)
            {
                (left, progressed) = (count, waited.Elapsed);
            }
            else if (waited.Elapsed - progressed >= s_reaperStall)
            {
                break;
            }

            // The root's deletion, or the next reaper interval; a watch that fired re-checks the root (and watches again).
            await Task.WhenAny(deleted.Task, Task.Delay(TimeSpan.FromSeconds(1)));
            watching = !deleted.Task.IsCompleted;
        }

        return new Reaper(false, waited.Elapsed.TotalSeconds, await ZnodeCountAsync(), left);
    }

    private static long Memory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    // The watches the ensemble holds, summed over its members: data watches (exists, getData: "Total watches:N" in wchs,
    // which leaves child watches out) and child watches (getChildren: mntr's zk_watch_count, which counts both, less those).
    private static async Task<(long Data, long Child)> ServerWatchesAsync()
    {
        long data = 0, all = 0;
        for (var member = 1; member <= ZooKeeperEnsemble.MemberCount; member++)
        {
            var endPoint = ZooKeeperEnsemble.GetMemberEndPoint(member);
            data += long.Parse(TotalWatches().Match(await ZooKeeperEnsemble.SendFourLetterWordAsync(endPoint, "wchs")).Groups[1].Value, CultureInfo.InvariantCulture);
            all += long.Parse(WatchCount().Match(await ZooKeeperEnsemble.SendFourLetterWordAsync(endPoint, "mntr")).Groups[1].Value, CultureInfo.InvariantCulture);
        }

        return (data, all - data);
    }

    // The leader's zk_znode_count (mntr); followers apply the same transactions.
    private static async Task<long> ZnodeCountAsync()
    {
        var reply = await ZooKeeperEnsemble.SendFourLetterWordAsync(ZooKeeperEnsemble.GetMemberEndPoint(await ZooKeeperEnsemble.FindLeaderAsync() ?? 1), "mntr");
        return long.Parse(ZnodeCount().Match(reply).Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"Total watches:(\d+)")]
    private static partial Regex TotalWatches();

    [GeneratedRegex(@"zk_znode_count\s+(\d+)")]
    private static partial Regex ZnodeCount();

    [GeneratedRegex(@"zk_watch_count\s+(\d+)")]
    private static partial Regex WatchCount();
}
