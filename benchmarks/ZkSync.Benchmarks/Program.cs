using System.Globalization;
using System.Text.Json;
using ZkSync.Benchmarks;

var connection = Environment.GetEnvironmentVariable("ZKSYNC_TEST_CONNECTION") is { Length: > 0 } value
    ? value
    : "127.0.0.1:22181,127.0.0.1:22182,127.0.0.1:22183";
var command = args.Length > 0 ? args[0] : "client";
var seconds = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 10;

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
        foreach (var row in await HttpBenchmark.RunAsync(connection, TimeSpan.FromSeconds(seconds)))
        {
            Console.WriteLine(JsonSerializer.Serialize(row));
        }

        break;
    case "report":
        var output = args.Length > 2 ? args[2] : "docs/benchmarks.md";
        var markdown = await Report.BuildAsync(connection, TimeSpan.FromSeconds(seconds));
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        await File.WriteAllTextAsync(output, markdown);
        Console.WriteLine(markdown);
        break;
    default:
        Console.Error.WriteLine($"Unknown benchmark '{command}'. Use: client [seconds] | locks [seconds] | http [seconds] | report [seconds] [output.md]");
        return 2;
}

return 0;
