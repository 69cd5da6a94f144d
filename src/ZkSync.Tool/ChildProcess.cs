using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ZkSync.Tool;

/// <summary>
/// Runs the command of <c>lock run</c> and <c>barrier hold</c> with the tool's stdin, stdout and stderr. SIGINT, SIGTERM,
/// SIGHUP and SIGQUIT sent to the tool are passed on to the command (the tool keeps running until the command exits, so
/// that it releases what it holds afterwards). <see cref="StopAsync"/> ends it: SIGTERM, then SIGKILL after a grace period.
/// </summary>
internal sealed partial class ChildProcess : IDisposable
{
    private const int SigTerm = 15;
    private readonly Process _process;
    private readonly List<PosixSignalRegistration> _signals = [];

    private ChildProcess(Process process) => _process = process;

    public int Id => _process.Id;

    /// <summary>Starts <paramref name="command"/>; ends the tool's command with 127 when it cannot be run.</summary>
    public static ChildProcess Start(IReadOnlyList<string> command, IReadOnlyDictionary<string, string> environment)
    {
        var startInfo = new ProcessStartInfo(command[0]) { UseShellExecute = false };
        foreach (var argument in command.Skip(1))
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            startInfo.Environment[key] = value;
        }

        var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            process.Dispose();
            throw new ToolException(ExitCodes.CommandNotFound, $"cannot run '{command[0]}': {ex.Message}.");
        }

        var child = new ChildProcess(process);
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP, PosixSignal.SIGQUIT })
        {
            child._signals.Add(PosixSignalRegistration.Create(signal, context =>
            {
                // Stay alive to release after the command exits; the command decides what the signal means.
                context.Cancel = true;
                child.Signal(context.Signal);
            }));
        }

        return child;
    }

    /// <summary>Completes with the exit code (128 + N for a command ended by signal N, as a shell reports it).</summary>
    public async Task<int> WaitAsync(CancellationToken cancellationToken)
    {
        await _process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return _process.ExitCode;
    }

    /// <summary>SIGTERM, then SIGKILL (the whole tree) if it has not exited after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            _process.Kill(entireProcessTree: true);
        }
        else
        {
            _ = Kill(_process.Id, SigTerm);
        }

        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"zksync: the command (pid {_process.Id}) did not exit {Durations.Format(grace)} after SIGTERM; sending SIGKILL.");
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        foreach (var registration in _signals)
        {
            registration.Dispose();
        }

        _process.Dispose();
    }

    private void Signal(PosixSignal signal)
    {
        try
        {
            if (!_process.HasExited && !OperatingSystem.IsWindows())
            {
                var number = signal switch
                {
                    PosixSignal.SIGINT => 2,
                    PosixSignal.SIGHUP => 1,
                    PosixSignal.SIGQUIT => 3,
                    _ => SigTerm,
                };
                _ = Kill(_process.Id, number);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
