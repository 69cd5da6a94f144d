namespace ZkSync.TestSupport.Peers;

/// <summary>
/// kazoo (Python) in a child process (<c>tests/peers/python/kazoo_peer.py</c>): kazoo's <c>Lock</c> through
/// <see cref="PeerProcess.AcquireMutexAsync"/>/<see cref="PeerProcess.ReleaseMutexAsync"/>.
/// </summary>
/// <remarks>
/// kazoo names lock nodes <c>&lt;32 hex&gt;__lock__&lt;10 digits&gt;</c> and ignores other children, so it does
/// not exclude Curator-style <c>_c_&lt;uuid&gt;-lock-</c> holders on the same path (shared/RECIPES.md §5).
/// kazoo locks are not reentrant: acquiring a held handle is reported as an error.
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
}
