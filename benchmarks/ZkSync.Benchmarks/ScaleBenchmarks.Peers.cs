using System.Globalization;
using ZkSync.Client;
using ZkSync.TestSupport;
using ZkSync.TestSupport.Peers;

namespace ZkSync.Benchmarks;

/// <summary>
/// The peers' side of the scale rows (Curator's InterProcessMutex, kazoo's Lock), shaped like ZkSync's: the driver
/// (<see cref="PeerScaleDriver"/>) takes the locks, and this process reads the ensemble between its steps with the same
/// code as for ZkSync.
/// </summary>
internal static partial class ScaleBenchmarks
{
    /// <summary>The peer libraries of the scale rows, in the order they run (after ZkSync).</summary>
    public static readonly string[] PeerLibraries = ["curator", "kazoo"];

    /// <summary>
    /// <paramref name="library"/> holds <paramref name="counts"/> locks at once (<see cref="Parallelism"/> threads taking
    /// them, each keeping its own), after a warm-up lock under the same root; its memory is the driver's (see
    /// <see cref="PeerScaleDriver.MemoryAsync"/>). The run's nodes are deleted afterwards (kazoo's parents are persistent).
    /// </summary>
    public static async Task<List<HeldRow>> RunPeerHeldAsync(string library, string connectionString, IReadOnlyList<int> counts, TextWriter log)
    {
        var rows = new List<HeldRow>();
        await using var client = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectionString = connectionString });
        await using var driver = await StartDriverAsync(library, connectionString);
        foreach (var count in counts)
        {
            var root = $"/zksync-bench-held-{library}-{Guid.NewGuid().ToString("N")[..8]}";
            try
            {
                await driver.HoldAsync(root + "/warm-up", 1, 1);
                await driver.ReleaseAsync(1);
                var memoryBefore = await driver.MemoryAsync();
                var (dataBefore, childBefore) = await ServerWatchesAsync();

                var acquire = await driver.HoldAsync(root + "/held", count, Parallelism);
                var memory = await driver.MemoryAsync() - memoryBefore;
                var (data, child) = await ServerWatchesAsync();
                var release = await driver.ReleaseAsync(count);

                var row = new HeldRow(count, acquire.TotalMilliseconds, (double)memory / count, null, (double)(data - dataBefore) / count,
                    null, null, null, release.TotalMilliseconds, library, (double)(child - childBefore) / count);
                rows.Add(row);
                log.WriteLine($"held {count} {library}: acquire-all {row.AcquireAllMs:0} ms, {row.ClientBytesPerLock:0} client bytes and "
                    + $"{row.ServerWatchesPerLock:0.00} server data / {row.ServerChildWatchesPerLock:0.00} child watches per lock, release-all {row.ReleaseAllMs:0} ms");
            }
            finally
            {
                await ZooKeeperTree.DeleteAsync(client, root);
            }
        }

        return rows;
    }

    /// <summary>
    /// <paramref name="library"/> takes and releases <paramref name="total"/> distinct names with <see cref="Parallelism"/>
    /// threads on one session, with ZkSync's checkpoints; then waits for the container reaper as for ZkSync, counts what
    /// is left, and deletes it.
    /// </summary>
    public static async Task<NamesRun> RunPeerNamesAsync(string library, string connectionString, long total, TextWriter log)
    {
        var root = $"/zksync-bench-names-{library}-{Guid.NewGuid().ToString("N")[..8]}";
        await using var client = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectionString = connectionString });
        await using var driver = await StartDriverAsync(library, connectionString);
        try
        {
            // The same warm-up as ZkSync's: one lock under the root, its parent deleted before the baseline.
            await driver.HoldAsync(root + "/warm-up", 1, 1);
            await driver.ReleaseAsync(1);
            await ZooKeeperTree.DeleteAsync(client, root + "/warm-up");
            var baseline = await ZnodeCountAsync();
            var checkpoints = new List<NamesRow>();
            long taken = 0;
            for (var checkpoint = 1000L; checkpoint <= total; checkpoint *= 10)
            {
                var elapsed = await driver.TakeNamesAsync(root + "/names", taken, checkpoint, Parallelism);
                var rate = (checkpoint - taken) / elapsed.TotalSeconds;
                taken = checkpoint;
                var row = new NamesRow(taken, rate, await driver.MemoryAsync(), await ZnodeCountAsync());
                checkpoints.Add(row);
                log.WriteLine($"names {taken:N0} {library}: {rate:0} acquisitions/s in the segment, client memory {row.ClientBytes:N0} bytes, "
                    + $"znodes {row.ZnodeCount:N0} (baseline {baseline:N0})");
            }

            var reaper = await AwaitReaperAsync(client, root);
            log.WriteLine($"names {library}: root {(reaper.Reaped ? "reaped" : "still there")} after {reaper.Seconds:0} s, "
                + $"{reaper.NodesLeft ?? 0:N0} nodes left under it, znodes {reaper.ZnodesAfter:N0} (baseline {baseline:N0})");
            return new NamesRun(baseline, checkpoints, reaper.ZnodesAfter, reaper.Reaped, reaper.Seconds, Parallelism, null, library, reaper.NodesLeft);
        }
        finally
        {
            await ZooKeeperTree.DeleteAsync(client, root);
        }
    }

    private static Task<PeerScaleDriver> StartDriverAsync(string library, string connectionString) => library switch
    {
        "curator" => PeerScaleDriver.StartCuratorAsync(connectionString),
        "kazoo" => PeerScaleDriver.StartKazooAsync(connectionString),
        _ => throw new ArgumentOutOfRangeException(nameof(library), library, $"The scale rows' peers are {string.Join(", ", PeerLibraries)}."),
    };

    /// <summary>Parses the peers' names caps, <c>library=count,...</c> (for example <c>kazoo=10000</c>); empty for none.</summary>
    public static Dictionary<string, long> ParsePeerCaps(string text)
    {
        var caps = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = item.Split('=');
            if (parts.Length != 2 || !PeerLibraries.Contains(parts[0]) || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var cap) || cap < 1000)
            {
                throw new ArgumentException(
                    $"Peer names cap '{item}' is not <library>=<count>: the library is one of {string.Join(", ", PeerLibraries)}, the count a whole number of at least 1000 (the first checkpoint).");
            }

            caps[parts[0]] = cap;
        }

        return caps;
    }
}
