using System.Diagnostics;
using ZkSync.Client;
using ZkSync.Locks;

namespace ZkSync.Benchmarks;

/// <summary>The lock rows, shaped like the Curator and kazoo drivers (tests/peers): uncontended latency, handoffs, distinct names.</summary>
internal static class LockBenchmark
{
    public sealed record Row(string Benchmark, double OpsPerSecond, double? P50Ms, double? P99Ms);

    /// <summary>Runs the three rows the way the peer drivers do: same iterations, warm-up before each timed row, one lock name per caller.</summary>
    public static async Task<IReadOnlyList<Row>> RunAsync(string connectionString, int iterations, TimeSpan duration, TimeSpan warmup, int sessions, int callers)
    {
        var root = "/zksync-bench-locks-" + Guid.NewGuid().ToString("N")[..8];
        var clients = new List<ZooKeeperClient>();
        try
        {
            for (var i = 0; i < sessions; i++)
            {
                clients.Add(await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectionString = connectionString }));
            }

            var providers = clients.Select(c => new ZooKeeperLockProvider(c, new ZooKeeperLockOptions { RootPath = root })).ToList();
            var rows = new List<Row>();

            // (a) Uncontended acquire + release latency.
            var latencies = new double[iterations];
            for (var i = 0; i < iterations; i++)
            {
                var start = Stopwatch.GetTimestamp();
                await using (await providers[0].AcquireAsync("uncontended"))
                {
                }

                latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }

            Array.Sort(latencies);
            rows.Add(new Row("mutex-uncontended", iterations / latencies.Sum() * 1000, latencies[iterations / 2], latencies[(int)(iterations * 0.99)]));

            // (b) Handoffs per second: every session loops on one lock.
            await CountAsync(warmup, providers.Count, i => providers[i], _ => "handoff");
            rows.Add(new Row("mutex-handoff", await CountAsync(duration, providers.Count, i => providers[i], _ => "handoff"), null, null));

            // (c) Distinct names, many callers on one session: each caller loops on its own name, as the peers' callers do.
            await CountAsync(warmup, callers, _ => providers[0], w => "distinct/lock-" + w);
            rows.Add(new Row("mutex-distinct", await CountAsync(duration, callers, _ => providers[0], w => "distinct/lock-" + w), null, null));
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

    private static async Task<double> CountAsync(TimeSpan duration, int workers, Func<int, ZooKeeperLockProvider> provider, Func<int, string> name)
    {
        long count = 0;
        var stopAt = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            while (Stopwatch.GetTimestamp() < stopAt)
            {
                await using (await provider(w).AcquireAsync(name(w)))
                {
                    Interlocked.Increment(ref count);
                }
            }
        })));
        return count / watch.Elapsed.TotalSeconds;
    }
}
