using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Threading.Channels;

namespace ZkSync.TestSupport.Peers;

/// <summary>
/// A peer program driven by the line protocol of <c>tests/peers</c>: it prints <c>ready</c> once connected,
/// answers each command line with one <c>ok[ payload]</c> or <c>error message</c> line, in order, and may print
/// <c>event ...</c> lines at any time.
/// </summary>
/// <remarks>
/// Replies are matched to commands first-in first-out, so commands may be sent concurrently; the peer runs
/// them one at a time (a blocking acquire delays the commands queued behind it). A command whose wait times out
/// or is cancelled keeps its place: its late reply is consumed and dropped. Disposing sends <c>quit</c> (the
/// peer releases its locks and closes its session), then kills the process tree if it has not exited.
/// </remarks>
public abstract class PeerProcess : IAsyncDisposable
{
    private const int StandardErrorLimit = 64 * 1024;
    private static readonly TimeSpan QuitTimeout = TimeSpan.FromSeconds(5);

    private readonly Process _process;
    private readonly object _gate = new();
    private readonly Queue<TaskCompletionSource<string?>> _pending = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly TaskCompletionSource<string?> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Channel<string> _events = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly List<string> _eventLog = [];
    private readonly StringBuilder _standardError = new();
    private Task _stdoutPump = Task.CompletedTask;
    private Task _stderrPump = Task.CompletedTask;
    private bool _started;
    private int _processId;
    private bool _stdoutClosed;
    private int _disposed;

    /// <summary>Creates the wrapper; the process starts in <see cref="StartProcessAsync"/>.</summary>
    /// <param name="name">A label for messages, for example <c>CuratorPeer</c>.</param>
    /// <param name="startInfo">With stdin, stdout and stderr redirected.</param>
    protected PeerProcess(string name, ProcessStartInfo startInfo)
    {
        ArgumentNullException.ThrowIfNull(startInfo);
        Name = name;
        _process = new Process { StartInfo = startInfo };
    }

    /// <summary>A label for messages.</summary>
    public string Name { get; }

    /// <summary>The operating-system process id (0 before start).</summary>
    public int ProcessId => _processId;

    /// <summary>Whether the process has exited (always true once disposed).</summary>
    public bool HasExited => Volatile.Read(ref _disposed) != 0 || (_started && _process.HasExited);

    /// <summary>
    /// How long <see cref="SendAsync(string, CancellationToken)"/> waits for a reply (default 30 s); acquire
    /// helpers wait for their lock timeout plus this.
    /// </summary>
    public TimeSpan ReplyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Event lines without the <c>event </c> prefix, for example <c>leader l1 true</c>. Shared with
    /// <see cref="WaitForEventAsync"/>: an event is delivered to one reader only.
    /// </summary>
    public ChannelReader<string> Events => _events.Reader;

    /// <summary>Every event received so far, for diagnostics (not consumed by readers).</summary>
    public IReadOnlyList<string> EventLog
    {
        get
        {
            lock (_gate)
            {
                return [.. _eventLog];
            }
        }
    }

    /// <summary>The last 64 KB the process wrote to stderr (its logs and stack traces).</summary>
    public string StandardError
    {
        get
        {
            lock (_gate)
            {
                return _standardError.ToString();
            }
        }
    }

