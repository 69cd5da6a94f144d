namespace ZkSync.TestSupport.Peers;

/// <summary>
/// kazoo (Python) in a child process (<c>tests/peers/python/kazoo_peer.py</c>): kazoo's <c>Lock</c> through
/// <see cref="PeerProcess.AcquireMutexAsync"/>/<see cref="PeerProcess.ReleaseMutexAsync"/> (or
/// <see cref="AcquireMutexAsync(string, string, TimeSpan, IReadOnlyList{string}, CancellationToken)"/> with
/// <c>extra_lock_patterns</c>), <c>ReadLock</c>/<c>WriteLock</c> through <see cref="AcquireReadWriteAsync"/>.
/// </summary>
/// <remarks>
/// kazoo names lock nodes <c>&lt;32 hex&gt;__lock__&lt;10 digits&gt;</c> (<c>__rlock__</c> for readers) and
/// ignores other children unless they match an extra pattern, so without one it does not exclude Curator-style
/// <c>_c_&lt;uuid&gt;-lock-</c> holders (Curator's or ZkSync's) on the same path (shared/RECIPES.md §5). While an
/// acquire waits, the peer reports <c>lock-waiting &lt;id&gt; &lt;predecessor&gt;</c> events
/// (<see cref="WaitUntilWaitingAsync"/>). kazoo locks are not reentrant: acquiring a held handle is reported as an
/// error.
/// </remarks>
public sealed class KazooPeer : PeerProcess
{
    private KazooPeer(System.Diagnostics.ProcessStartInfo startInfo)
        : base(nameof(KazooPeer), startInfo)
    {
    }

    /// <summary>Starts the Python peer and waits until its session is connected.</summary>
    /// <param name="connectionString">ZooKeeper connection string.</param>
    /// <param name="sessionTimeout">Requested session timeout (default 10 s).</param>
    /// <param name="readyTimeout">How long to wait for the start and connection (default 30 s).</param>
    /// <param name="cancellationToken">Cancels the start; the process is then killed.</param>
    /// <exception cref="PeerUnavailableException">No Python 3 with kazoo was found.</exception>
    public static async Task<KazooPeer> StartAsync(
        string connectionString, TimeSpan? sessionTimeout = null, TimeSpan? readyTimeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var startInfo = PeerTools.CreatePythonStartInfo(
            "kazoo_peer.py", connectionString, Milliseconds(sessionTimeout ?? TimeSpan.FromSeconds(10)), "15000");
        var peer = new KazooPeer(startInfo);
        try
        {
            await peer.StartProcessAsync(readyTimeout ?? TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            return peer;
        }
        catch
        {
            await peer.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// <c>mutex-acquire</c> with kazoo's <c>extra_lock_patterns</c>: true if acquired, false if
    /// <paramref name="timeout"/> elapsed first (<see cref="TimeSpan.Zero"/>: one non-blocking try).
    /// </summary>
    public Task<bool> AcquireMutexAsync(string id, string path, TimeSpan timeout, IReadOnlyList<string> extraLockPatterns, CancellationToken cancellationToken = default) =>
        AcquireAsync($"mutex-acquire {Token(id)} {Token(path)} {Milliseconds(timeout)}{Patterns(extraLockPatterns)}", timeout, cancellationToken);

    /// <summary>
    /// <c>rw-acquire</c>: kazoo's <c>ReadLock</c> or <c>WriteLock</c>, with optional <c>extra_lock_patterns</c>;
    /// true if acquired, false if <paramref name="timeout"/> elapsed first (<see cref="TimeSpan.Zero"/>: one try).
    /// </summary>
    public Task<bool> AcquireReadWriteAsync(string id, string path, bool isWrite, TimeSpan timeout, IReadOnlyList<string>? extraLockPatterns = null, CancellationToken cancellationToken = default) =>
        AcquireAsync($"rw-acquire {Token(id)} {Token(path)} {(isWrite ? "write" : "read")} {Milliseconds(timeout)}{Patterns(extraLockPatterns)}", timeout, cancellationToken);

    /// <summary><c>rw-release</c>: releases the read or write handle.</summary>
    public Task ReleaseReadWriteAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync($"rw-release {Token(id)}", cancellationToken);

    /// <summary>
    /// Waits until the acquire of handle <paramref name="id"/> has decided to wait for a node ahead of it and returns
    /// that node's name (the <c>lock-waiting</c> event; other events read meanwhile are consumed).
    /// </summary>
    /// <param name="id">The handle.</param>
    /// <param name="acquisition">The acquire's reply: if it comes first, the lock was taken without waiting.</param>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="InvalidOperationException">The acquire replied first.</exception>
    /// <exception cref="TimeoutException">Neither came in time.</exception>
    public async Task<string> WaitUntilWaitingAsync(string id, Task<bool> acquisition, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(acquisition);
        var prefix = $"lock-waiting {Token(id)} ";
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var waiting = WaitForEventAsync(e => e.StartsWith(prefix, StringComparison.Ordinal), timeout, stop.Token);
        if (await Task.WhenAny(waiting, acquisition).ConfigureAwait(false) == acquisition)
        {
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await waiting.ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or TimeoutException or InvalidOperationException)
            {
                // Stopped above: only the acquisition's outcome matters now.
            }

            var outcome = await acquisition.ConfigureAwait(false) ? "acquired" : "timed out";
            throw new InvalidOperationException($"{Name}: handle '{id}' {outcome} without waiting for a node ahead of it.");
        }

        return (await waiting.ConfigureAwait(false))[prefix.Length..];
    }

    private static string Patterns(IReadOnlyList<string>? patterns)
    {
        if (patterns is null || patterns.Count == 0)
        {
            return "";
        }

        foreach (var pattern in patterns)
        {
            if (string.IsNullOrEmpty(pattern) || pattern.Contains(',', StringComparison.Ordinal) || pattern.Any(char.IsWhiteSpace))
            {
                throw new ArgumentException($"Pattern '{pattern}' must be non-empty, without ',' or whitespace.", nameof(patterns));
            }
        }

        return " " + string.Join(',', patterns);
    }
}
