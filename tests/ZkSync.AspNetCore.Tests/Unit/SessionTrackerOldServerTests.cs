using ZkSync.AspNetCore.Internal;
using ZkSync.Client;
using ZkSync.TestSupport;

namespace ZkSync.AspNetCore.Tests.Unit;

/// <summary>
/// The session tracker behind the health check asks who the session is (whoAmI, ZooKeeper 3.7+). A 3.6 server answers
/// Unimplemented and closes the connection; asked on every reconnect, that was a reconnect loop that made every lock and
/// leadership of the application flap (review F1). Asked once, the session settles after one reconnect.
/// </summary>
public sealed class SessionTrackerOldServerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ZooKeeper36_WhoAmIAskedOnce_TheSessionSettlesAfterOneReconnect()
    {
        var zooKeeper36 = new OldZooKeeperServer(OldZooKeeperServer.ZooKeeper36);
        await using var server = new FakeZooKeeperServer(zooKeeper36.ServeAsync);
        await using var client = new ZooKeeperClient(new ZooKeeperClientOptions { ConnectionString = server.ConnectionString, SessionTimeout = TimeSpan.FromSeconds(4) });
        using var tracker = new ZkSyncSessionTracker(client);

        // A later connection lives long enough to ping (a third of the session timeout): the loop has stopped.
        await zooKeeper36.PingedAfterReconnect.WaitAsync(Patience);

        Assert.Equal(1, zooKeeper36.Refused);
        Assert.Equal(2, server.ConnectionCount);
        Assert.Null(tracker.Identities);
        Assert.True(client.Session.IsConnected);
    }
}
