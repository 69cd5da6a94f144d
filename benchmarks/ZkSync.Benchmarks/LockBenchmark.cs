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

            // (a) Uncontended acquire + release latency (warm-up as the peers: iterations/10 within [10, 100]).
            for (var i = 0; i < Math.Min(100, Math.Max(10, iterations / 10)); i++)
            {
                await using (await providers[0].AcquireAsync("uncontended"))
                {
                }
            }

            requests.Reset();
            rows.Add(await MeasureLatencyAsync("mutex-uncontended", iterations, requests, async () =>
            {
                await using (await providers[0].AcquireAsync("uncontended"))
                {
                }
            }));

            // (b) Handoffs per second: every session loops on one lock.
            await CountAsync(warmup, providers.Count, i => providers[i], _ => "handoff", null);
            rows.Add(await CountAsync(duration, providers.Count, i => providers[i], _ => "handoff", requests) with { Benchmark = "mutex-handoff" });

            // (c) Distinct names, many callers on one session: caller i always uses "distinct/lock-i".
            await CountAsync(warmup, callers, _ => providers[0], w => "distinct/lock-" + w, null);
            rows.Add(await CountAsync(duration, callers, _ => providers[0], w => "distinct/lock-" + w, requests) with { Benchmark = "mutex-distinct" });

            // (d) The floor: create (ephemeral sequential), getChildren, delete, one after another, no recipe.
            var floorParent = root + "/floor";
            await clients[0].CreateAsync(floorParent, ReadOnlyMemory<byte>.Empty, CreateMode.Persistent);
            var floorData = new byte[64];
            async Task RawAsync()
            {
                var created = await clients[0].CreateAsync(floorParent + "/lock-", floorData, CreateMode.EphemeralSequential);
                await clients[0].GetChildrenAsync(floorParent);
                await clients[0].DeleteAsync(created.Path);
            }

            for (var i = 0; i < Math.Min(100, Math.Max(10, iterations / 10)); i++)
            {
                await RawAsync();
            }

            requests.Reset();
            rows.Add(await MeasureLatencyAsync("floor-uncontended", iterations, requests, RawAsync));
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

    private static async Task<Row> MeasureLatencyAsync(string benchmark, int iterations, RequestCounter requests, Func<Task> operation)
    {
        requests.Reset();
        var latencies = new double[iterations];
        for (var i = 0; i < iterations; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await operation();
            latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        var perOp = requests.PerOperation(iterations);
        Array.Sort(latencies);
        return new Row(benchmark, iterations / latencies.Sum() * 1000, latencies[iterations / 2], latencies[(int)(iterations * 0.99)], perOp);
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
