using System.Diagnostics;
using System.Globalization;
using ZkSync.Client;
using ZkSync.TestSupport;

namespace ZkSync.Recipes.Tests.Faults;

/// <summary>
/// The fault-injection suite (RELIABILITY.md): separate worker processes take one lock and increment a fenced record
/// while the test stops and restarts the ensemble leader, cuts, stalls and delays connections through TCP proxies,
/// partitions a holder past its session timeout both ways and one way (its packets dropped, the server's delivered),
/// cuts a worker one way while it waits, and pauses a holder with SIGSTOP. It runs on an ensemble of its own, so that
/// other test assemblies never see its faults. The summary counts, per fault kind, every Lost of a holder and whether it
/// fired before the next holder acquired, with the detection latency (Lost - fault) and the margin (successor - Lost).
/// ZKSYNC_FAULT_MINUTES makes it a soak run (eng/soak.sh); ZKSYNC_FAULT_REPORT names a file for the summary.
/// </summary>
[Trait("Category", "Faults")]
public sealed class LockFaultTests
{
    private const int Workers = 4;
    private const int SessionTimeoutMs = 4000;
    private const int BasePort = 24780;
    private const int AcquisitionsPerMinute = 500;

    /// <summary>How long the workers run: 2.5 minutes, or ZKSYNC_FAULT_MINUTES for a soak run (eng/soak.sh).</summary>
    private static readonly TimeSpan RunTime = TimeSpan.FromMinutes(
        double.TryParse(Environment.GetEnvironmentVariable("ZKSYNC_FAULT_MINUTES"), CultureInfo.InvariantCulture, out var minutes) && minutes > 0 ? minutes : 2.5);

