using System.Globalization;

namespace ZkSync.TestSupport.Peers;

/// <summary>
/// A peer's scale benchmark driver (<c>tests/peers/java/CuratorScaleBench.java</c> with Curator's InterProcessMutex,
/// <c>tests/peers/python/kazoo_scale_bench.py</c> with kazoo's Lock) behind the line protocol, one session: it takes
/// many locks at once or many distinct names over time, one step per command, so that the caller can read the
/// ensemble (watches, znode count) and the driver's memory between the steps.
/// </summary>
public sealed class PeerScaleDriver : PeerProcess
{
    // Per lock or name, on top of ReplyTimeout: a pessimistic bound for a busy machine, so that a stuck driver still ends.
    private static readonly TimeSpan s_perOperation = TimeSpan.FromMilliseconds(50);

    private PeerScaleDriver(string name, System.Diagnostics.ProcessStartInfo startInfo)
        : base(name, startInfo)
    {
    }

    /// <summary>Curator (JVM, <c>-Xmx512m</c>): compiles the peers if needed, starts the driver and waits until its session is connected.</summary>
    /// <exception cref="PeerUnavailableException">Java or the Curator/ZooKeeper jars are missing.</exception>
    public static async Task<PeerScaleDriver> StartCuratorAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var classPath = await PeerTools.GetJavaClassPathAsync(cancellationToken).ConfigureAwait(false);
        var startInfo = PeerTools.CreateJavaStartInfo(classPath, "CuratorScaleBench", maxHeapMegabytes: 512, quickStart: false, connectionString);
        return await StartAsync(new PeerScaleDriver("CuratorScaleBench", startInfo), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>kazoo (Python, threading handler): starts the driver and waits until its session is connected.</summary>
    /// <exception cref="PeerUnavailableException">No Python 3 with kazoo was found.</exception>
    public static Task<PeerScaleDriver> StartKazooAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var startInfo = PeerTools.CreatePythonStartInfo("kazoo_scale_bench.py", connectionString);
        return StartAsync(new PeerScaleDriver("kazoo_scale_bench.py", startInfo), cancellationToken);
    }

    /// <summary>
    /// <c>hold</c>: takes <paramref name="count"/> locks <c>&lt;path&gt;/lock-&lt;i&gt;</c>, <paramref name="parallelism"/>
    /// threads at a time, and keeps them until <see cref="ReleaseAsync"/>; returns the time until all were held.
    /// </summary>
    public async Task<TimeSpan> HoldAsync(string path, int count, int parallelism, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parallelism);
        var reply = await SendAsync(string.Create(CultureInfo.InvariantCulture, $"hold {Token(path)} {count} {parallelism}"),
            ReplyTimeout + (count * s_perOperation), cancellationToken).ConfigureAwait(false);
        return TimeSpan.FromMilliseconds(Number(reply));
    }

    /// <summary><c>release</c>: each holding thread releases its locks; returns the time until all were released.</summary>
    public async Task<TimeSpan> ReleaseAsync(int heldCount, CancellationToken cancellationToken = default) =>
        TimeSpan.FromMilliseconds(Number(await SendAsync("release", ReplyTimeout + (heldCount * s_perOperation), cancellationToken).ConfigureAwait(false)));

    /// <summary>
    /// <c>names</c>: <paramref name="callers"/> threads on the driver's one session take and release
    /// <c>&lt;path&gt;/&lt;i&gt;</c> for every i in [<paramref name="from"/>, <paramref name="to"/>); returns the time it took.
    /// </summary>
    public async Task<TimeSpan> TakeNamesAsync(string path, long from, long to, int callers, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(from);
        ArgumentOutOfRangeException.ThrowIfLessThan(to, from);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(callers);
        var reply = await SendAsync(string.Create(CultureInfo.InvariantCulture, $"names {Token(path)} {from} {to} {callers}"),
            ReplyTimeout + ((to - from) * s_perOperation), cancellationToken).ConfigureAwait(false);
        return TimeSpan.FromSeconds(Number(reply));
    }

    /// <summary><c>memory</c>: Curator, the JVM's used heap after <c>System.gc()</c>; kazoo, the process's resident set after <c>gc.collect()</c>.</summary>
    public async Task<long> MemoryAsync(CancellationToken cancellationToken = default) =>
        (long)Number(await SendAsync("memory", cancellationToken).ConfigureAwait(false));

    private double Number(string reply) =>
        double.TryParse(reply, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new InvalidOperationException($"{Name} replied '{reply}' where a number was expected.");

    private static async Task<PeerScaleDriver> StartAsync(PeerScaleDriver driver, CancellationToken cancellationToken)
    {
        try
        {
            await driver.StartProcessAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            return driver;
        }
        catch
        {
            await driver.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
