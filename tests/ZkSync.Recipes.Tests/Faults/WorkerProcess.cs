using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace ZkSync.Recipes.Tests.Faults;

/// <summary>One tests/ZkSync.FaultWorker process: its event lines, its stderr, signals, and a kill on dispose.</summary>
internal sealed class WorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly StringBuilder _errors = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<(Func<string, bool> Match, TaskCompletionSource Seen)> _lineWaiters = [];

    private WorkerProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (_lines)
            {
                _lines.Add(e.Data);
                foreach (var waiter in _lineWaiters.Where(w => w.Match(e.Data)).ToList())
                {
                    waiter.Seen.TrySetResult();
                    _lineWaiters.Remove(waiter);
                }
            }

            if (e.Data.StartsWith("READY", StringComparison.Ordinal))
            {
                _ready.TrySetResult();
            }
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            lock (_errors)
            {
                _errors.AppendLine(e.Data);
            }
        };
    }

    public int Pid => _process.Id;

    public Task Ready => _ready.Task;

    public int ExitCode => _process.ExitCode;

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>Completes when a line matching <paramref name="match"/> has been received (already, or later).</summary>
    public Task WhenLine(Func<string, bool> match) => WhenLine(match, includeReceived: true);

    /// <summary>Completes when a line matching <paramref name="match"/> arrives after this call.</summary>
    public Task WhenNextLine(Func<string, bool> match) => WhenLine(match, includeReceived: false);

    private Task WhenLine(Func<string, bool> match, bool includeReceived)
    {
        lock (_lines)
        {
            if (includeReceived && _lines.Any(match))
            {
                return Task.CompletedTask;
            }

            var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _lineWaiters.Add((match, seen));
            return seen.Task;
        }
    }

    /// <summary>The last event line received so far.</summary>
    public string? LastLine
    {
        get
        {
            lock (_lines)
            {
                return _lines.Count == 0 ? null : _lines[^1];
            }
        }
    }

    public string Errors
    {
        get
        {
            lock (_errors)
            {
                return _errors.ToString();
            }
        }
    }

    /// <summary>Starts a worker built next to the tests (same configuration).</summary>
    public static WorkerProcess Start(string connection, string root, string record, int sessionTimeoutMs, TimeSpan runTime) =>
        StartWith(connection, root, record, sessionTimeoutMs.ToString(CultureInfo.InvariantCulture), runTime.TotalSeconds.ToString(CultureInfo.InvariantCulture));

    /// <summary>
    /// Starts a worker in its starving mode: it takes lock <c>job</c> under <paramref name="root"/>, prints
    /// <c>HELD &lt;token&gt;</c>, blocks every thread-pool thread (<c>STARVED</c>) and prints <c>LOST &lt;ts&gt;</c> from a
    /// thread of its own as soon as the handle's Lost flag is set.
    /// </summary>
    public static WorkerProcess StartStarving(string connection, string root, int sessionTimeoutMs) =>
        StartWith("starve", connection, root, sessionTimeoutMs.ToString(CultureInfo.InvariantCulture));

    private static WorkerProcess StartWith(params string[] arguments)
    {
        var testDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = testDir.Parent!.Name;
        var dll = Path.GetFullPath(Path.Combine(testDir.FullName, "..", "..", "..", "..", "ZkSync.FaultWorker", "bin", configuration, testDir.Name, "ZkSync.FaultWorker.dll"));
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"The fault worker is not built: {dll}. Build the solution (tests/ZkSync.FaultWorker).", dll);
        }

        var startInfo = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments.Prepend(dll))
        {
            startInfo.ArgumentList.Add(argument);
        }

        var worker = new WorkerProcess(new Process { StartInfo = startInfo });
        worker._process.Start();
        worker._process.BeginOutputReadLine();
        worker._process.BeginErrorReadLine();
        return worker;
    }

    /// <summary>Sends a signal (<c>STOP</c>, <c>CONT</c>) with kill(1).</summary>
    public void Signal(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-" + signal, Pid.ToString(CultureInfo.InvariantCulture) } })!;
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {Pid} failed.");
        }
    }

    /// <summary>Waits for the worker to exit on its own; false when it did not within <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                Signal("CONT");
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already gone.
        }

        _process.Dispose();
    }
}
