using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ZkSync.Client;

namespace ZkSync.Benchmarks;

/// <summary>
/// The end-to-end row: a Kestrel app with a locked endpoint (<c>RequireDistributedLock("/orders/{id}")</c>) and the same
/// endpoint unlocked, driven by wrk (Debian package <c>wrk</c>) over loopback.
/// </summary>
internal static partial class HttpBenchmark
{
    public sealed record Row(string Scenario, double RequestsPerSecond, double P50Ms, double P99Ms, long Non2xx, long Requests,
        IReadOnlyDictionary<string, double>? ZooKeeperRequestsPerRequest = null);

    public const int Connections = 16;

    public const int Threads = 2;

    public const string LowLoadLocked = "locked, distinct ids, 1 connection";

    public const string LowLoadUnlocked = "unlocked, distinct ids, 1 connection";

    public const string LowLoadLockedOneId = "locked, one id, 1 connection";

    /// <summary>
    /// One round of the low-load rows, measured right after the round's floor: the lock's least cost at p50 on the app's
    /// own session (raw requests one after another, no recipe): on one name create (ephemeral sequential) under an
    /// existing parent, getChildren, delete; on a new name the name's container first, then the same three.
    /// </summary>
    public sealed record LowLoadRound(double FloorOneNameP50Ms, double FloorNewNameP50Ms, Row LockedOneId, Row LockedNewId, Row Unlocked);

    public sealed record Result(IReadOnlyList<Row> Rows, IReadOnlyList<LowLoadRound> LowLoad);

    /// <summary>How many rounds of the low-load rows (floor, one id, new ids, unlocked) run; the report shows each and the medians.</summary>
    public const int LowLoadRounds = 5;

    public static async Task<Result> RunAsync(string connectionString, TimeSpan duration)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var root = "/zksync-bench-http-" + Guid.NewGuid().ToString("N")[..8];
        builder.Services.AddZkSync(options =>
        {
            options.ConnectionString = connectionString;
            options.Locks.RootPath = root;
        });
        await using var app = builder.Build();
        app.UseRouting();
        app.UseZkSync();
        app.MapPost("/locked/{id}", (string id) => Results.Text(id)).RequireDistributedLock("/orders/{id}");
        app.MapPost("/unlocked/{id}", (string id) => Results.Text(id));
        await app.StartAsync();
        using (var connected = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            await app.Services.GetRequiredService<ZooKeeperClient>().WaitForConnectedAsync(connected.Token);
        }

