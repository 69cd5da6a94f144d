using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Threading.Channels;
using ZkSync.TestSupport;

namespace ZkSync.Tool.Tests;

/// <summary>
/// The packed tool, installed as users install it: <c>dotnet pack</c> of src/ZkSync.Tool into a temporary feed, then
/// <c>dotnet tool install --tool-path</c> from it (with a private NuGet cache, so an earlier pack of the same version is
/// never reused). Shared by every test of the assembly; removed when they end.
/// </summary>
public sealed class InstalledTool : IAsyncLifetime
{
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(5);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "zksync-tool-tests-" + Guid.NewGuid().ToString("N"));

    /// <summary>The installed <c>zksync</c> executable.</summary>
    public string Executable { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        var repository = FindRepository();
        var configuration = typeof(InstalledTool).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        var feed = Path.Combine(_directory, "feed");
        var version = "0.0.0-test." + DateTime.UtcNow.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture);
        await RunDotnetAsync(repository, "pack", Path.Combine(repository, "src", "ZkSync.Tool", "ZkSync.Tool.csproj"), "-c", configuration, "--no-build",
            "-o", feed, $"-p:PackageVersion={version}");
        var tools = Path.Combine(_directory, "tools");
        await RunDotnetAsync(_directory, "tool", "install", "ZkSync.Tool", "--tool-path", tools, "--add-source", feed, "--version", version, "--ignore-failed-sources");
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
    public ToolProcess Start(string[] args, IReadOnlyDictionary<string, string?>? environment = null)
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

        return new ToolProcess(Process.Start(startInfo)!);
    }

    private static string FindRepository()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "ZkSync.AspNetCore.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No ZkSync.AspNetCore.sln above {AppContext.BaseDirectory}.");
    }

    private async Task RunDotnetAsync(string workingDirectory, params string[] args)
    {
        var startInfo = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        startInfo.Environment["NUGET_PACKAGES"] = Path.Combine(_directory, "nuget");
        startInfo.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(InstallTimeout);
        await process.WaitForExitAsync(cts.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet {string.Join(' ', args)} exited with {process.ExitCode}:\n{await output}\n{await error}");
        }
    }
}

/// <summary>A finished run of the tool.</summary>
public sealed record ToolResult(int ExitCode, string StandardOutput, string StandardError)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{StandardOutput}\n--- stderr\n{StandardError}";
}

/// <summary>A running tool process: its output lines as they come, its stdin, its exit.</summary>
public sealed class ToolProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    public ToolProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Collect(e.Data, _stdout);
        _process.ErrorDataReceived += (_, e) => Collect(e.Data, _stderr);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public string StandardOutput
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public string StandardError
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Waits for a line of stdout or stderr that satisfies <paramref name="predicate"/>.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> predicate, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? WaitHelper.DefaultTimeout);
        try
        {
            await foreach (var line in _lines.Reader.ReadAllAsync(cts.Token))
            {
                if (predicate(line))
                {
                    return line;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        throw new TimeoutException($"No such line from the tool.\n--- stdout\n{StandardOutput}\n--- stderr\n{StandardError}");
    }

    public Task WriteLineAsync(string line) => _process.StandardInput.WriteLineAsync(line);

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The tool did not exit within {timeout}.\n--- stdout\n{StandardOutput}\n--- stderr\n{StandardError}");
        }

        // The redirected streams are drained once the process has exited and WaitForExit returns.
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Collect(string? line, StringBuilder buffer)
    {
        if (line is null)
        {
            return;
        }

        lock (buffer)
        {
            buffer.AppendLine(line);
        }

        _lines.Writer.TryWrite(line);
    }
}