    /// <summary>Starts the process and waits for its <c>ready</c> line.</summary>
    /// <exception cref="TimeoutException">No <c>ready</c> within <paramref name="readyTimeout"/>.</exception>
    /// <exception cref="InvalidOperationException">The peer reported an error or exited instead.</exception>
    protected async Task StartProcessAsync(TimeSpan readyTimeout, CancellationToken cancellationToken)
    {
        _process.Start();
        _started = true;
        _processId = _process.Id;
        _stdoutPump = Task.Run(PumpStandardOutputAsync, CancellationToken.None);
        _stderrPump = Task.Run(PumpStandardErrorAsync, CancellationToken.None);

        string? line;
        try
        {
            line = await _ready.Task.WaitAsync(readyTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{Name} did not print 'ready' within {readyTimeout.TotalSeconds:0.#} s.{Diagnostics()}");
        }
        if (line == "ready")
        {
            return;
        }
        if (line is null)
        {
            await WaitForExitQuietlyAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"{Name} exited before it was ready.{Diagnostics()}");
        }
        throw new InvalidOperationException($"{Name} failed to start: {(line.StartsWith("error ", StringComparison.Ordinal) ? line[6..] : line)}{Diagnostics()}");
    }

    /// <summary>Sends one command and returns the payload of its <c>ok</c> reply (empty for a bare <c>ok</c>).</summary>
    /// <exception cref="PeerCommandException">The peer replied <c>error ...</c>.</exception>
    /// <exception cref="TimeoutException">No reply within <see cref="ReplyTimeout"/>.</exception>
    /// <exception cref="InvalidOperationException">The peer exited before replying.</exception>
    public Task<string> SendAsync(string command, CancellationToken cancellationToken = default) =>
        SendAsync(command, ReplyTimeout, cancellationToken);

    /// <summary>Sends one command and returns the payload of its <c>ok</c> reply, waiting at most <paramref name="replyTimeout"/>.</summary>
    /// <exception cref="PeerCommandException">The peer replied <c>error ...</c>.</exception>
    /// <exception cref="TimeoutException">No reply in time.</exception>
    /// <exception cref="InvalidOperationException">The peer exited before replying.</exception>
    public async Task<string> SendAsync(string command, TimeSpan replyTimeout, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var reply = await SendCoreAsync(command, replyTimeout, cancellationToken).ConfigureAwait(false);
        if (reply == "ok")
        {
            return "";
        }
        if (reply.StartsWith("ok ", StringComparison.Ordinal))
        {
            return reply[3..];
        }
        if (reply.StartsWith("error ", StringComparison.Ordinal))
        {
            throw new PeerCommandException(Name, command, reply[6..]);
        }
        throw new InvalidOperationException($"{Name} answered '{command}' with an unexpected line: '{reply}'.");
    }

    /// <summary>
    /// Reads events until one matches <paramref name="predicate"/> and returns it; the events read before it are
    /// consumed (they stay in <see cref="EventLog"/>).
    /// </summary>
    /// <exception cref="TimeoutException">No matching event in time; the message lists the events seen.</exception>
    /// <exception cref="InvalidOperationException">The peer exited first.</exception>
    public async Task<string> WaitForEventAsync(Func<string, bool> predicate, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            while (true)
            {
                var item = await _events.Reader.ReadAsync(limit.Token).ConfigureAwait(false);
                if (predicate(item))
                {
                    return item;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{Name}: no matching event within {timeout.TotalSeconds:0.#} s.{Diagnostics()}");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"{Name} exited while waiting for an event.{Diagnostics()}");
        }
    }

    /// <summary><c>mutex-acquire</c>: true if acquired, false if <paramref name="timeout"/> elapsed first.</summary>
    /// <param name="id">Handle name chosen by the caller.</param>
    /// <param name="path">The lock path.</param>
    /// <param name="timeout">How long the peer waits; <see cref="Timeout.InfiniteTimeSpan"/> waits forever.</param>
    /// <param name="cancellationToken">Stops waiting for the reply (the peer still completes the command).</param>
    public Task<bool> AcquireMutexAsync(string id, string path, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        AcquireAsync($"mutex-acquire {Token(id)} {Token(path)} {Milliseconds(timeout)}", timeout, cancellationToken);

    /// <summary><c>mutex-release</c>: releases one hold of the handle.</summary>
    public Task ReleaseMutexAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync($"mutex-release {Token(id)}", cancellationToken);

    /// <summary><c>children</c>: the child names of <paramref name="path"/>, sorted ordinally.</summary>
    public async Task<IReadOnlyList<string>> GetChildrenAsync(string path, CancellationToken cancellationToken = default)
    {
        var payload = await SendAsync($"children {Token(path)}", cancellationToken).ConfigureAwait(false);
        return payload.Length == 0 ? [] : payload.Split(',');
    }

    /// <summary><c>delete-recursive</c>: deletes <paramref name="path"/> and everything below it, if it exists.</summary>
    public Task DeleteRecursiveAsync(string path, CancellationToken cancellationToken = default) =>
        SendAsync($"delete-recursive {Token(path)}", cancellationToken);

    /// <summary>Sends a lock-acquire command and maps <c>acquired</c>/<c>timeout</c> to true/false.</summary>
    protected async Task<bool> AcquireAsync(string command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var replyTimeout = timeout == Timeout.InfiniteTimeSpan ? Timeout.InfiniteTimeSpan : timeout + ReplyTimeout;
        var payload = await SendAsync(command, replyTimeout, cancellationToken).ConfigureAwait(false);
        return payload switch
        {
            "acquired" => true,
            "timeout" => false,
            _ => throw new InvalidOperationException($"{Name} answered '{command}' with 'ok {payload}'; expected 'acquired' or 'timeout'."),
        };
    }

    /// <summary>Checks that a command argument is a single protocol token (non-empty, no whitespace).</summary>
    protected static string Token(string value, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(value))] string? name = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(value, name);
        if (value.Any(char.IsWhiteSpace))
        {
            throw new ArgumentException($"'{value}' contains whitespace; protocol arguments are single tokens.", name);
        }
        return value;
    }

    /// <summary>A timeout in whole milliseconds, -1 for infinite.</summary>
    protected static string Milliseconds(TimeSpan timeout)
    {
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            return "-1";
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        return ((long)timeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Sends <c>quit</c> and waits briefly for a clean exit; kills the process tree if that fails, or at once if
    /// a command is still outstanding (the peer is busy and would not read <c>quit</c> in time). Outstanding
    /// commands then fail with <see cref="InvalidOperationException"/>.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        GC.SuppressFinalize(this);
        try
        {
            if (!_started)
            {
                return;
            }
            bool busy;
            lock (_gate)
            {
                busy = _pending.Count > 0;
            }
            if (!busy && !_process.HasExited)
            {
                try
                {
                    // Lets the peer release its locks and close its session, so its ephemeral nodes go now
                    // rather than a session timeout later.
                    await SendCoreAsync("quit", QuitTimeout, CancellationToken.None).ConfigureAwait(false);
                    await WaitForExitQuietlyAsync().ConfigureAwait(false);
                }
                catch (Exception e) when (e is TimeoutException or InvalidOperationException)
                {
                    // No answer, or already gone: the kill below ends it.
                }
            }
            if (!_process.HasExited)
            {
                try
                {
                    _process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // Exited in between.
                }
                await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
            // The pumps end at EOF, which follows the exit; they never throw.
            await Task.WhenAll(_stdoutPump, _stderrPump).ConfigureAwait(false);
        }
        finally
        {
            _process.Dispose();
        }
    }

    private async Task<string> SendCoreAsync(string command, TimeSpan replyTimeout, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(command);
        if (command.Contains('\n', StringComparison.Ordinal) || command.Contains('\r', StringComparison.Ordinal))
        {
            throw new ArgumentException("A command is a single line.", nameof(command));
        }
        if (!_started)
        {
            throw new InvalidOperationException($"{Name} has not been started.");
        }

        var reply = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_gate)
            {
                if (_stdoutClosed)
                {
                    throw new InvalidOperationException($"{Name} has exited; cannot send '{command}'.{DiagnosticsLocked()}");
                }
                // Enqueue and write under the same lock so that queue order is wire order.
                _pending.Enqueue(reply);
            }
            try
            {
                // Not cancellable: a half-written line would desynchronise the protocol.
                await _process.StandardInput.WriteAsync(command + "\n").ConfigureAwait(false);
                await _process.StandardInput.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // The peer is gone (or being disposed); the stdout pump completes the reply with null at EOF.
            }
        }
        finally
        {
            _writeLock.Release();
        }

        string? line;
        try
        {
            line = await reply.Task.WaitAsync(replyTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{Name}: no reply to '{command}' within {replyTimeout.TotalSeconds:0.#} s.{Diagnostics()}");
        }
        if (line is null)
        {
            if (Volatile.Read(ref _disposed) != 0 && command != "quit")
            {
                throw new InvalidOperationException($"{Name} was disposed before replying to '{command}'.");
            }
            await WaitForExitQuietlyAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"{Name} exited before replying to '{command}'.{Diagnostics()}");
        }
        return line;
    }

    private async Task PumpStandardOutputAsync()
    {
        try
        {
            while (await _process.StandardOutput.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                if (line.StartsWith("event ", StringComparison.Ordinal))
                {
                    var item = line[6..];
                    lock (_gate)
                    {
                        _eventLog.Add(item);
                    }
                    _events.Writer.TryWrite(item);
                }
                else if (!_ready.Task.IsCompleted)
                {
                    _ready.TrySetResult(line);
                }
                else
                {
                    TaskCompletionSource<string?>? reply;
                    lock (_gate)
                    {
                        if (!_pending.TryDequeue(out reply))
                        {
                            AppendStandardErrorLocked($"[harness] unexpected stdout line: {line}");
                        }
                    }
                    reply?.TrySetResult(line);
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The pipe broke: same as EOF.
        }
        finally
        {
            TaskCompletionSource<string?>[] orphans;
            lock (_gate)
            {
                _stdoutClosed = true;
                orphans = [.. _pending];
                _pending.Clear();
            }
            // Null (not an exception) means "exited": nothing is left faulted and unobserved.
            foreach (var orphan in orphans)
            {
                orphan.TrySetResult(null);
            }
            _ready.TrySetResult(null);
            _events.Writer.TryComplete();
        }
    }

    private async Task PumpStandardErrorAsync()
    {
        try
        {
            while (await _process.StandardError.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                lock (_gate)
                {
                    AppendStandardErrorLocked(line);
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
        }
    }

    private void AppendStandardErrorLocked(string line)
    {
        _standardError.Append(line).Append('\n');
        if (_standardError.Length > StandardErrorLimit)
        {
            _standardError.Remove(0, _standardError.Length - StandardErrorLimit);
        }
    }

    private async Task WaitForExitQuietlyAsync()
    {
        // Only to report the exit code and the last stderr lines; a concurrent DisposeAsync may dispose the process.
        using var limit = new CancellationTokenSource(QuitTimeout);
        try
        {
            await _process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or ObjectDisposedException)
        {
        }
    }

    private string Diagnostics()
    {
        lock (_gate)
        {
            return DiagnosticsLocked();
        }
    }

    private string DiagnosticsLocked()
    {
        var text = new StringBuilder();
        try
        {
            if (_started && _process.HasExited)
            {
                text.Append(CultureInfo.InvariantCulture, $" Exit code {_process.ExitCode}.");
            }
        }
        catch (InvalidOperationException)
        {
            // Already disposed.
        }
        if (_eventLog.Count > 0)
        {
            text.Append(" Events: ").AppendJoin(" | ", _eventLog.TakeLast(20)).Append('.');
        }
        var stderr = _standardError.ToString().Trim();
        if (stderr.Length > 0)
        {
            text.Append(Environment.NewLine).Append("stderr (tail):").Append(Environment.NewLine)
                .Append(stderr.Length > 4000 ? stderr[^4000..] : stderr);
        }
        return text.ToString();
    }
}
