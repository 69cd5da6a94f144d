namespace ZkSync.TestSupport.Peers;

/// <summary>
/// Apache Curator 5.4 in a child JVM (<c>tests/peers/java/CuratorPeer.java</c>): InterProcessMutex,
/// InterProcessReadWriteLock and LeaderLatch on the same znodes as the code under test.
/// </summary>
/// <remarks>
/// Events: <c>leader &lt;id&gt; true|false</c> on leadership changes and <c>connection &lt;STATE&gt;</c> on
/// Curator connection state changes. Curator locks are reentrant per handle: acquiring a held handle again
/// counts, and each hold needs its own release.
/// </remarks>
public sealed class CuratorPeer : PeerProcess
{
    private CuratorPeer(System.Diagnostics.ProcessStartInfo startInfo)
        : base(nameof(CuratorPeer), startInfo)
    {
    }

    /// <summary>Compiles the peers if needed, starts a JVM and waits until its session is connected.</summary>
    /// <param name="connectionString">ZooKeeper connection string.</param>
    /// <param name="sessionTimeout">Requested session timeout (default 10 s).</param>
    /// <param name="readyTimeout">How long to wait for the JVM to start and connect (default 30 s).</param>
    /// <param name="cancellationToken">Cancels the start; the process is then killed.</param>
    /// <exception cref="PeerUnavailableException">Java or the Curator/ZooKeeper jars are missing.</exception>
    public static async Task<CuratorPeer> StartAsync(
        string connectionString, TimeSpan? sessionTimeout = null, TimeSpan? readyTimeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var classPath = await PeerTools.GetJavaClassPathAsync(cancellationToken).ConfigureAwait(false);
        var startInfo = PeerTools.CreateJavaStartInfo(
            classPath, nameof(CuratorPeer), maxHeapMegabytes: 128, quickStart: true,
            connectionString, Milliseconds(sessionTimeout ?? TimeSpan.FromSeconds(10)), "15000");
        var peer = new CuratorPeer(startInfo);
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

    /// <summary><c>rw-acquire</c>: one side of an InterProcessReadWriteLock; true if acquired, false on timeout.</summary>
    /// <param name="id">Handle name chosen by the caller (its own table, apart from mutex handles).</param>
    /// <param name="path">The lock path.</param>
    /// <param name="isWrite">The write lock if true, else the read lock.</param>
    /// <param name="timeout">How long the peer waits; <see cref="Timeout.InfiniteTimeSpan"/> waits forever.</param>
    /// <param name="cancellationToken">Stops waiting for the reply (the peer still completes the command).</param>
    public Task<bool> AcquireReadWriteAsync(string id, string path, bool isWrite, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        AcquireAsync($"rw-acquire {Token(id)} {Token(path)} {(isWrite ? "write" : "read")} {Milliseconds(timeout)}", timeout, cancellationToken);

    /// <summary><c>rw-release</c>: releases one hold of the read/write handle.</summary>
    public Task ReleaseReadWriteAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync($"rw-release {Token(id)}", cancellationToken);

    /// <summary><c>latch-start</c>: starts a LeaderLatch (participant id stored as node data).</summary>
    public Task StartLatchAsync(string id, string path, string participantId, CancellationToken cancellationToken = default) =>
        SendAsync($"latch-start {Token(id)} {Token(path)} {Token(participantId)}", cancellationToken);

    /// <summary><c>latch-is-leader</c>: whether the latch currently has leadership.</summary>
    public async Task<bool> IsLeaderAsync(string id, CancellationToken cancellationToken = default) =>
        await SendAsync($"latch-is-leader {Token(id)}", cancellationToken).ConfigureAwait(false) == "true";

    /// <summary><c>latch-stop</c>: closes the latch, giving up leadership (its listener is told).</summary>
    public Task StopLatchAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync($"latch-stop {Token(id)}", cancellationToken);

    /// <summary>Waits for the event <c>leader &lt;id&gt; &lt;isLeader&gt;</c>, consuming the events before it.</summary>
    public Task<string> WaitForLeadershipAsync(string id, bool isLeader, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var expected = $"leader {Token(id)} {(isLeader ? "true" : "false")}";
        return WaitForEventAsync(e => e == expected, timeout, cancellationToken);
    }
}
