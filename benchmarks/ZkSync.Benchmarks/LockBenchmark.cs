using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using ZkSync.Client;
using ZkSync.Locks;

namespace ZkSync.Benchmarks;

/// <summary>
/// The lock rows, shaped exactly like the Curator and kazoo drivers (tests/peers): the same warm-ups, the same lock
/// layout (one name for the uncontended and handoff rows, one fixed name per caller for the distinct row), plus the
/// floor: the raw requests an acquire+release needs at least (create, getChildren, delete).
/// </summary>
internal static class LockBenchmark
{
    public sealed record Row(string Benchmark, double OpsPerSecond, double? P50Ms, double? P99Ms, IReadOnlyDictionary<string, double>? RequestsPerOp = null);

    public static async Task<IReadOnlyList<Row>> RunAsync(string connectionString, int iterations, TimeSpan duration, TimeSpan warmup, int sessions, int callers)
    {
        var root = "/zksync-bench-locks-" + Guid.NewGuid().ToString("N")[..8];
        var clients = new List<ZooKeeperClient>();
        using var requests = new RequestCounter();
        try
        {
            for (var i = 0; i < sessions; i++)
            {
                clients.Add(await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectionString = connectionString }));
            }

            var providers = clients.Select(c => new ZooKeeperLockProvider(c, new ZooKeeperLockOptions { RootPath = root })).ToList();
            var rows = new List<Row>();

            // (a) Uncontended acquire + release latency, and the floor: create (ephemeral sequential), getChildren,
            // delete, one after another, no recipe. Warm-ups as the peers' (iterations/10 within [10, 100]); then the two
            // alternate in blocks, so that both see the same machine (measured one after the other, the first ran
            // measurably slower than the same work a minute later).
            var floorParent = root + "/floor";
            var floorData = new byte[64];
            Task RawAsync() => FloorOnceAsync(clients[0], floorParent, floorData);

            async Task UncontendedAsync()
            {
                await using (await providers[0].AcquireAsync("uncontended"))
                {
                }
            }

            await UncontendedAsync(); // creates the root
            await clients[0].CreateAsync(floorParent, ReadOnlyMemory<byte>.Empty, CreateMode.Persistent);
            for (var i = 0; i < Math.Min(100, Math.Max(10, iterations / 10)); i++)
            {
                await UncontendedAsync();
                await RawAsync();
            }

            var latencyRows = await MeasureInterleavedAsync(iterations, requests, ("mutex-uncontended", UncontendedAsync), ("floor-uncontended", RawAsync));
            rows.Add(latencyRows[0]);

            // (b) Handoffs per second: every session loops on one lock.
            await CountAsync(warmup, providers.Count, i => providers[i], _ => "handoff", null);
            rows.Add(await CountAsync(duration, providers.Count, i => providers[i], _ => "handoff", requests) with { Benchmark = "mutex-handoff" });

            // (c) Distinct names, many callers on one session: caller i always uses "distinct/lock-i".
            await CountAsync(warmup, callers, _ => providers[0], w => "distinct/lock-" + w, null);
            rows.Add(await CountAsync(duration, callers, _ => providers[0], w => "distinct/lock-" + w, requests) with { Benchmark = "mutex-distinct" });
            rows.Add(latencyRows[1]);
            await clients[0].DeleteAsync(floorParent);
            return rows;
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    /// <summary>The floor of one acquire+release under <paramref name="parent"/>: create (ephemeral sequential), getChildren, delete, one after another.</summary>
    public static async Task FloorOnceAsync(ZooKeeperClient client, string parent, byte[] data)
    {
        var created = await client.CreateAsync(parent + "/lock-", data, CreateMode.EphemeralSequential);
        await client.GetChildrenAsync(parent);
        await client.DeleteAsync(created.Path);
    }

    /// <summary>Runs each operation <paramref name="iterations"/> times, in alternating blocks of a tenth, and returns a latency row per operation.</summary>
    public static async Task<IReadOnlyList<Row>> MeasureInterleavedAsync(int iterations, RequestCounter requests, params (string Benchmark, Func<Task> Operation)[] operations)
    {
        const int Blocks = 10;
        var latencies = operations.Select(_ => new double[iterations]).ToArray();
        var counts = operations.Select(_ => new Dictionary<string, double>()).ToArray();
        for (var block = 0; block < Blocks; block++)
        {
            var (from, to) = (iterations * block / Blocks, iterations * (block + 1) / Blocks);
            for (var o = 0; o < operations.Length; o++)
            {
                requests.Reset();
                for (var i = from; i < to; i++)
                {
                    var start = Stopwatch.GetTimestamp();
                    await operations[o].Operation();
                    latencies[o][i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                }

                foreach (var (operation, perOp) in requests.PerOperation(iterations))
                {
                    counts[o][operation] = counts[o].GetValueOrDefault(operation) + perOp;
                }
            }
        }

        return [.. operations.Select((operation, o) =>
        {
            Array.Sort(latencies[o]);
            return new Row(operation.Benchmark, iterations / latencies[o].Sum() * 1000, latencies[o][iterations / 2], latencies[o][(int)(iterations * 0.99)], counts[o]);
        })];
    }

    private static async Task<Row> CountAsync(TimeSpan duration, int workers, Func<int, ZooKeeperLockProvider> provider, Func<int, string> name, RequestCounter? requests)
    {
        requests?.Reset();
        long count = 0;
        var stopAt = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            var lockName = name(w);
            while (Stopwatch.GetTimestamp() < stopAt)
            {
                await using (await provider(w).AcquireAsync(lockName))
                {
                    Interlocked.Increment(ref count);
                }
            }
        })));
        var rate = count / watch.Elapsed.TotalSeconds;
        return new Row("", rate, null, null, requests?.PerOperation(count));
    }
}

/// <summary>Counts the client's completed requests by operation (measurements of db.client.operation.duration per db.operation.name), for the round-trip diagnosis.</summary>
internal sealed class RequestCounter : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _counts = new();

    public RequestCounter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == ZkSyncDiagnostics.MeterName && instrument.Name == "db.client.operation.duration")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            string? operation = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "db.operation.name")
                {
                    operation = tag.Value as string;
                }
            }

            _counts.AddOrUpdate(operation ?? "?", 1, (_, old) => old + 1);
        });
        _listener.Start();
    }

    public void Reset() => _counts.Clear();

    public IReadOnlyDictionary<string, double> PerOperation(long operations) =>
        _counts.ToDictionary(p => p.Key, p => operations == 0 ? 0 : (double)p.Value / operations);

    public void Dispose() => _listener.Dispose();
}
