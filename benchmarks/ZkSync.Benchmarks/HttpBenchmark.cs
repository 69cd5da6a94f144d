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

    public static async Task<IReadOnlyList<Row>> RunAsync(string connectionString, TimeSpan duration)
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
        var scripts = Directory.CreateTempSubdirectory("zksync-wrk-");
        try
        {
            var rows = new List<Row>();
            foreach (var (scenario, path, distinct, connections) in new[]
            {
                ("locked, distinct ids", "/locked/", true, Connections),
                ("locked, one hot id", "/locked/42", false, Connections),
                ("unlocked, distinct ids", "/unlocked/", true, Connections),

                // Low load: one connection, no queueing; the difference at p50 is what the lock adds to a request.
                // The same with one id over and over: the name's lock node is there already (one connection: no queueing).
                (LowLoadLocked, "/locked/", true, 1),
                (LowLoadLockedOneId, "/locked/43", false, 1),
                (LowLoadUnlocked, "/unlocked/", true, 1),
            })
            {
                var rowId = rows.Count.ToString(CultureInfo.InvariantCulture);
                var script = Path.Combine(scripts.FullName, rowId + ".lua");
                await File.WriteAllTextAsync(script, distinct ? DistinctIdsScript(path, rowId) : $"wrk.method = \"POST\"\nwrk.path = \"{path}\"\n");
                using var counter = new RequestCounter();
                var row = await RunWrkAsync(scenario, address, script, duration, connections);
                rows.Add(row with { ZooKeeperRequestsPerRequest = counter.PerOperation(row.Requests) });
            }

            return rows;
        }
        finally
        {
            scripts.Delete(recursive: true);
            await app.StopAsync();
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
