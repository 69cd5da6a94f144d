using System.Diagnostics;
using ZkSync.Client;

namespace ZkSync.Benchmarks;

/// <summary>
/// getData and setData operations per second with a fixed number of requests in flight on one session, plus bytes
/// allocated per request. The same shape as the Java client driver (tests/peers/java/JavaClientBench.java).
/// </summary>
internal static class ClientThroughputBenchmark
{
    public sealed record Result(string Operation, int InFlight, double Seconds, long Operations, double OpsPerSecond, double BytesAllocatedPerOp);

    public static async Task<IReadOnlyList<Result>> RunAsync(string connectionString, int inFlight, TimeSpan duration, TimeSpan warmup)
    {
        await using var client = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectionString = connectionString });
        var path = "/zksync-bench-" + Guid.NewGuid().ToString("N")[..8];
        await client.CreateAsync(path, new byte[64]);
        try
        {
            var payload = new byte[64];
            var results = new List<Result>();
            foreach (var (name, op) in new (string, Func<Task>)[]
            {
                ("getData", () => client.GetDataAsync(path)),
                ("setData", () => client.SetDataAsync(path, payload)),
            })
            {
                await MeasureAsync(op, inFlight, warmup);
                results.Add(await MeasureAsync(op, inFlight, duration) with { Operation = name });
            }

            return results;
        }
        finally
        {
            await client.DeleteAsync(path);
        }
    }

    private static async Task<Result> MeasureAsync(Func<Task> operation, int inFlight, TimeSpan duration)
    {
        long count = 0;
        var stopAt = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var watch = Stopwatch.StartNew();
        var workers = new Task[inFlight];
        for (var i = 0; i < inFlight; i++)
        {
            workers[i] = Task.Run(async () =>
            {
                while (Stopwatch.GetTimestamp() < stopAt)
                {
                    await operation().ConfigureAwait(false);
                    Interlocked.Increment(ref count);
                }
            });
        }

        await Task.WhenAll(workers);
        watch.Stop();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        return new Result("", inFlight, watch.Elapsed.TotalSeconds, count, count / watch.Elapsed.TotalSeconds, (double)allocated / Math.Max(1, count));
    }
}
