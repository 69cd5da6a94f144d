using System.Threading.Channels;
using ZkSync.Client;
using ZkSync.TestSupport;

namespace ZkSync.Client.Tests.Integration;

public sealed class AuthTests
{
    [Fact]
    public async Task RejectedCredentials_EndInAuthFailed_WithoutReconnectLoop()
    {
        // ZooKeeper accepts any digest user:password as an identity; an unknown scheme is what it rejects.
        var options = new ZooKeeperClientOptions { ConnectionString = TestClients.ConnectionString, SessionTimeout = TimeSpan.FromSeconds(10) };
        options.AuthInfo.Add(new ZooKeeperAuthInfo("no-such-scheme", "x:y"u8.ToArray()));
        await using var client = new ZooKeeperClient(options);
        var failed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.StateChanged += (_, e) =>
        {
            if (e.State == ZooKeeperSessionState.AuthFailed)
            {
                failed.TrySetResult();
            }
        };

        // The client starts connecting in its constructor: on a fast refusal the event may precede the subscription.
        if (client.State == ZooKeeperSessionState.AuthFailed)
        {
            failed.TrySetResult();
        }

        await failed.Task.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(ZooKeeperSessionState.AuthFailed, client.State);
        var ex = await Assert.ThrowsAsync<ZooKeeperException>(() => client.ExistsAsync("/"));
        Assert.Equal(ZooKeeperErrorCode.AuthFailed, ex.Code);
        Assert.Contains("(no-such-scheme)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("rejected the credentials", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("x:y", ex.Message, StringComparison.Ordinal);
        var wait = await Assert.ThrowsAsync<ZooKeeperException>(() => client.WaitForConnectedAsync());
        Assert.Equal(ZooKeeperErrorCode.AuthFailed, wait.Code);
    }

    [Fact]
    public async Task AddAuth_AtRuntime_IsResentAfterReconnect()
    {
        await using var client = await TestClients.ConnectAsync(TimeSpan.FromSeconds(10));
        await using var root = await TestClients.CreateRootAsync(client, "auth-reconnect");
        await client.AddAuthAsync(ZooKeeperAuthInfo.Digest("bob", "pw"));
        var states = Channel.CreateUnbounded<ZooKeeperSessionState>();
        client.StateChanged += (_, e) => states.Writer.TryWrite(e.State);

        await SessionKiller.DropConnectionAsync(client, TestContext.Current.CancellationToken);
        while (await states.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20)) != ZooKeeperSessionState.Reconnected)
        {
        }

        // A node only bob may touch: creating it with the "auth" scheme needs an authenticated identity on this connection.
        await client.CreateAsync(root["bobs"], ReadOnlyMemory<byte>.Empty, acl: ZooKeeperAcl.CreatorAll);
        var acl = await client.GetAclAsync(root["bobs"]);
        Assert.Equal([new ZooKeeperAcl(ZooKeeperPermissions.All, "digest", ZooKeeperAcl.DigestId("bob", "pw"))], acl.Acl);
    }
}
