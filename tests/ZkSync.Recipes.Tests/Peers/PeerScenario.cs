using Xunit;
using ZkSync.TestSupport.Peers;

namespace ZkSync.Recipes.Tests.Peers;

/// <summary>
/// One test's peers and its private znode namespace <c>/zksync-tests/peers-&lt;guid&gt;</c>. Disposing stops
/// every peer and deletes the namespace through the last one still running.
/// </summary>
internal sealed class PeerScenario : IAsyncDisposable
{
    /// <summary>Tests in this collection run one after another: each starts JVMs, and the machine is small.</summary>
    public const string Collection = "Peers";

    /// <summary>How long a test waits for a reply or event it expects (generous: JVMs start slowly on busy CI).</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly List<PeerProcess> _peers = [];

    /// <summary>From <c>ZKSYNC_TEST_CONNECTION</c>, else the three-node test ensemble.</summary>
    public static string ConnectionString { get; } =
        ZkSync.TestSupport.ZooKeeperEnsemble.ConnectionString;

    public string Root { get; } = $"/zksync-tests/peers-{Guid.NewGuid():N}";

    public string PathFor(string name) => $"{Root}/{name}";

    public async Task<CuratorPeer> StartCuratorAsync() =>
        Track(await CuratorPeer.StartAsync(ConnectionString, cancellationToken: TestContext.Current.CancellationToken));

    public async Task<KazooPeer> StartKazooAsync() =>
        Track(await KazooPeer.StartAsync(ConnectionString, cancellationToken: TestContext.Current.CancellationToken));

    public async ValueTask DisposeAsync()
    {
        var cleaner = _peers.FirstOrDefault(peer => !peer.HasExited);
        foreach (var peer in _peers.Where(peer => peer != cleaner))
        {
            await peer.DisposeAsync();
        }
        if (cleaner is null)
        {
            return;
        }
        try
        {
            // After the other peers quit, so that their releases do not race the delete.
            await cleaner.DeleteRecursiveAsync(Root, CancellationToken.None);
        }
        finally
        {
            await cleaner.DisposeAsync();
        }
    }

    private T Track<T>(T peer)
        where T : PeerProcess
    {
        _peers.Add(peer);
        return peer;
    }
}
