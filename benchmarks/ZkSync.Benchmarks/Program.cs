using System.Globalization;
using System.Text.Json;
using ZkSync.Benchmarks;

var connection = Environment.GetEnvironmentVariable("ZKSYNC_TEST_CONNECTION") is { Length: > 0 } value
    ? value
    : "127.0.0.1:22181,127.0.0.1:22182,127.0.0.1:22183";
var command = args.Length > 0 ? args[0] : "client";
var seconds = args.Length > 1 && command is not ("render" or "scale" or "storm") ? double.Parse(args[1], CultureInfo.InvariantCulture) : 10;

switch (command)
{
    case "client":
        foreach (var result in await ClientThroughputBenchmark.RunAsync(connection, 1000, TimeSpan.FromSeconds(seconds), TimeSpan.FromSeconds(Math.Min(3, seconds / 3))))
        {
            Console.WriteLine(JsonSerializer.Serialize(result));
        }

        break;
    case "locks":
        // ZkSync's lock rows only, with the requests each operation sent (for diagnosing round trips).
        foreach (var row in await LockBenchmark.RunAsync(connection, 1000, TimeSpan.FromSeconds(seconds), TimeSpan.FromSeconds(Math.Max(1, seconds / 4)), 8, 64))
        {
            Console.WriteLine(JsonSerializer.Serialize(row));
        }

        break;
    case "http":
        {
            var http = await HttpBenchmark.RunAsync(connection, TimeSpan.FromSeconds(seconds));
            foreach (var row in http.Rows)
            {
                Console.WriteLine(JsonSerializer.Serialize(row));
            }

            foreach (var round in http.LowLoad)
            {
                Console.WriteLine(JsonSerializer.Serialize(round));
            }
        }

        break;
    case "queue":
        // The queue-length curve only: queue <seconds> <fsync label> <output.json> [rounds=3] [sizes=1,8,64,256]
        {
            var label = args.Length > 2 ? args[2] : "unknown";
            var json = args.Length > 3 ? args[3] : "queue.json";
            var rounds = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 3;
            int[] sizes = args.Length > 5 ? [.. args[5].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))] : [1, 8, 64, 256];
            var started = DateTimeOffset.UtcNow;
            var points = await QueueCurve.RunAsync(connection, sizes, TimeSpan.FromSeconds(seconds), TimeSpan.FromSeconds(Math.Max(1, seconds / 5)), rounds, Console.Out);
            await CurveFiles.WriteAsync(json, new CurveFiles.QueueRun(label, started, seconds, rounds, points));
        }

        break;
    case "scale":
        // Held at once and names over time, ZkSync then Curator and kazoo:
        // scale <fsync label> <output.json> [held counts=1,100,10000] [names=100000] [peer names caps=kazoo=10000]
        {
            var label = args.Length > 1 ? args[1] : "unknown";
            var json = args.Length > 2 ? args[2] : "scale.json";
            int[] counts = args.Length > 3 ? [.. args[3].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))] : [1, 100, 10_000];
            var names = args.Length > 4 ? long.Parse(args[4], CultureInfo.InvariantCulture) : 100_000;
            var caps = ScaleBenchmarks.ParsePeerCaps(args.Length > 5 ? args[5] : "kazoo=10000");
            var started = DateTimeOffset.UtcNow;
            // Names first: its baseline and reaping should not include the held row's 10,000 empty parents.
            var run = await ScaleBenchmarks.RunNamesAsync(connection, names, Console.Out);
            var peerNames = new List<ScaleBenchmarks.NamesRun>();
            var peers = new List<string>();
            foreach (var library in ScaleBenchmarks.PeerLibraries)
            {
                try
                {
                    peerNames.Add(await ScaleBenchmarks.RunPeerNamesAsync(library, connection, Math.Min(names, caps.GetValueOrDefault(library, names)), Console.Out));
                    peers.Add(library);
                }
                catch (ZkSync.TestSupport.Peers.PeerUnavailableException e)
                {
                    Console.WriteLine($"{library} skipped: {e.Message}");
                }
            }

            var held = await ScaleBenchmarks.RunHeldAsync(connection, counts, Console.Out);
            foreach (var library in peers)
            {
                held.AddRange(await ScaleBenchmarks.RunPeerHeldAsync(library, connection, counts, Console.Out));
            }

            await CurveFiles.WriteAsync(json, new CurveFiles.ScaleRun(label, started, held, run, peerNames));
        }

        break;
    case "storm":
        // The reconnect storm: storm <fsync label> <output.json> [rounds=3] [sessions M=50] [watches W=1000]
        {
            var label = args.Length > 1 ? args[1] : "unknown";
            var json = args.Length > 2 ? args[2] : "storm.json";
            var rounds = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 3;
            var sessions = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 50;
            var watches = args.Length > 5 ? int.Parse(args[5], CultureInfo.InvariantCulture) : 1000;
            var started = DateTimeOffset.UtcNow;
            var points = await StormBenchmark.RunAsync(connection, sessions, watches, rounds, Console.Out);
            await CurveFiles.WriteAsync(json, new StormBenchmark.StormRun(label, started, sessions, watches, rounds, points));
        }

        break;
    case "render":
        // Redraws the queue curve's charts and tables from docs/benchmarks/queue-fsync-*.json into the report.
        {
            var target = args.Length > 1 ? args[1] : "docs/benchmarks.md";
            var directory = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(target))!, "benchmarks");
            var markdown = File.Exists(target) ? await File.ReadAllTextAsync(target) : "# ZkSync benchmark report" + Environment.NewLine + Environment.NewLine;
            markdown = QueueSection.Splice(markdown, QueueSection.StartMarker, QueueSection.EndMarker,
                QueueSection.Render(await QueueSection.ReadRunsAsync(directory), directory, "benchmarks"));
            markdown = QueueSection.Splice(markdown, ScaleSection.StartMarker, ScaleSection.EndMarker,
                ScaleSection.Render(await ScaleSection.ReadRunsAsync(directory), directory, "benchmarks"));
            markdown = QueueSection.Splice(markdown, StormSection.StartMarker, StormSection.EndMarker,
                StormSection.Render(await StormSection.ReadRunsAsync(directory), directory, "benchmarks"));
            await File.WriteAllTextAsync(target, markdown);
        }

        break;
    case "report":
        var output = args.Length > 2 ? args[2] : "docs/benchmarks.md";
        var report = await Report.BuildAsync(connection, TimeSpan.FromSeconds(seconds), output, args.Length > 3 ? args[3] : "off");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        await File.WriteAllTextAsync(output, report);
        Console.WriteLine(report);
        break;
    default:
        Console.Error.WriteLine($"Unknown benchmark '{command}'. Use: client [seconds] | locks [seconds] | http [seconds] | queue [seconds] [fsync label] [output.json] [rounds] [sizes] | scale [fsync label] [output.json] [held counts] [names] [peer names caps] | storm [fsync label] [output.json] [rounds] [sessions] [watches] | render [output.md] | report [seconds] [output.md] [fsync label]");
        return 2;
}

return 0;
