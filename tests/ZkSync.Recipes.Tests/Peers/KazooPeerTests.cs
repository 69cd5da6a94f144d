using System.Text.RegularExpressions;
using Xunit;

namespace ZkSync.Recipes.Tests.Peers;

/// <summary>The kazoo peer harness against a real ZooKeeper (<c>ZKSYNC_TEST_CONNECTION</c>).</summary>
[Collection(PeerScenario.Collection)]
public sealed partial class KazooPeerTests
{
    [Fact]
    public async Task AcquireMutexAsync_KazooPeer_AcquiresExcludesAndReleases()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scenario = new PeerScenario();
        var peer = await scenario.StartKazooAsync();
        var path = scenario.PathFor("kazoo-mutex");

        Assert.True(await peer.AcquireMutexAsync("a", path, PeerScenario.Patience, ct));
        var name = Assert.Single(await peer.GetChildrenAsync(path, ct));
        Assert.Matches(KazooLockNode(), name);
        // A second kazoo Lock (same session, other handle) is excluded while "a" holds.
        Assert.False(await peer.AcquireMutexAsync("b", path, TimeSpan.FromMilliseconds(500), ct));

        await peer.ReleaseMutexAsync("a", ct);
        Assert.Empty(await peer.GetChildrenAsync(path, ct));
        Assert.True(await peer.AcquireMutexAsync("b", path, PeerScenario.Patience, ct));
        await peer.ReleaseMutexAsync("b", ct);
    }

    [GeneratedRegex("^[0-9a-f]{32}__lock__[0-9]{10}$")]
    private static partial Regex KazooLockNode();
}
