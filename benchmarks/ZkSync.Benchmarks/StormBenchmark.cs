using System.Diagnostics;
using System.Globalization;
using System.Text;
using ZkSync.Client;
using ZkSync.TestSupport;
using ZkSync.TestSupport.Peers;

namespace ZkSync.Benchmarks;

/// <summary>
/// The reconnect storm (issue #20): M sessions, each holding a getData watch on each of W nodes, all on the full
/// connection string; the ensemble's leader is restarted, so every member drops its clients during the election and
/// every session reconnects and re-sends its watches. Measured from the stop: (a) every session reports itself
/// reconnected; (b) the ensemble's watch count (the sum of <c>mntr</c>'s <c>zk_watch_count</c> over the members) is
/// back where it was before the restart. ZkSync, Curator and kazoo in the same run, each round in a rotating order.
/// </summary>
/// <remarks>
/// ZkSync only, additionally: every session keeps getData requests in flight through the storm, each checked against
/// the node's own data (a reply matched to the wrong request would show), and every request must complete, with a
/// result or an error; after the storm every node is changed once and every watch must fire exactly once. For all
/// three libraries the notifications after the storm are counted.
/// </remarks>
internal static class StormBenchmark
{
    public static readonly string[] Libraries = ["ZkSync", "curator", "kazoo", Busy];

    /// <summary>ZkSync again, its sessions keeping requests in flight through the storm (the other rows' sessions are idle).</summary>
    public const string Busy = "ZkSync busy";

    /// <summary>getData loops each ZkSync session keeps running through the storm.</summary>
    private const int InFlightPerSession = 4;

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    /// <summary>How long the watch count may take to come back after every session reconnected, before the row gives up on it.</summary>
    private static readonly TimeSpan WatchesGrace = TimeSpan.FromSeconds(15);

    /// <summary>One library in one round.</summary>
    /// <param name="ReconnectedMs">From the leader's stop until every session reported itself reconnected; null if not within the limit.</param>
    /// <param name="WatchesBackMs">From the stop until the ensemble's watch count was back at <paramref name="WatchCountBefore"/>; null if never.</param>
    /// <param name="WatchCountAfter">The ensemble's watch count when the measurement ended (all back, or given up).</param>
    /// <param name="FiresAfter">Data-change notifications after every node was changed once after the storm (M × W expected).</param>
    /// <param name="InFlight">ZkSync only: the requests kept in flight through the storm.</param>
    /// <param name="WatchFires">ZkSync only: watches that fired more than once, or never, after the storm.</param>
    /// <param name="WatchCountTrace">The polled watch count as [ms after the stop, count], each time it changed.</param>
    public sealed record Point(
        string Library,
        int Round,
        int Sessions,
        int Watches,
        int RestartedMember,
        double? ReconnectedMs,
        double? WatchesBackMs,
        long WatchCountBefore,
        long WatchCountAfter,
        long FiresAfter,
        InFlightCount? InFlight,
        FireCount? WatchFires,
        IReadOnlyList<double[]>? WatchCountTrace = null);

    /// <summary>Requests sent during the storm and how they ended; <see cref="Unfinished"/> = sent − answered − failed.</summary>
    public sealed record InFlightCount(long Sent, long Answered, long Failed, long WrongReplies, long Unfinished, IReadOnlyDictionary<string, long> Errors);

    /// <summary>Watches (session × node) that fired more than once or not at all after the storm.</summary>
    public sealed record FireCount(long Expected, long FiredTwiceOrMore, long NeverFired);

    /// <summary>One storm run (all rounds) on one ensemble.</summary>
    public sealed record StormRun(string Fsync, DateTimeOffset Started, int Sessions, int Watches, int Rounds, List<Point> Points);

