using System.Buffers.Binary;
using ZkSync.Client;
using ZkSync.TestSupport;

namespace ZkSync.Client.Tests.Unit;

/// <summary>
/// A server with <c>zookeeper.enforce.auth.enabled</c> answers every packet of a session without an identity of an
/// enforced scheme — a request or a ping — with -124 and closes the connection. Reconnecting cannot help, so the client
/// must stop in AuthFailed instead of treating it as an expired session and opening new ones forever.
/// </summary>
public sealed class EnforcedAuthReplyTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task SessionClosedRequireAuth_OnRequestOrPing_EndsInAuthFailed_WithoutReconnecting(bool sendRequest)
    {
        await using var server = new FakeZooKeeperServer(RefuseFirstPacketAsync);
        await using var client = new ZooKeeperClient(new ZooKeeperClientOptions { ConnectionString = server.ConnectionString, SessionTimeout = TimeSpan.FromSeconds(4) });
        var failed = ZkSync.TestSupport.WaitHelper.WaitForEventAsync<ZooKeeperSessionStateChangedEventArgs>(
            h => client.StateChanged += h, h => client.StateChanged -= h, e => e.State == ZooKeeperSessionState.AuthFailed, TimeSpan.FromSeconds(15));
        await client.WaitForConnectedAsync().WaitAsync(TimeSpan.FromSeconds(10));

        if (sendRequest)
        {
            var refused = await Assert.ThrowsAsync<ZooKeeperException>(() => client.ExistsAsync("/x"));
            Assert.Equal(ZooKeeperErrorCode.AuthFailed, refused.Code);
            Assert.Contains("enforce.auth", refused.Message, StringComparison.Ordinal);
        }

        await failed; // without a request: the first ping (after a third of the session timeout) is refused
        var later = await Assert.ThrowsAsync<ZooKeeperException>(() => client.GetDataAsync("/x"));
        Assert.Equal(ZooKeeperErrorCode.AuthFailed, later.Code);
        Assert.Contains("(anonymous (no credentials))", later.Message, StringComparison.Ordinal);
        Assert.Contains("enforce.auth", later.Message, StringComparison.Ordinal);
        Assert.Equal(1, server.ConnectionCount);
    }

    private static async Task RefuseFirstPacketAsync(Stream stream, int connection, CancellationToken cancellationToken)
    {
        var request = await FakeZooKeeperServer.ReadFrameAsync(stream, cancellationToken);
        var reply = new byte[4 + 16];
        BinaryPrimitives.WriteInt32BigEndian(reply, 16);
        BinaryPrimitives.WriteInt32BigEndian(reply.AsSpan(4), BinaryPrimitives.ReadInt32BigEndian(request)); // xid
        BinaryPrimitives.WriteInt32BigEndian(reply.AsSpan(16), (int)ZooKeeperErrorCode.SessionClosedRequireSaslAuth);
        await stream.WriteAsync(reply, cancellationToken);
    }
}