        var address = app.Urls.Single();
        var client = app.Services.GetRequiredService<ZooKeeperClient>();
        var scripts = Directory.CreateTempSubdirectory("zksync-wrk-");
        try
        {
            var rows = new List<Row>();
            var lowLoad = new List<LowLoadRound>();
            var rowCount = 0;
            async Task<Row> RunRowAsync(string scenario, string path, bool distinct, int connections)
            {
                var rowId = rowCount++.ToString(CultureInfo.InvariantCulture);
                var script = Path.Combine(scripts.FullName, rowId + ".lua");
                await File.WriteAllTextAsync(script, distinct ? DistinctIdsScript(path, rowId) : $"wrk.method = \"POST\"\nwrk.path = \"{path}\"\n");
                using var counter = new RequestCounter();
                var row = await RunWrkAsync(scenario, address, script, duration, connections);
                return row with { ZooKeeperRequestsPerRequest = counter.PerOperation(row.Requests) };
            }

            foreach (var (scenario, path, distinct) in new[]
            {
                ("locked, distinct ids", "/locked/", true),
                ("locked, one hot id", "/locked/42", false),
                ("unlocked, distinct ids", "/unlocked/", true),
            })
            {
                rows.Add(await RunRowAsync(scenario, path, distinct, Connections));
            }

            // Low load: one connection, no queueing; the difference at p50 is what the lock adds to a request. Each round
            // measures the lock's floor on the app's own session right before its rows, so that floor and rows share the
            // machine's state (a floor measured minutes earlier, by another process, is not comparable at this scale).
            var floorRoot = root + "-floor";
            await client.CreateAsync(floorRoot, ReadOnlyMemory<byte>.Empty, CreateMode.Container);
            var floor = new RawFloor(client, floorRoot);
            try
            {
                await floor.WarmUpAsync();
                for (var round = 0; round < LowLoadRounds; round++)
                {
                    using var requests = new RequestCounter();
                    var floors = await LockBenchmark.MeasureInterleavedAsync(RawFloor.Iterations, requests,
                        ("one name", () => floor.OnceAsync(newName: false)), ("new name", () => floor.OnceAsync(newName: true)));
                    lowLoad.Add(new LowLoadRound(
                        floors[0].P50Ms!.Value,
                        floors[1].P50Ms!.Value,
                        await RunRowAsync(LowLoadLockedOneId, "/locked/43", false, 1),
                        await RunRowAsync(LowLoadLocked, "/locked/", true, 1),
                        await RunRowAsync(LowLoadUnlocked, "/unlocked/", true, 1)));
                }
            }
            finally
            {
                await floor.DeleteAsync();
            }

            return new Result(rows, lowLoad);
        }
        finally
        {
            scripts.Delete(recursive: true);
            await app.StopAsync();
        }
    }

    /// <summary>The raw requests a lock needs at least, one after another on the given session.</summary>
    private sealed class RawFloor(ZooKeeperClient client, string root)
    {
        public const int Iterations = 500;

        private readonly byte[] _data = new byte[64];

        private int _names;

        private string OneName => root + "/one";

        /// <summary>Creates the one-name parent (persistent: a container could be reaped between two iterations) and warms up.</summary>
        public async Task WarmUpAsync()
        {
            await client.CreateAsync(OneName, ReadOnlyMemory<byte>.Empty, CreateMode.Persistent);
            for (var i = 0; i < 100; i++)
            {
                await OnceAsync(newName: i % 2 == 0);
            }
        }

        /// <summary>Deletes the one-name parent if it was created; the new names' containers and the root are left to the reaper.</summary>
        public async Task DeleteAsync()
        {
            try
            {
                await client.DeleteAsync(OneName);
            }
            catch (ZooKeeperException e) when (e.Code == ZooKeeperErrorCode.NoNode)
            {
            }
        }

        public async Task OnceAsync(bool newName)
        {
            var parent = OneName;
            if (newName)
            {
                parent = root + "/n-" + (++_names).ToString(CultureInfo.InvariantCulture);
                await client.CreateAsync(parent, ReadOnlyMemory<byte>.Empty, CreateMode.Container);
            }

            await LockBenchmark.FloorOnceAsync(client, parent, _data);
        }
    }

    /// <summary>
    /// A wrk script whose every request has an id of its own: "&lt;row&gt;-&lt;thread&gt;-&lt;n&gt;". (math.random would give each
    /// wrk thread the same sequence, so two threads would contend on the same ids; and a row reusing an earlier row's ids
    /// would find their lock nodes reaped since, not new.)
    /// </summary>
    private static string DistinctIdsScript(string path, string rowId) => $$"""
        local threads = 0
        function setup(thread)
          threads = threads + 1
          thread:set("tid", threads)
        end
        local n = 0
        wrk.method = "POST"
        request = function()
          n = n + 1
          return wrk.format(nil, "{{path}}{{rowId}}-" .. tid .. "-" .. n)
        end
        """;

    private static async Task<Row> RunWrkAsync(string scenario, string address, string script, TimeSpan duration, int connections)
    {
        var startInfo = new ProcessStartInfo("wrk") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
        {
            "-t", Math.Min(Threads, connections).ToString(CultureInfo.InvariantCulture), "-c", connections.ToString(CultureInfo.InvariantCulture),
            "-d", ((int)duration.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s", "--latency", "-s", script, address,
        })
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException("Could not start wrk (Debian package 'wrk').");
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"wrk failed ({process.ExitCode}): {await process.StandardError.ReadToEndAsync()}{output}");
        }

        double Latency(string percentile)
        {
            var match = Regex.Match(output, $@"^\s*{percentile}%\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
            var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            return match.Groups[2].Value switch { "us" => value / 1000, "s" => value * 1000, _ => value };
        }

        var rps = double.Parse(RequestsPerSecond().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
        var requests = long.Parse(RequestCount().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
        var non2xx = NonSuccess().Match(output) is { Success: true } m ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        return new Row(scenario, rps, Latency("50"), Latency("99"), non2xx, requests);
    }

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex RequestsPerSecond();

    [GeneratedRegex(@"(\d+) requests in")]
    private static partial Regex RequestCount();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex NonSuccess();
}
