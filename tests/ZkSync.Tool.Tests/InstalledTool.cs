using System.Diagnostics;
using ZkSync.TestSupport;

namespace ZkSync.Tool.Tests;

/// <summary>
/// The packed tool, installed as users install it: <c>dotnet pack</c> of src/ZkSync.Tool into a temporary feed, then
/// <c>dotnet tool install --tool-path</c> from it (with a private NuGet cache, so an earlier pack of the same version is
/// never reused). Shared by every test of the assembly; removed when they end.
/// </summary>
public sealed class InstalledTool : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "zksync-tool-tests-" + Guid.NewGuid().ToString("N"));

    /// <summary>The installed <c>zksync</c> executable.</summary>
    public string Executable { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        var feed = Path.Combine(_directory, "feed");
        var version = "0.0.0-test." + DateTime.UtcNow.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture);
        var environment = new Dictionary<string, string?> { ["NUGET_PACKAGES"] = Path.Combine(_directory, "nuget") };
        await PackageFeed.PackAsync(feed, version, environment, "ZkSync.Tool");
        var tools = Path.Combine(_directory, "tools");
        await PackageFeed.RunDotnetAsync(_directory, environment, "tool", "install", "ZkSync.Tool", "--tool-path", tools, "--add-source", feed, "--version", version, "--ignore-failed-sources");
        Executable = Path.Combine(tools, OperatingSystem.IsWindows() ? "zksync.exe" : "zksync");
        Assert.True(File.Exists(Executable), $"dotnet tool install did not create {Executable}");
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

    /// <summary>Runs the tool to its end; fails the test if it takes longer than <paramref name="timeout"/>.</summary>
    public async Task<ToolResult> RunAsync(string[] args, IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? timeout = null)
    {
        await using var process = Start(args, environment);
        var exitCode = await process.WaitForExitAsync(timeout ?? WaitHelper.DefaultTimeout);
        return new ToolResult(exitCode, process.StandardOutput, process.StandardError);
    }

    /// <summary>Starts the tool; read its output line by line, write to its stdin, wait for its exit.</summary>
    public ObservedProcess Start(string[] args, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var startInfo = new ProcessStartInfo(Executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        // No setting leaks in from the machine running the tests.
        startInfo.Environment.Remove("ZKSYNC_SERVER");
        startInfo.Environment.Remove("ZkSync__ConnectionString");
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            startInfo.Environment[key] = value;
        }

        return new ObservedProcess(Process.Start(startInfo)!);
    }
}

/// <summary>A finished run of the tool.</summary>
public sealed record ToolResult(int ExitCode, string StandardOutput, string StandardError)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{StandardOutput}\n--- stderr\n{StandardError}";
}
