using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using ZkSync.TestSupport;

namespace ZkSync.Packages.Tests;

/// <summary>
/// The README's quick start as a new user runs it: <c>dotnet new web</c>, <c>dotnet add package ZkSync.AspNetCore</c>
/// from a local folder of the packed packages (artifacts/packages from eng/test.sh, or packed here), Program.cs and
/// appsettings.json replaced by samples/QuickStart's verbatim, built, started against the test ensemble and asked for a
/// locked request. NuGet restores into a private folder (a stale pack of the same version can never be used) and finds
/// everything else in the machine's package cache.
/// </summary>
public sealed partial class PackedPackageTests : IAsyncLifetime
{
    /// <summary>A cold start of a freshly built app on a loaded two-core machine, and its first ZooKeeper session.</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "zksync-package-tests-" + Guid.NewGuid().ToString("N"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temporary directory.
        }

        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task QuickStart_InAFreshWebApp_AnswersALockedRequest()
    {
        var environment = new Dictionary<string, string?> { ["NUGET_PACKAGES"] = null };
        var (feed, version) = await FindOrPackAsync(environment);
        WriteNuGetConfig(feed);
        var app = Path.Combine(_directory, "Orders");

        await PackageFeed.RunDotnetAsync(_directory, environment, "new", "web", "-o", app);
        await PackageFeed.RunDotnetAsync(app, environment, "add", "package", "ZkSync.AspNetCore", "--version", version);
        var quickStart = Path.Combine(ZooKeeperEnsemble.RepositoryRoot, "samples", "QuickStart");
        File.Copy(Path.Combine(quickStart, "Program.cs"), Path.Combine(app, "Program.cs"), overwrite: true);
        File.Copy(Path.Combine(quickStart, "appsettings.json"), Path.Combine(app, "appsettings.json"), overwrite: true);
        await PackageFeed.RunDotnetAsync(app, environment, "build", "-c", "Release", "-o", Path.Combine(_directory, "out"));

        await using var process = StartApp(Path.Combine(_directory, "out", "Orders.dll"));
        var listening = await process.WaitForLineAsync(line => line.Contains("Now listening on: ", StringComparison.Ordinal), StartTimeout);
        using var http = new HttpClient { BaseAddress = new Uri(ListeningUrl().Match(listening).Value) };

        // The client connects in the background; until it has, a locked endpoint answers 503.
        HttpResponseMessage? response = null;
        var orderId = Random.Shared.Next(1, int.MaxValue);
        await WaitHelper.WaitUntilAsync(async () =>
        {
            response?.Dispose();
            response = await http.PostAsync($"/orders/{orderId}/ship", content: null, Ct);
            return response.StatusCode != HttpStatusCode.ServiceUnavailable;
        }, StartTimeout, Ct);

        using (response)
        {
            Assert.Equal(HttpStatusCode.OK, response!.StatusCode);
            var token = Assert.Single(response.Headers.GetValues("X-Fencing-Token"));
            Assert.True(long.Parse(token, CultureInfo.InvariantCulture) > 0, token);
        }
    }

    /// <summary>The local feed and the version of ZkSync.AspNetCore in it.</summary>
    private async Task<(string Feed, string Version)> FindOrPackAsync(Dictionary<string, string?> environment)
    {
        var feed = Environment.GetEnvironmentVariable(PackageFeed.PackagesDirectoryVariable);
        if (string.IsNullOrEmpty(feed) || !Directory.Exists(feed))
        {
            feed = Path.Combine(_directory, "feed");
            await PackageFeed.PackAsync(feed, version: null, environment, "ZkSync.Core", "ZkSync.AspNetCore");
        }

        var versions = Directory.GetFiles(feed, "ZkSync.AspNetCore.*.nupkg")
            .Select(path => PackageVersion().Match(Path.GetFileName(path)))
            .Where(match => match.Success)
            .Select(match => match.Groups[1].Value)
            .ToList();
        var only = Assert.Single(versions);
        return (Path.GetFullPath(feed), only);
    }

    /// <summary>The local folder for ZkSync's packages, the machine's feed for anything else, the machine's cache first.</summary>
    private void WriteNuGetConfig(string feed)
    {
        var machineCache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } cache
            ? cache
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        File.WriteAllText(Path.Combine(_directory, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="{Path.Combine(_directory, "packages")}" />
              </config>
              <fallbackPackageFolders>
                <add key="machine" value="{machineCache}" />
              </fallbackPackageFolders>
              <packageSources>
                <add key="zksync-local" value="{feed}" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="zksync-local">
                  <package pattern="ZkSync.*" />
                </packageSource>
                <packageSource key="nuget.org">
                  <package pattern="*" />
                </packageSource>
              </packageSourceMapping>
            </configuration>
            """);
    }

    private ObservedProcess StartApp(string dll)
    {
        var root = TestPaths.Unique("packed");
        var startInfo = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add(dll);
        startInfo.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        startInfo.Environment["ZkSync__ConnectionString"] = ZooKeeperEnsemble.ConnectionString;
        startInfo.Environment["ZkSync__Locks__RootPath"] = root + "/locks";
        startInfo.Environment["ZkSync__Leaders__RootPath"] = root + "/leaders";
        return new ObservedProcess(Process.Start(startInfo)!);
    }

    [GeneratedRegex(@"^ZkSync\.AspNetCore\.(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)\.nupkg$")]
    private static partial Regex PackageVersion();

    [GeneratedRegex(@"http://127\.0\.0\.1:\d+")]
    private static partial Regex ListeningUrl();
}
