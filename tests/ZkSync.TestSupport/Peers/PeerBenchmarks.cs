using System.Diagnostics;
using System.Globalization;

namespace ZkSync.TestSupport.Peers;

/// <summary>
/// Runs the peer benchmark drivers of <c>tests/peers</c> (official Java client, Curator, kazoo) and parses their
/// JSON lines. Each driver works under its own child of <c>root</c> and deletes it; <c>root</c> is the caller's.
/// </summary>
public static class PeerBenchmarks
{
    /// <summary>The official ZooKeeper Java client: async getData and setData rows.</summary>
    public static async Task<IReadOnlyList<PeerBenchmarkResult>> RunJavaClientAsync(
        string connectionString, string root, PeerBenchmarkOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new PeerBenchmarkOptions();
        var classPath = await PeerTools.GetJavaClassPathAsync(cancellationToken).ConfigureAwait(false);
        var startInfo = PeerTools.CreateJavaStartInfo(
            classPath, "JavaClientBench", maxHeapMegabytes: 256, quickStart: false,
            connectionString, root, Format(options.InFlight), Format(options.Duration.TotalSeconds),
            Format(options.Warmup.TotalSeconds), Format(options.ValueBytes));
        var limit = 2 * (options.Duration + options.Warmup) + TimeSpan.FromSeconds(90);
        return await RunAsync("JavaClientBench", startInfo, limit, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Curator InterProcessMutex: mutex-uncontended, mutex-handoff and mutex-distinct rows.</summary>
    public static async Task<IReadOnlyList<PeerBenchmarkResult>> RunCuratorLockAsync(
        string connectionString, string root, PeerBenchmarkOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new PeerBenchmarkOptions();
        var classPath = await PeerTools.GetJavaClassPathAsync(cancellationToken).ConfigureAwait(false);
        var startInfo = PeerTools.CreateJavaStartInfo(
            classPath, "CuratorLockBench", maxHeapMegabytes: 256, quickStart: false,
            [connectionString, root, .. LockArguments(options)]);
        return await RunAsync("CuratorLockBench", startInfo, LockLimit(options), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>kazoo Lock: the same three rows as <see cref="RunCuratorLockAsync"/>.</summary>
    public static Task<IReadOnlyList<PeerBenchmarkResult>> RunKazooLockAsync(
        string connectionString, string root, PeerBenchmarkOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new PeerBenchmarkOptions();
        var startInfo = PeerTools.CreatePythonStartInfo("kazoo_lock_bench.py", [connectionString, root, .. LockArguments(options)]);
        return RunAsync("kazoo_lock_bench.py", startInfo, LockLimit(options), cancellationToken);
    }

    /// <summary>
    /// Curator InterProcessMutex, the queue row only (<c>mutex-queue</c>): <see cref="PeerBenchmarkOptions.Sessions"/>
    /// sessions queueing on one lock, with p50/p99 of the wait. <paramref name="onMark"/> gets <c>window-start</c>
    /// and <c>window-end</c> as the driver enters and leaves the measured window.
    /// </summary>
    public static async Task<PeerBenchmarkResult> RunCuratorQueueAsync(
        string connectionString, string root, PeerBenchmarkOptions options, Action<string> onMark, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var classPath = await PeerTools.GetJavaClassPathAsync(cancellationToken).ConfigureAwait(false);
        var startInfo = PeerTools.CreateJavaStartInfo(
            classPath, "CuratorLockBench", maxHeapMegabytes: 512, quickStart: false,
            [connectionString, root, .. LockArguments(options), "queue"]);
        return Single(await RunAsync("CuratorLockBench", startInfo, QueueLimit(options), cancellationToken, onMark).ConfigureAwait(false));
    }

    /// <summary>kazoo Lock, the queue row only: as <see cref="RunCuratorQueueAsync"/>.</summary>
    public static async Task<PeerBenchmarkResult> RunKazooQueueAsync(
        string connectionString, string root, PeerBenchmarkOptions options, Action<string> onMark, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var startInfo = PeerTools.CreatePythonStartInfo("kazoo_lock_bench.py", [connectionString, root, .. LockArguments(options), "queue"]);
        return Single(await RunAsync("kazoo_lock_bench.py", startInfo, QueueLimit(options), cancellationToken, onMark).ConfigureAwait(false));
    }

    private static PeerBenchmarkResult Single(IReadOnlyList<PeerBenchmarkResult> rows) =>
        rows.Count == 1 ? rows[0] : throw new InvalidOperationException($"Expected one result row, got {rows.Count}.");

    // Sessions connect one after another (allow 100 ms each), warm-up and window, start-up.
    private static TimeSpan QueueLimit(PeerBenchmarkOptions options) =>
        options.Sessions * TimeSpan.FromMilliseconds(100) + options.Duration + options.Warmup + TimeSpan.FromSeconds(90);

    private static string[] LockArguments(PeerBenchmarkOptions options) =>
    [
        Format(options.Iterations), Format(options.Duration.TotalSeconds), Format(options.Sessions),
        Format(options.Callers), Format(options.Warmup.TotalSeconds),
    ];

    // Two timed rows (each with warmup) plus uncontended iterations at a pessimistic 50 ms, plus start-up.
    private static TimeSpan LockLimit(PeerBenchmarkOptions options) =>
        3 * (options.Duration + options.Warmup) + options.Iterations * TimeSpan.FromMilliseconds(50) + TimeSpan.FromSeconds(90);

    private static string Format(double value) => value.ToString(CultureInfo.InvariantCulture);

    // Reads the driver's output as it comes, handing each non-result line (a window mark) to onMark at once.
    private static async Task<string> ReadLinesAsync(StreamReader output, Action<string>? onMark)
    {
        var all = new System.Text.StringBuilder();
        while (await output.ReadLineAsync(CancellationToken.None).ConfigureAwait(false) is { } line)
        {
            all.Append(line).Append('\n');
            if (onMark is not null && !line.StartsWith('{'))
            {
                onMark(line.Trim());
            }
        }

        return all.ToString();
    }

    private static async Task<IReadOnlyList<PeerBenchmarkResult>> RunAsync(
        string name, ProcessStartInfo startInfo, TimeSpan limit, CancellationToken cancellationToken, Action<string>? onMark = null)
    {
        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"{name} did not start.");
        process.StandardInput.Close();
        var stdout = ReadLinesAsync(process.StandardOutput, onMark);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(limit);
        try
        {
            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"{name} did not finish within {limit.TotalSeconds:0} s and was killed.{Environment.NewLine}{await stderr.ConfigureAwait(false)}");
        }
        var output = await stdout.ConfigureAwait(false);
        var errors = await stderr.ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{name} failed with exit code {process.ExitCode}.{Environment.NewLine}{errors}");
        }
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => line.StartsWith('{'))
            .Select(PeerBenchmarkResult.Parse)];
    }
}