    public static async Task<List<Point>> RunAsync(string connectionString, int sessions, int watches, int rounds, TextWriter log)
    {
        if (!ZooKeeperEnsemble.IsScriptManaged || ZooKeeperEnsemble.MemberCount < 3)
        {
            throw new InvalidOperationException(
                $"The reconnect storm restarts a member: it needs a 3-member ensemble started by eng/zookeeper.sh from ZK_STATE_DIR ({ZooKeeperEnsemble.StateDirectory}); "
                + $"{connectionString} is not one.");
        }

        var points = new List<Point>();
        var skipped = new HashSet<string>(StringComparer.Ordinal);
        for (var round = 0; round < rounds; round++)
        {
            for (var turn = 0; turn < Libraries.Length; turn++)
            {
                var library = Libraries[(round + turn) % Libraries.Length];
                if (skipped.Contains(library))
                {
                    continue;
                }

                try
                {
                    var point = await RunOneAsync(library, connectionString, sessions, watches, round);
                    points.Add(point);
                    log.WriteLine(Describe(point));
                }
                catch (PeerUnavailableException e)
                {
                    skipped.Add(library);
                    log.WriteLine($"{library} skipped: {e.Message}");
                }
            }
        }

        return points;
    }

    private static string Describe(Point p)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture,
            $"storm round {p.Round + 1} {p.Library} (M={p.Sessions}, W={p.Watches}, member {p.RestartedMember} restarted): "
            + $"reconnected {Ms(p.ReconnectedMs)}, watches back {Ms(p.WatchesBackMs)} ({p.WatchCountAfter} of {p.WatchCountBefore}), "
            + $"fires after {p.FiresAfter}");
        if (p.InFlight is { } f)
        {
            text.Append(CultureInfo.InvariantCulture, $"; in flight: {f.Sent} sent, {f.Answered} answered, {f.Failed} failed, {f.WrongReplies} wrong, {f.Unfinished} unfinished");
        }

        if (p.WatchFires is { } w)
        {
            text.Append(CultureInfo.InvariantCulture, $"; watches fired twice {w.FiredTwiceOrMore}, never {w.NeverFired}");
        }

        return text.ToString();

        static string Ms(double? value) => value is { } v ? string.Create(CultureInfo.InvariantCulture, $"{v:0} ms") : "never";
    }

    private static async Task<Point> RunOneAsync(string library, string connectionString, int sessions, int watches, int round)
    {
        await using var control = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectionString = connectionString, SessionTimeout = TimeSpan.FromSeconds(30) });
        var root = $"/zksync-bench-storm-{library.Replace(' ', '-').ToLowerInvariant()}-{Guid.NewGuid():N}"[..40];
        var paths = Enumerable.Range(0, watches).Select(n => $"{root}/n{n}").ToArray();
        var fence = root + "/fence";
        await control.CreateAsync(root, ReadOnlyMemory<byte>.Empty);
        await Task.WhenAll(paths.Select(path => control.CreateAsync(path, Encoding.UTF8.GetBytes(path))));
        try
        {
            var baseline = await WatchCountAsync();
            await using var subject = library is "ZkSync" or Busy
                ? (IStormSubject)await ZkSyncSubject.StartAsync(connectionString, paths, sessions, library == Busy)
                : await PeerSubject.StartAsync(library, connectionString, root, sessions, watches);
            var before = await WatchCountAsync();
            if (before < baseline + ((long)sessions * watches))
            {
                throw new InvalidOperationException($"{library}: the ensemble counts {before} watches after setting {sessions} × {watches} on top of {baseline}.");
            }

            subject.StartTraffic();
            var leader = await ZooKeeperEnsemble.FindLeaderAsync() ?? throw new InvalidOperationException("No member leads; the ensemble is not serving.");
            var stopped = Stopwatch.GetTimestamp();
            // Restarted: started again as soon as its process is gone.
            var restart = RestartAsync(leader);
            var reconnected = subject.WaitForReconnectedAsync(TimeSpan.FromSeconds(60))
                .ContinueWith(t => t.Result ? Stopwatch.GetElapsedTime(stopped).TotalMilliseconds : (double?)null, TaskScheduler.Default);
            // Polled from the stop on: the count drops once the member's process is gone.
            var trace = new List<double[]>();
            var (watchesBack, watchCountAfter) = await WaitForWatchCountAsync(before, stopped, reconnected, trace);
            var reconnectedMs = await reconnected;
            await restart;
            var inFlight = await subject.StopTrafficAsync();

            // Every node changed once: each session's watch on it fires once.
            await Task.WhenAll(paths.Select(path => control.SetDataAsync(path, Encoding.UTF8.GetBytes(path))));
            var (firesAfter, fireCount) = await subject.CountFiresAsync((long)sessions * watches, fence, () => control.CreateAsync(fence, ReadOnlyMemory<byte>.Empty));
            return new Point(library, round, sessions, watches, leader, reconnectedMs, watchesBack, before, watchCountAfter, firesAfter, inFlight, fireCount, trace);
        }
        finally
        {
            await Task.WhenAll(paths.Select(path => control.DeleteAsync(path)));
            if (await control.ExistsAsync(fence) is not null)
            {
                await control.DeleteAsync(fence);
            }

            await control.DeleteAsync(root);
        }
    }

    private static async Task RestartAsync(int member)
    {
        await ZooKeeperEnsemble.StopMemberAsync(member);
        await ZooKeeperEnsemble.StartMemberAsync(member);
    }

    /// <summary>
    /// Polls the members' watch counts from the stop until the sum is back at <paramref name="target"/> after having
    /// dropped below it; gives up <see cref="WatchesGrace"/> after every session reconnected (or did not). Each change
    /// of the count goes into <paramref name="trace"/>.
    /// </summary>
    private static async Task<(double? Milliseconds, long Last)> WaitForWatchCountAsync(long target, long stopped, Task<double?> reconnected, List<double[]> trace)
    {
        var dropped = false;
        long last = 0;
        var giveUpAt = long.MaxValue;
        while (Stopwatch.GetTimestamp() < giveUpAt)
        {
            var count = await WatchCountAsync();
            var now = Stopwatch.GetElapsedTime(stopped).TotalMilliseconds;
            if (trace.Count == 0 || count != last)
            {
                trace.Add([Math.Round(now), count]);
            }

            last = count;
            if (last < target)
            {
                dropped = true;
            }
            else if (dropped)
            {
                return (now, last);
            }

            if (giveUpAt == long.MaxValue && reconnected.IsCompleted)
            {
                giveUpAt = Stopwatch.GetTimestamp() + (long)(WatchesGrace.TotalSeconds * Stopwatch.Frequency);
            }

            await Task.Delay(PollInterval);
        }

        trace.Add([Math.Round(Stopwatch.GetElapsedTime(stopped).TotalMilliseconds), last]);
        return (null, last);
    }

    /// <summary>The sum of <c>zk_watch_count</c> over the members that serve (a stopped or electing member counts none).</summary>
    private static async Task<long> WatchCountAsync()
    {
        var counts = await Task.WhenAll(Enumerable.Range(1, ZooKeeperEnsemble.MemberCount).Select(async member =>
        {
            try
            {
                var reply = await ZooKeeperEnsemble.SendFourLetterWordAsync(ZooKeeperEnsemble.GetMemberEndPoint(member), "mntr");
                var line = reply.Split('\n').FirstOrDefault(l => l.StartsWith("zk_watch_count", StringComparison.Ordinal));
                return line is null ? 0 : long.Parse(line["zk_watch_count".Length..].Trim(), CultureInfo.InvariantCulture);
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or OperationCanceledException or IOException)
            {
                return 0;
            }
        }));
        return counts.Sum();
    }

    /// <summary>One library's M sessions with their watches set.</summary>
    private interface IStormSubject : IAsyncDisposable
    {
        /// <summary>Starts the requests kept in flight through the storm (ZkSync only).</summary>
        void StartTraffic();

        /// <summary>True once every session has been disconnected and is connected again; false after <paramref name="limit"/>.</summary>
        Task<bool> WaitForReconnectedAsync(TimeSpan limit);

        /// <summary>Stops the requests in flight and counts how they ended (ZkSync only).</summary>
        Task<InFlightCount?> StopTrafficAsync();

        /// <summary>Waits (bounded) for <paramref name="expected"/> data-change notifications; returns how many came.</summary>
        /// <param name="expected">M × W.</param>
        /// <param name="fence">A node that does not exist yet; ZkSync watches it and <paramref name="createFence"/> creates it.</param>
        /// <param name="createFence">Creates <paramref name="fence"/>.</param>
        Task<(long Fires, FireCount? Detail)> CountFiresAsync(long expected, string fence, Func<Task> createFence);
    }

    private sealed class ZkSyncSubject : IStormSubject
    {
        private readonly List<ZooKeeperClient> _clients = [];
        private readonly string[] _paths;
        private readonly int[] _fires;
        private readonly object _gate = new();
        private readonly bool[] _dropped;
        private readonly bool[] _back;
        private readonly TaskCompletionSource _allBack = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationTokenSource _stopTraffic = new();
        private readonly Dictionary<string, long> _errors = new(StringComparer.Ordinal);
        private readonly bool _busy;
        private Task _traffic = Task.CompletedTask;
        private int _reconnected;
        private bool _armed;
        private long _sent, _answered, _failed, _wrong, _totalFires;

        private ZkSyncSubject(string[] paths, int sessions, bool busy)
        {
            _busy = busy;
            _paths = paths;
            _fires = new int[sessions * paths.Length];
            _dropped = new bool[sessions];
            _back = new bool[sessions];
        }

        public static async Task<ZkSyncSubject> StartAsync(string connectionString, string[] paths, int sessions, bool busy)
        {
            var subject = new ZkSyncSubject(paths, sessions, busy);
            try
            {
                for (var i = 0; i < sessions; i++)
                {
                    var client = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectionString = connectionString, SessionTimeout = TimeSpan.FromSeconds(30) });
                    subject._clients.Add(client);
                    var index = i;
                    client.StateChanged += (_, e) => subject.OnStateChanged(index, e.State);
                }

                await Task.WhenAll(subject._clients.SelectMany((client, session) => paths.Select((path, node) =>
                    client.GetDataAsync(path, e => subject.OnWatch(session, node, e)))));
                lock (subject._gate)
                {
                    subject._armed = true;
                }

                return subject;
            }
            catch
            {
                await subject.DisposeAsync();
                throw;
            }
        }

        private void OnStateChanged(int session, ZooKeeperSessionState state)
        {
            lock (_gate)
            {
                if (!_armed)
                {
                    return;
                }

                if (state is ZooKeeperSessionState.Suspended or ZooKeeperSessionState.Expired)
                {
                    if (_back[session])
                    {
                        _back[session] = false;
                        _reconnected--;
                    }

                    _dropped[session] = true;
                }
                else if (state is ZooKeeperSessionState.Reconnected && _dropped[session] && !_back[session])
                {
                    _back[session] = true;
                    if (++_reconnected == _back.Length)
                    {
                        _allBack.TrySetResult();
                    }
                }
            }
        }

        private void OnWatch(int session, int node, ZooKeeperWatchEvent e)
        {
            if (e.Type == ZooKeeperEventType.NodeDataChanged)
            {
                Interlocked.Increment(ref _fires[(session * _paths.Length) + node]);
                Interlocked.Increment(ref _totalFires);
            }
        }

        public void StartTraffic()
        {
            if (!_busy)
            {
                return;
            }

            var token = _stopTraffic.Token;
            _traffic = Task.WhenAll(_clients.SelectMany((client, session) => Enumerable.Range(0, InFlightPerSession).Select(loop => Task.Run(async () =>
            {
                var random = new Random((session * InFlightPerSession) + loop);
                while (!token.IsCancellationRequested)
                {
                    var path = _paths[random.Next(_paths.Length)];
                    Interlocked.Increment(ref _sent);
                    try
                    {
                        var data = await client.GetDataAsync(path);
                        Interlocked.Increment(ref _answered);
                        if (Encoding.UTF8.GetString(data.Data) != path)
                        {
                            Interlocked.Increment(ref _wrong);
                        }
                    }
                    catch (ZooKeeperException e)
                    {
                        Interlocked.Increment(ref _failed);
                        lock (_errors)
                        {
                            _errors[e.Code.ToString()] = _errors.GetValueOrDefault(e.Code.ToString()) + 1;
                        }

                        // A refused request (the client is suspended) fails at once; wait for the connection, not in a hot loop.
                        await client.WaitForConnectedAsync(token).ContinueWith(_ => { }, TaskScheduler.Default);
                    }
                }
            }))));
        }

        public async Task<bool> WaitForReconnectedAsync(TimeSpan limit) =>
            await Task.WhenAny(_allBack.Task, Task.Delay(limit)) == _allBack.Task;

        public async Task<InFlightCount?> StopTrafficAsync()
        {
            if (!_busy)
            {
                return null;
            }

            await _stopTraffic.CancelAsync();
            // A request that never completes keeps its loop from ending: counted as unfinished, not waited for.
            await Task.WhenAny(_traffic, Task.Delay(TimeSpan.FromSeconds(60)));
            var (sent, answered, failed) = (Interlocked.Read(ref _sent), Interlocked.Read(ref _answered), Interlocked.Read(ref _failed));
            lock (_errors)
            {
                return new InFlightCount(sent, answered, failed, Interlocked.Read(ref _wrong), sent - answered - failed, new Dictionary<string, long>(_errors, StringComparer.Ordinal));
            }
        }

        public async Task<(long Fires, FireCount? Detail)> CountFiresAsync(long expected, string fence, Func<Task> createFence)
        {
            var deadline = Stopwatch.GetTimestamp() + (30 * Stopwatch.Frequency);
            while (Interlocked.Read(ref _totalFires) < expected && Stopwatch.GetTimestamp() < deadline)
            {
                await Task.Delay(PollInterval);
            }

            // Each session delivers its events in order: once its watch on a node created after every change has fired,
            // a second notification for any of those changes would have been delivered before it.
            using var fenced = new CountdownEvent(_clients.Count);
            var allFenced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await Task.WhenAll(_clients.Select(client => client.ExistsAsync(fence, e =>
            {
                if (e.Type == ZooKeeperEventType.NodeCreated && fenced.Signal())
                {
                    allFenced.TrySetResult();
                }
            })));
            await createFence();
            await allFenced.Task.WaitAsync(TimeSpan.FromSeconds(30));
            var twice = _fires.LongCount(f => f > 1);
            var never = _fires.LongCount(f => f == 0);
            return (Interlocked.Read(ref _totalFires), new FireCount(expected, twice, never));
        }

        public async ValueTask DisposeAsync()
        {
            await _stopTraffic.CancelAsync();
            await Task.WhenAny(_traffic, Task.Delay(TimeSpan.FromSeconds(60)));
            foreach (var client in _clients)
            {
                await client.DisposeAsync();
            }

            _stopTraffic.Dispose();
        }
    }

    /// <summary>Curator or kazoo in a child process (tests/peers: CuratorStormBench.java, kazoo_storm_bench.py).</summary>
    private sealed class PeerSubject : PeerProcess, IStormSubject
    {
        private PeerSubject(string name, ProcessStartInfo startInfo)
            : base(name, startInfo)
        {
        }

        public static async Task<PeerSubject> StartAsync(string library, string connectionString, string root, int sessions, int watches)
        {
            string[] arguments = [connectionString, root, sessions.ToString(CultureInfo.InvariantCulture), watches.ToString(CultureInfo.InvariantCulture)];
            var (name, startInfo) = library == "curator"
                ? ("CuratorStormBench", PeerTools.CreateJavaStartInfo(await PeerTools.GetJavaClassPathAsync(), "CuratorStormBench", maxHeapMegabytes: 512, quickStart: false, arguments))
                : ("kazoo_storm_bench.py", PeerTools.CreatePythonStartInfo("kazoo_storm_bench.py", arguments));
            var peer = new PeerSubject(name, startInfo);
            try
            {
                await peer.StartProcessAsync(TimeSpan.FromMinutes(3), CancellationToken.None);
                return peer;
            }
            catch
            {
                await peer.DisposeAsync();
                throw;
            }
        }

        public void StartTraffic()
        {
        }

        public async Task<bool> WaitForReconnectedAsync(TimeSpan limit)
        {
            try
            {
                await WaitForEventAsync(e => e == "reconnected", limit);
                return true;
            }
            catch (TimeoutException)
            {
                return false;
            }
        }

        public Task<InFlightCount?> StopTrafficAsync() => Task.FromResult<InFlightCount?>(null);

        public async Task<(long Fires, FireCount? Detail)> CountFiresAsync(long expected, string fence, Func<Task> createFence)
        {
            // The peer counts; asked until all came or no more came for a while (a watch lost in the storm never fires).
            var fires = 0L;
            var lastChange = Stopwatch.GetTimestamp();
            while (fires < expected && Stopwatch.GetElapsedTime(lastChange) < TimeSpan.FromSeconds(5))
            {
                await Task.Delay(PollInterval * 5);
                var now = long.Parse(await SendAsync("fires"), CultureInfo.InvariantCulture);
                if (now != fires)
                {
                    (fires, lastChange) = (now, Stopwatch.GetTimestamp());
                }
            }

            return (fires, null);
        }
    }
}
