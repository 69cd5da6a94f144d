using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using ZkSync.Client;
using ZkSync.Client.Internal;
using ZkSync.TestSupport;

namespace ZkSync.Client.Tests.Unit;

/// <summary>
/// Reconnect back-off: exponential with jitter and capped, also after connections that die right after their handshake
/// (review F10), with one "could not connect" warning per outage and then at most one summary a minute.
/// </summary>
public sealed class ReconnectBackoffTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public void NextDelay_DoublesFromFirstDelay_WithJitterInTheUpperHalf_UpToTheCap()
    {
        var random = new Random(7);
        for (var failures = 1; failures <= 30; failures++)
        {
            var ceiling = (int)Math.Min(ReconnectBackoff.MaxDelayMs, (long)ReconnectBackoff.FirstDelayMs << Math.Min(failures - 1, 20));
            for (var i = 0; i < 50; i++)
            {
                Assert.InRange(ReconnectBackoff.NextDelayMs(failures, 1, ReconnectBackoff.MaxDelayMs, random), ceiling / 2, ceiling);
            }
        }

        Assert.InRange(ReconnectBackoff.NextDelayMs(int.MaxValue, 3, ReconnectBackoff.CapMs(4000), random), 500, 1000);
        Assert.Equal(ReconnectBackoff.MaxDelayMs, ReconnectBackoff.CapMs(0));
        Assert.Equal(ReconnectBackoff.MaxDelayMs, ReconnectBackoff.CapMs(60_000));
    }

    [Fact]
    public void FailureLog_WarnsOnce_ThenDebug_ThenOneSummaryPerInterval_AndAgainAfterRecovery()
    {
        using var provider = new FakeLoggerProvider();
        var log = new ConnectFailureLog(provider.CreateLogger("test"));

        log.Failed("a:1", "refused", 0);
        for (var i = 1; i <= 9; i++)
        {
            log.Failed("b:2", "refused", i * 1000);
        }

        log.Failed("c:3", "timed out", ConnectFailureLog.SummaryIntervalMs + 500);
        log.Failed("c:3", "timed out", ConnectFailureLog.SummaryIntervalMs + 1000);
        log.Recovered();
        log.Failed("a:1", "refused", ConnectFailureLog.SummaryIntervalMs + 2000);

        var records = provider.Collector.GetSnapshot();
        Assert.Equal([1002, 1014, 1014, 1014, 1014, 1014, 1014, 1014, 1014, 1014, 1013, 1014, 1002], records.Select(r => r.Id.Id));
        var summary = records[10];
        Assert.Equal(LogLevel.Warning, summary.Level);
        Assert.Contains("10 more attempts failed in the last 60 s", summary.Message, StringComparison.Ordinal);
        Assert.Contains("c:3: timed out", summary.Message, StringComparison.Ordinal);
        Assert.All(records.Where(r => r.Id.Id == 1014), r => Assert.Equal(LogLevel.Debug, r.Level));
    }

    [Fact]
    public async Task ServerClosesRightAfterEachHandshake_CountsAsFailures_DelaysGrow_OneWarning()
    {
        await using var server = new FakeZooKeeperServer((_, _, _) => Task.CompletedTask); // handshake, then close
        using var logs = new FakeLoggerProvider();
        using var factory = new LoggerFactory([logs]);
        await using var client = new ZooKeeperClient(new ZooKeeperClientOptions { ConnectionString = server.ConnectionString, SessionTimeout = TimeSpan.FromSeconds(4) }, factory);

        await server.WaitForConnectionsAsync(7).WaitAsync(Patience);

        // While the session lives the cap is a quarter of its 4 s timeout: 50-100, 100-200, 200-400, 400-800, then 500-1000 ms.
        var attempts = Attempts(logs);
        Assert.Equal(Enumerable.Range(1, attempts.Count), attempts.Select(a => a.Attempt));
        AssertGrowing(attempts.Take(7).ToList(), capMs: 1000);
        Assert.Single(logs.Collector.GetSnapshot(), r => r.Level >= LogLevel.Warning && r.Id.Id is 1002 or 1003);

        // The error is cleared by each successful handshake and set again when that connection dies: wait for a death.
        string? error = null;
        await WaitHelper.WaitUntilAsync(() => (error = client.LastConnectionError) is not null, Patience);
        Assert.Contains("after the session handshake", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NothingListens_AttemptsBackOffExponentially_OneWarning()
    {
        using var logs = new FakeLoggerProvider();
        using var factory = new LoggerFactory([logs]);
        var options = new ZooKeeperClientOptions
        {
            ConnectionString = "127.0.0.1:" + TestInfrastructure.LoopbackSockets.UnusedPort().ToString(CultureInfo.InvariantCulture),
            SessionTimeout = TimeSpan.FromSeconds(4),
        };
        await using var client = new ZooKeeperClient(options, factory);

        await WaitHelper.WaitUntilAsync(() => Attempts(logs).Count >= 6, Patience);

        AssertGrowing(Attempts(logs).Take(6).ToList(), capMs: ReconnectBackoff.MaxDelayMs);
        var failures = logs.Collector.GetSnapshot().Where(r => r.Id.Id is 1002 or 1014).ToList();
        Assert.True(failures.Count >= 5, $"{failures.Count} failures logged");
        Assert.Equal(LogLevel.Warning, failures[0].Level);
        Assert.All(failures.Skip(1), r => Assert.Equal((1014, LogLevel.Debug), (r.Id.Id, r.Level)));
    }

    [Fact]
    public async Task NothingListensOnThreeHosts_TheNextHostIsTriedSoon_DelaysDoubleOncePerRoundOfHosts()
    {
        // During an election every member refuses for a few seconds; growing the wait once per round of the ensemble's hosts
        // (not once per host) brings the client back soon after the ensemble serves again (reconnect storm, issue #20).
        using var logs = new FakeLoggerProvider();
        using var factory = new LoggerFactory([logs]);
        var hosts = string.Join(',', Enumerable.Range(0, 3).Select(_ => "127.0.0.1:" + TestInfrastructure.LoopbackSockets.UnusedPort().ToString(CultureInfo.InvariantCulture)));
        await using var client = new ZooKeeperClient(new ZooKeeperClientOptions { ConnectionString = hosts, SessionTimeout = TimeSpan.FromSeconds(4) }, factory);

        await WaitHelper.WaitUntilAsync(() => Attempts(logs).Count >= 10, Patience);

        // Attempt n (from 2) waited within [d/2, d], d = min(cap, 100 ms × 2^((n−2) div 3)): 50-100 ms before the 2nd and 3rd,
        // 100-200 ms before the 4th to 6th, 200-400 ms before the 7th to 9th, then 400-800 ms.
        var attempts = Attempts(logs).Take(10).ToList();
        Assert.Equal(0, attempts[0].DelayMs);
        for (var i = 1; i < attempts.Count; i++)
        {
            var ceiling = Math.Min(ReconnectBackoff.MaxDelayMs, ReconnectBackoff.FirstDelayMs << ((i - 1) / 3));
            Assert.InRange(attempts[i].DelayMs, ceiling / 2, ceiling);
        }
    }

    private static List<(int Attempt, int DelayMs)> Attempts(FakeLoggerProvider logs) =>
        [.. logs.Collector.GetSnapshot().Where(r => r.Id.Id == 1001).Select(r => (
            int.Parse(r.GetStructuredStateValue("Attempt")!, CultureInfo.InvariantCulture),
            int.Parse(r.GetStructuredStateValue("DelayMs")!, CultureInfo.InvariantCulture)))];

    /// <summary>
    /// Attempt n (from 2) waited within [d/2, d], d = min(cap, 100 ms × 2^(n−2)): while d doubles never less than the one
    /// before, and the first waits not at all.
    /// </summary>
    private static void AssertGrowing(List<(int Attempt, int DelayMs)> attempts, int capMs)
    {
        Assert.Equal(0, attempts[0].DelayMs);
        var previousCeiling = 0;
        for (var i = 1; i < attempts.Count; i++)
        {
            var ceiling = Math.Min(capMs, ReconnectBackoff.FirstDelayMs << (i - 1));
            Assert.InRange(attempts[i].DelayMs, ceiling / 2, ceiling);
            if (ceiling / 2 >= previousCeiling)
            {
                Assert.True(attempts[i].DelayMs >= attempts[i - 1].DelayMs,
                    $"attempt {i + 1} waited {attempts[i].DelayMs} ms, less than attempt {i} ({attempts[i - 1].DelayMs} ms)");
            }

            previousCeiling = ceiling;
        }
    }
}
