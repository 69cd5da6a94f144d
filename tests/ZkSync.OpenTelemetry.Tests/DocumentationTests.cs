using System.Diagnostics.Metrics;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ZkSync.AspNetCore;
using ZkSync.Leadership;
using ZkSync.Locks;
using ZkSync.Semaphores;
using ZkSync.TestSupport;

namespace ZkSync.OpenTelemetry.Tests;

/// <summary>docs/observability.md lists exactly the instruments and log events the packages have.</summary>
public sealed partial class DocumentationTests
{
    private static string Document => File.ReadAllText(Path.Combine(ZooKeeperEnsemble.RepositoryRoot, "docs", "observability.md"));

    [Fact]
    public async Task Instruments_AreExactlyThoseDocumented()
    {
        var published = new HashSet<(string Meter, string Instrument)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name is ZkSyncDiagnostics.MeterName or ZkSyncDiagnostics.AspNetCoreMeterName)
                {
                    lock (published)
                    {
                        published.Add((instrument.Meter.Name, instrument.Name));
                    }
                }
            },
        };
        listener.Start();

        // Everything that creates instruments: a client, the three recipe families, and the ASP.NET Core services.
        await using var client = await TestClients.ConnectAsync();
        _ = new ZooKeeperLockProvider(client);
        await using var election = new ZooKeeperLeaderElection(client, "docs");
        _ = new ZooKeeperSemaphore(client, "docs", 1);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ZkSync:ConnectionString"] = ZooKeeperEnsemble.ConnectionString }).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddZkSync(configuration);
        await using var provider = services.BuildServiceProvider();
        foreach (var descriptor in services.Where(d => d.ServiceType.Assembly == typeof(ZkSyncOptions).Assembly && d.ServiceType.Name.EndsWith("Metrics", StringComparison.Ordinal)))
        {
            _ = provider.GetRequiredService(descriptor.ServiceType);
        }

        var documented = DocumentedInstruments().ToHashSet();
        HashSet<(string, string)> actual;
        lock (published)
        {
            actual = [.. published];
        }

        Assert.True(documented.SetEquals(actual),
            $"Not documented: {string.Join(", ", actual.Except(documented))}. Documented but not published: {string.Join(", ", documented.Except(actual))}.");
    }

    [Fact]
    public void LogEvents_AreExactlyThoseDocumented()
    {
        var actual = new[] { typeof(ZkSyncDiagnostics).Assembly.GetType("ZkSync.Log")!, typeof(ZkSyncOptions).Assembly.GetType("ZkSync.AspNetCore.Log")! }
            .SelectMany(type => type.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
            .Select(method => method.GetCustomAttribute<LoggerMessageAttribute>())
            .Where(attribute => attribute is not null)
            .Select(attribute => (attribute!.EventId, attribute.EventName!))
            .ToHashSet();
        var section = Document[Document.IndexOf("## Log events", StringComparison.Ordinal)..];
        var documented = LogRow().Matches(section).Select(m => (int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), m.Groups[2].Value)).ToHashSet();

        Assert.True(documented.SetEquals(actual),
            $"Not documented: {string.Join(", ", actual.Except(documented))}. Documented but not in the code: {string.Join(", ", documented.Except(actual))}.");
    }

    private static IEnumerable<(string Meter, string Instrument)> DocumentedInstruments()
    {
        var metrics = Document[Document.IndexOf("## Metrics", StringComparison.Ordinal)..Document.IndexOf("## Questions", StringComparison.Ordinal)];
        string? meter = null;
        foreach (var line in metrics.Split('\n'))
        {
            if (MeterHeading().Match(line) is { Success: true } heading)
            {
                meter = heading.Groups[1].Value;
            }
            else if (InstrumentRow().Match(line) is { Success: true } row && meter is not null)
            {
                yield return (meter, row.Groups[1].Value);
            }
        }
    }

    [GeneratedRegex(@"^### Meter `([^`]+)`")]
    private static partial Regex MeterHeading();

    [GeneratedRegex(@"^\| `([a-z0-9_.]+)` \|")]
    private static partial Regex InstrumentRow();

    [GeneratedRegex(@"^\| (\d+) \| \w+ \| `(\w+)` \|", RegexOptions.Multiline)]
    private static partial Regex LogRow();
}
