using System.Collections.Concurrent;
using System.Diagnostics;
using ZkSync.Client;
using ZkSync.Locks;
using ZkSync.TestSupport.Peers;

namespace ZkSync.Benchmarks;

/// <summary>
/// The queue-length curve: N sessions queueing on one lock (each waits as long as the run lasts), for ZkSync,
/// Curator and kazoo in the same run. The measured window follows the warm-up within one run, so the queue has formed. Every library's sessions go through a fresh <see cref="CountingProxy"/>, so
/// requests and bytes per handoff are counted the same way for all three, in the measured window only.
/// </summary>
internal static class QueueCurve
{
    public static readonly string[] Libraries = ["ZkSync", "curator", "kazoo"];

    /// <summary>One library at one queue length in one round.</summary>
    public sealed record Point(
        string Library,
        int Sessions,
        int Round,
        long Handoffs,
        double Seconds,
        double HandoffsPerSecond,
        double RequestsPerHandoff,
        double BytesReceivedPerHandoff,
        double BytesSentPerHandoff,
        double P50WaitMs,
        double P99WaitMs,
        long Errors,
        IReadOnlyDictionary<string, double> RequestsPerHandoffByOperation);

    public static async Task<List<Point>> RunAsync(string connectionString, IReadOnlyList<int> sizes, TimeSpan duration, TimeSpan warmup, int rounds, TextWriter log)
    {
        var points = new List<Point>();
        var skipped = new HashSet<string>(StringComparer.Ordinal);
        for (var round = 0; round < rounds; round++)
        {
            foreach (var sessions in sizes)
            {
                // Each round and size starts with another library, so that none always runs first or last.
                for (var turn = 0; turn < Libraries.Length; turn++)
                {
                    var library = Libraries[(round + turn + sessions) % Libraries.Length];
                    if (skipped.Contains(library))
                    {
                        continue;
                    }

                    try
                    {
                        var point = await RunOneAsync(library, connectionString, sessions, duration, warmup, round);
                        points.Add(point);
                        log.WriteLine($"queue round {round + 1} N={sessions} {library}: {point.HandoffsPerSecond:0} handoffs/s, "
                            + $"{point.RequestsPerHandoff:0.00} requests and {point.BytesReceivedPerHandoff:0} bytes received per handoff, "
                            + $"wait p50 {point.P50WaitMs:0.0} ms p99 {point.P99WaitMs:0.0} ms, errors {point.Errors}");
                    }
                    catch (PeerUnavailableException e)
                    {
                        skipped.Add(library);
                        log.WriteLine($"{library} skipped: {e.Message}");
                    }
                }
            }
        }

        return points;
    }

    private static async Task<Point> RunOneAsync(string library, string connectionString, int sessions, TimeSpan duration, TimeSpan warmup, int round)
    {
        await using var proxy = CountingProxy.Start(connectionString);
        CountingProxy.Traffic? start = null, end = null;
        void Mark(string mark)
        {
            if (mark == "window-start")
            {
                start = proxy.Snapshot();
            }
            else if (mark == "window-end")
            {
                end = proxy.Snapshot();
            }
        }

        var options = new PeerBenchmarkOptions { Duration = duration, Warmup = warmup, Sessions = sessions, Iterations = 0, Callers = 1 };
        var root = "/zksync-bench-queue-" + library.ToLowerInvariant();
        var result = library switch
        {
            "ZkSync" => await RunZkSyncAsync(proxy.ConnectionString, root, sessions, duration, warmup, Mark),
            "curator" => await PeerBenchmarks.RunCuratorQueueAsync(proxy.ConnectionString, root, options, Mark),
            _ => await PeerBenchmarks.RunKazooQueueAsync(proxy.ConnectionString, root, options, Mark),
        };
        if (start is null || end is null)
        {
            throw new InvalidOperationException($"{library} did not mark its measured window.");
        }

        var window = end.Minus(start);
        double Per(long value) => result.Operations == 0 ? 0 : (double)value / result.Operations;
        return new Point(
            library, sessions, round, result.Operations, result.Seconds, result.OperationsPerSecond,
            Per(window.RequestCount), Per(window.ServerToClientBytes), Per(window.ClientToServerBytes),
            result.P50Milliseconds ?? 0, result.P99Milliseconds ?? 0, result.Errors,
            window.Requests.Where(p => p.Value > 0).ToDictionary(p => p.Key, p => Per(p.Value), StringComparer.Ordinal));
    }

    /// <summary>ZkSync's side of the row, shaped like the peers' <c>mutex-queue</c>.</summary>
    private static async Task<PeerBenchmarkResult> RunZkSyncAsync(string connectionString, string root, int sessions, TimeSpan duration, TimeSpan warmup, Action<string> mark)
    {
        var clients = new List<ZooKeeperClient>();
        try
        {
            for (var i = 0; i < sessions; i++)
            {
                clients.Add(await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectionString = connectionString, SessionTimeout = TimeSpan.FromSeconds(30) }));
            }

            var path = root + "-" + Guid.NewGuid().ToString("N")[..8];
            var providers = clients.Select(c => new ZooKeeperLockProvider(c, new ZooKeeperLockOptions { RootPath = path })).ToList();
            long count = 0, errors = 0;
            var waits = new ConcurrentBag<double>();
            var begin = Stopwatch.GetTimestamp();
            var open = begin + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
            var close = open + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            var workers = Task.WhenAll(providers.Select(provider => Task.Run(async () =>
            {
                long asked;
                while ((asked = Stopwatch.GetTimestamp()) < close)
                {
                    try
                    {
                        var handle = await provider.TryAcquireAsync("queue", TimeSpan.FromSeconds((double)(close - asked) / Stopwatch.Frequency) + TimeSpan.FromMilliseconds(1));
                        if (handle is null)
                        {
                            continue;
                        }

                        var got = Stopwatch.GetTimestamp();
                        if (got >= open && got < close)
                        {
                            waits.Add(Stopwatch.GetElapsedTime(asked, got).TotalMilliseconds);
                        }

                        await handle.DisposeAsync();
                        Interlocked.Increment(ref count);
                    }
                    catch (ZooKeeperException)
                    {
                        Interlocked.Increment(ref errors);
                    }
                }
            })));
            await Task.Delay(Until(open));
            var (before, errorsBefore, opened) = (Interlocked.Read(ref count), Interlocked.Read(ref errors), Stopwatch.GetTimestamp());
            mark("window-start");
            await Task.Delay(Until(close));
            var (after, errorsAfter, seconds) = (Interlocked.Read(ref count), Interlocked.Read(ref errors), Stopwatch.GetElapsedTime(opened).TotalSeconds);
            mark("window-end");
            await workers;
            var sorted = waits.Order().ToArray();
            return new PeerBenchmarkResult("ZkSync", "mutex-queue", new Dictionary<string, double>(), after - before, seconds, (after - before) / seconds,
                errorsAfter - errorsBefore, Percentile(sorted, 0.50), Percentile(sorted, 0.99));
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    private static TimeSpan Until(long timestamp) =>
        TimeSpan.FromSeconds(Math.Max(0, (double)(timestamp - Stopwatch.GetTimestamp()) / Stopwatch.Frequency));

    // The same rank as the peers' drivers: ceil(p·n) − 1.
    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}
