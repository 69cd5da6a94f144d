using ZkSync.Client;
using ZkSync.TestSupport;

namespace ZkSync.Client.Tests.Unit;

/// <summary>
/// What ZooKeeper 3.5 and 3.6, which no registry here serves, do with a request they do not know (review F1): their
/// <c>UnimplementedRequestProcessor</c> answers it at once with Unimplemented, ahead of replies still in the pipeline,
/// and then closes the connection (the session survives). 3.5 knows neither persistent watches (addWatch) nor
/// getEphemerals/getAllChildrenNumber; 3.6 does not know whoAmI.
/// </summary>
public sealed class OldServerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task WhoAmI_OnZooKeeper36_FailsNamingTheVersionNeeded_AndIsNeverSentAgain()
    {
        var server = new OldZooKeeperServer(OldZooKeeperServer.ZooKeeper36);
        await using var fake = new FakeZooKeeperServer(server.ServeAsync);
        await using var client = await fake.ConnectClientAsync(Patience);

        var refused = await Assert.ThrowsAsync<ZooKeeperException>(() => client.WhoAmIAsync().WaitAsync(Patience));

        Assert.Equal(ZooKeeperErrorCode.Unimplemented, refused.Code);
        Assert.Contains("whoAmI needs ZooKeeper 3.7 or later", refused.Message, StringComparison.Ordinal);
        await fake.WaitForConnectionsAsync(2).WaitAsync(Patience); // the server closed the connection; the session goes on
        await client.WaitForConnectedAsync().WaitAsync(Patience);
        var again = await Assert.ThrowsAsync<ZooKeeperException>(() => client.WhoAmIAsync().WaitAsync(Patience));
        Assert.Equal(ZooKeeperErrorCode.Unimplemented, again.Code);
        Assert.Null(await client.ExistsAsync("/x").WaitAsync(Patience)); // a round trip on the same connection
        Assert.Equal(1, server.Refused);
        Assert.Equal(2, fake.ConnectionCount);
    }

    [Fact]
    public async Task WhoAmI_RefusedAheadOfAnEarlierRequest_StillLearnsWhy()
    {
        var server = new OldZooKeeperServer(OldZooKeeperServer.ZooKeeper36, answerKnown: false);
        await using var fake = new FakeZooKeeperServer(server.ServeAsync);
        await using var client = await fake.ConnectClientAsync(Patience);

        var exists = client.ExistsAsync("/x"); // unanswered when the refusal overtakes it
        var refused = await Assert.ThrowsAsync<ZooKeeperException>(() => client.WhoAmIAsync().WaitAsync(Patience));

        Assert.Equal(ZooKeeperErrorCode.Unimplemented, refused.Code);
        Assert.Equal(ZooKeeperErrorCode.ConnectionLoss, (await Assert.ThrowsAsync<ZooKeeperException>(() => exists.WaitAsync(Patience))).Code);
        await Assert.ThrowsAsync<ZooKeeperException>(() => client.WhoAmIAsync().WaitAsync(Patience));
        Assert.Equal(1, server.Refused);
    }

    [Theory]
    [InlineData(AddWatchMode.Persistent)]
    [InlineData(AddWatchMode.PersistentRecursive)]
    public async Task AddWatch_OnZooKeeper35_FailsNamingTheVersionNeeded_AndIsNeverSentAgain(AddWatchMode mode)
    {
        var server = new OldZooKeeperServer(OldZooKeeperServer.ZooKeeper35);
        await using var fake = new FakeZooKeeperServer(server.ServeAsync);
        await using var client = await fake.ConnectClientAsync(Patience);

        var refused = await Assert.ThrowsAsync<ZooKeeperException>(() => client.AddWatchAsync("/config", mode, _ => { }).WaitAsync(Patience));

        Assert.Equal(ZooKeeperErrorCode.Unimplemented, refused.Code);
        Assert.Equal("/config", refused.Path);
        Assert.Contains("addWatch (persistent watches) needs ZooKeeper 3.6 or later", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, client.WatchCount);
        // The server closed the connection after refusing: wait for the client to be on its next one, or getEphemerals
        // below could be sent on the closing connection and fail with ConnectionLoss instead.
        await fake.WaitForConnectionsAsync(2).WaitAsync(Patience);
        await client.WaitForConnectedAsync().WaitAsync(Patience);
        await Assert.ThrowsAsync<ZooKeeperException>(() => client.AddWatchAsync("/other", mode, _ => { }).WaitAsync(Patience));
        var ephemerals = await Assert.ThrowsAsync<ZooKeeperException>(() => client.GetEphemeralsAsync().WaitAsync(Patience));
        Assert.Contains("getEphemerals needs ZooKeeper 3.6 or later", ephemerals.Message, StringComparison.Ordinal);
        Assert.Equal(2, server.Refused); // addWatch once, getEphemerals once
    }
}