    private static readonly TimeSpan FaultTime = RunTime - TimeSpan.FromSeconds(12);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OneLock_FourProcesses_UnderFaults_NoOverlapNoLostUpdateNoOrphans()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "Needs Linux (SIGSTOP, eng/zookeeper.sh).");
        var workDir = Directory.CreateTempSubdirectory("zksync-faults-").FullName;
        var record = Path.Combine(workDir, "record");
        var ensemble = new Dictionary<string, string> { ["ZK_BASE_PORT"] = BasePort.ToString(CultureInfo.InvariantCulture), ["ZK_STATE_DIR"] = Path.Combine(workDir, "zk") };
        var proxies = new List<FaultProxy[]>();
        var workers = new List<WorkerProcess>();
        var faults = new Dictionary<string, int>(StringComparer.Ordinal);
        var pauses = new List<(int Worker, long From, long To)>();
        var episodes = new List<Episode>();
        try
        {
            var connection = (await ZooKeeperEnsemble.RunScriptAsync(["up", "3"], ensemble, Ct)).Trim().Split('\n')[^1];
            var members = connection.Split(',').Select(m => int.Parse(m.Split(':')[1], CultureInfo.InvariantCulture)).ToArray();
            var root = "/zksync-faults";
            for (var w = 0; w < Workers; w++)
            {
                var set = members.Select(port => new FaultProxy("127.0.0.1", port)).ToArray();
                proxies.Add(set);
                workers.Add(WorkerProcess.Start(string.Join(',', set.Select(p => p.Endpoint)), root, record, SessionTimeoutMs, RunTime));
            }

            await Task.WhenAll(workers.Select(w => w.Ready.WaitAsync(TimeSpan.FromSeconds(60), Ct)));

            // Faults one after another, each kind in turn, with time in between for the lock to move.
            var clock = Stopwatch.StartNew();
            for (var round = 0; clock.Elapsed < FaultTime; round++)
            {
                var victim = round % Workers;
                var start = Stopwatch.GetTimestamp();
                string? kind = null;
                switch (round % 8)
                {
                    case 0:
                        var leader = (await ZooKeeperEnsemble.RunScriptAsync(["leader"], ensemble, Ct)).Trim();
                        await ZooKeeperEnsemble.RunScriptAsync(["stop", leader], ensemble, Ct);
                        await ZooKeeperEnsemble.RunScriptAsync(["start", leader], ensemble, Ct);
                        (kind, victim) = ("leader restarted", -1);
                        break;
                    case 1:
                        Array.ForEach(proxies[victim], p => p.ResetAllConnections());
                        kind = "connections cut";
                        break;
                    case 2:
                        await WithModeAsync(proxies[victim], FaultMode.Blackhole, TimeSpan.FromMilliseconds(1500));
                        kind = "connections stalled";
                        break;
                    case 3:
                        await WithModeAsync(proxies[victim], FaultMode.Delay(TimeSpan.FromMilliseconds(150)), TimeSpan.FromSeconds(3));
                        kind = "connections delayed";
                        break;
                    case 4:
                        // Partitioned both ways past the session timeout, inside a long section: the server expires the
                        // session and the lock moves on; the holder must have seen Lost first.
                        if (await StartLongSectionAsync(workers[victim]))
                        {
                            start = Stopwatch.GetTimestamp();
                            await WithModeAsync(proxies[victim], FaultMode.Blackhole, TimeSpan.FromMilliseconds(SessionTimeoutMs + 3000));
                            kind = "partitioned, holder";
                        }

                        break;
                    case 5:
                        // One-way: the holder's packets are dropped while the server's still arrive, past the session
                        // timeout. The holder is in a long section (SIGUSR1), so it is still holding when Lost must fire.
                        if (await StartLongSectionAsync(workers[victim]))
                        {
                            start = Stopwatch.GetTimestamp();
                            await WithModeAsync(proxies[victim], FaultMode.DropClientToServer, TimeSpan.FromMilliseconds(SessionTimeoutMs + 3000));
                            kind = "one-way cut, holder";
                        }

                        break;
                    case 6:
                        // One-way, whoever the victim is (usually a waiter): a hand-off it learns of by notification
                        // must not be trusted.
                        await WithModeAsync(proxies[victim], FaultMode.DropClientToServer, TimeSpan.FromMilliseconds(SessionTimeoutMs + 3000));
                        kind = "one-way cut";
                        break;
                    default:
                        if (await PauseHolderInsideItsSectionAsync(workers) is { } paused)
                        {
                            var from = Stopwatch.GetTimestamp();

                            // Resume it once another worker has written with a newer token (its session expired and the
                            // lock moved on), so that its pending write is stale; bounded in case nobody can take it.
                            var pausedToken = long.Parse(paused.Line.Split(' ')[1], CultureInfo.InvariantCulture);
                            var movedOn = workers.Where(w => w != paused.Worker).Select(w => w.WhenLine(line => IsWriteNewerThan(line, pausedToken)));
                            try
                            {
                                await Task.WhenAny(movedOn).WaitAsync(TimeSpan.FromSeconds(30), Ct);
                            }
                            catch (TimeoutException)
                            {
                                // Nobody took the lock (e.g. the others were cut off too): resume anyway.
                            }
                            paused.Worker.Signal("CONT");
                            pauses.Add((workers.IndexOf(paused.Worker), from, Stopwatch.GetTimestamp()));
                            (kind, victim, start) = ("holders paused", workers.IndexOf(paused.Worker), from);
                        }

                        break;
                }

                if (kind is not null)
                {
                    Count(faults, kind);
                    episodes.Add(new Episode(kind, victim, start));
                }

                // Let the lock move between faults (workload pacing, not synchronisation).
                await Task.Delay(TimeSpan.FromSeconds(2), Ct);
            }

            foreach (var worker in workers)
            {
                Assert.True(await worker.WaitForExitAsync(TimeSpan.FromSeconds(60)), $"Worker {worker.Pid} did not finish: {worker.Errors}");
                Assert.True(worker.ExitCode == 0, $"Worker {worker.Pid} exited with {worker.ExitCode}: {worker.Errors}");
            }

            // No orphan: every session is closed or expired, so the lock has no node left.
            await using (var admin = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectionString = connection }, cancellationToken: Ct))
            {
                await WaitForNoChildrenAsync(admin, root + "/job");
            }

            var report = Analyse(workers, pauses, record, episodes);
            var summary =
                $"acquisitions {report.Acquisitions}, accepted writes {report.Accepted}, stale writes rejected {report.Stale}, skipped after Lost {report.Skipped}; " +
                $"faults: {string.Join(", ", faults.Select(f => $"{f.Key} {f.Value}"))}; violations: overlaps {report.Overlaps}, lost updates {report.LostUpdates}, token order {report.TokenOrder}" +
                Environment.NewLine + FormatMargins(report.Margins);
            TestContext.Current.TestOutputHelper?.WriteLine(summary);
            if (Environment.GetEnvironmentVariable("ZKSYNC_FAULT_REPORT") is { Length: > 0 } reportPath)
            {
                await File.WriteAllTextAsync(reportPath, $"run {clock.Elapsed.TotalMinutes:F1} min, session timeout {SessionTimeoutMs} ms, {Workers} worker processes{Environment.NewLine}{summary}{Environment.NewLine}", Ct);
            }

            Assert.Equal(0, report.Overlaps);
            Assert.Equal(0, report.LostUpdates);
            Assert.Equal(0, report.TokenOrder);
            Assert.True(report.Acquisitions >= AcquisitionsPerMinute * RunTime.TotalMinutes, $"Only {report.Acquisitions} acquisitions: too few to matter.");
            Assert.Equal(8, faults.Count);
            var negative = report.Margins.Where(m => m.Margin is <= 0).ToList();
            Assert.True(negative.Count == 0, $"{negative.Count} holders saw Lost after their successor acquired: {string.Join("; ", negative)}");
            Assert.True(report.Stale >= 1, "No paused holder wrote with a stale token: the fencing check was not exercised.");
        }
        finally
        {
            foreach (var worker in workers)
            {
                worker.Dispose();
            }

            foreach (var proxy in proxies.SelectMany(set => set))
            {
                await proxy.DisposeAsync();
            }

            await ZooKeeperEnsemble.RunScriptAsync(["down"], ensemble, CancellationToken.None);
            Directory.Delete(workDir, recursive: true);
        }
    }

    /// <summary>
    /// SIGSTOPs a worker that is inside its critical section (its last event is ENTER: it holds the lock and has not
    /// written yet), so that it resumes past its session timeout and writes with a stale token. Waits for the next
    /// ENTER of any worker (bounded) and tries a few times.
    /// </summary>
    private static async Task<(WorkerProcess Worker, string Line)?> PauseHolderInsideItsSectionAsync(List<WorkerProcess> workers)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            var entries = workers.Select(w => w.WhenNextLine(line => line.StartsWith("ENTER", StringComparison.Ordinal))).ToList();
            Task entered;
            try
            {
                entered = await Task.WhenAny(entries).WaitAsync(TimeSpan.FromSeconds(5), Ct);
            }
            catch (TimeoutException)
            {
                continue; // Nobody holds the lock now (a fault is still settling): look again.
            }

            var worker = workers[entries.IndexOf(entered)];
            if (worker.LastLine is { } last && last.StartsWith("ENTER", StringComparison.Ordinal))
            {
                worker.Signal("STOP");

                // Stopped: its output cannot move on, but lines written just before may still be in the pipe.
                await Task.Delay(100, Ct);
                if (worker.LastLine == last)
                {
                    return (worker, last);
                }

                worker.Signal("CONT");
            }
        }

        return null;
    }

    /// <summary>
    /// Asks a worker (SIGUSR1) to make its next critical section last until Lost, and waits until it is in one (bounded:
    /// false when it did not get the lock in time; the request then stands for its next section).
    /// </summary>
    private static async Task<bool> StartLongSectionAsync(WorkerProcess worker)
    {
        var inside = worker.WhenNextLine(line => line.StartsWith("LONG", StringComparison.Ordinal));
        worker.Signal("USR1");
        try
        {
            await inside.WaitAsync(TimeSpan.FromSeconds(20), Ct);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>One "lost, then someone else acquired" pair: the fault that caused it, how long Lost took after the fault
    /// began (detection) and how long before the successor's acquisition it fired (margin), in milliseconds.</summary>
    private sealed record LostMargin(string Kind, double Detection, double? Margin);

    private sealed record Episode(string Kind, int Victim, long Start);

    private static string FormatMargins(IReadOnlyList<LostMargin> margins)
    {
        static string MinMedian(IEnumerable<double> values)
        {
            var sorted = values.Order().ToList();
            return sorted.Count == 0 ? "-" : string.Create(CultureInfo.InvariantCulture, $"min {sorted[0]:F0} ms, median {sorted[sorted.Count / 2]:F0} ms");
        }

        var lines = margins.GroupBy(m => m.Kind).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g =>
            $"  {g.Key}: Lost {g.Count()}, Lost before successor {g.Count(m => m.Margin > 0)} of {g.Count(m => m.Margin is not null)} succeeded; " +
            $"detection (Lost - fault) {MinMedian(g.Select(m => m.Detection))}; margin (successor - Lost) {MinMedian(g.Where(m => m.Margin is not null).Select(m => m.Margin!.Value))}");
        return "Lost per fault kind:" + Environment.NewLine + string.Join(Environment.NewLine, lines);
    }

    /// <summary>True for <c>WRITE &lt;token&gt; ok</c> with a token above <paramref name="token"/>.</summary>
    private static bool IsWriteNewerThan(string line, long token)
    {
        var parts = line.Split(' ');
        return parts is ["WRITE", var written, "ok"] && long.Parse(written, CultureInfo.InvariantCulture) > token;
    }

    private static void Count(Dictionary<string, int> faults, string kind) => faults[kind] = faults.GetValueOrDefault(kind) + 1;

    private static async Task WithModeAsync(FaultProxy[] proxies, FaultMode mode, TimeSpan duration)
    {
        Array.ForEach(proxies, p => p.Mode = mode);
        try
        {
            await Task.Delay(duration, Ct);
        }
        finally
        {
            Array.ForEach(proxies, p => p.Mode = FaultMode.Pass);
        }
    }

    private static async Task WaitForNoChildrenAsync(ZooKeeperClient admin, string path)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(30));
        while (true)
        {
            var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await admin.SyncAsync(path, deadline.Token);
            IReadOnlyList<string> children;
            try
            {
                children = await admin.GetChildrenAsync(path, _ => changed.TrySetResult(), deadline.Token);
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
            {
                return; // The container is gone with its last child.
            }

            if (children.Count == 0)
            {
                return;
            }

            await changed.Task.WaitAsync(deadline.Token);
        }
    }

    /// <summary>Checks the invariants over every worker's events and the fenced record.</summary>
    private static Report Analyse(List<WorkerProcess> workers, List<(int Worker, long From, long To)> pauses, string record, List<Episode> episodes)
    {
        var intervals = new List<(int Worker, long Token, long Enter, long Exit, bool Lost)>();
        long acquisitions = 0, accepted = 0, stale = 0, skipped = 0;
        for (var w = 0; w < workers.Count; w++)
        {
            var enters = new Dictionary<long, long>();
            foreach (var line in workers[w].Lines)
            {
                var parts = line.Split(' ');
                switch (parts[0])
                {
                    case "ENTER":
                        acquisitions++;
                        enters[long.Parse(parts[1], CultureInfo.InvariantCulture)] = long.Parse(parts[2], CultureInfo.InvariantCulture);
                        break;
                    case "WRITE":
                        accepted += parts[2] == "ok" ? 1 : 0;
                        stale += parts[2] == "stale" ? 1 : 0;
                        skipped += parts[2] == "skipped" ? 1 : 0;
                        break;
                    case "EXIT":
                        var token = long.Parse(parts[1], CultureInfo.InvariantCulture);
                        intervals.Add((w, token, enters[token], long.Parse(parts[2], CultureInfo.InvariantCulture), parts[3] == "lost"));
                        break;
                }
            }
        }

        // Holders that respect Lost never overlap; a paused holder cannot respect it, and the fencing token covers it.
        var trusted = intervals
            .Where(i => !pauses.Any(p => p.Worker == i.Worker && i.Enter < p.To && i.Exit > p.From))
            .OrderBy(i => i.Enter)
            .ToList();
        var overlaps = 0;
        var latestExit = long.MinValue;
        foreach (var interval in trusted)
        {
            if (interval.Enter < latestExit)
            {
                overlaps++;
            }

            latestExit = Math.Max(latestExit, interval.Exit);
        }

        // Each Lost of a holder that could honour it, against the fault that caused it and the next holder.
        var margins = new List<LostMargin>();
        foreach (var lost in trusted.Where(i => i.Lost))
        {
            var cause = episodes.Where(e => (e.Victim == lost.Worker || e.Victim < 0) && e.Start <= lost.Exit).MaxBy(e => e.Start);
            var successor = intervals.Where(i => i.Worker != lost.Worker && i.Enter > lost.Enter).OrderBy(i => i.Enter).Take(1).ToList();
            margins.Add(new LostMargin(cause?.Kind ?? "no fault", cause is null ? 0 : Ms(lost.Exit - cause.Start),
                successor.Count == 0 ? null : Ms(successor[0].Enter - lost.Exit)));
        }

        var final = File.Exists(record) ? File.ReadAllText(record).Trim().Split(' ') : ["0", "0"];
        var journal = File.Exists(record + ".journal") ? File.ReadAllLines(record + ".journal") : [];
        var tokens = journal.Select(l => long.Parse(l.Split(' ')[0], CultureInfo.InvariantCulture)).ToList();
        var tokenOrder = tokens.Zip(tokens.Skip(1)).Count(pair => pair.Second < pair.First);
        var lostUpdates = (int)Math.Abs(accepted - long.Parse(final[1], CultureInfo.InvariantCulture)) + Math.Abs(journal.Length - (int)accepted);
        return new Report(acquisitions, accepted, stale, skipped, overlaps, lostUpdates, tokenOrder, margins);
    }

    private static double Ms(long stopwatchTicks) => stopwatchTicks * 1000.0 / Stopwatch.Frequency;

    private sealed record Report(long Acquisitions, long Accepted, long Stale, long Skipped, int Overlaps, int LostUpdates, int TokenOrder, IReadOnlyList<LostMargin> Margins);
}
