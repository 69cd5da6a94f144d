using System.Net;
using System.Net.Sockets;
using Xunit;
using ZkSync.TestSupport;

namespace ZkSync.Client.Tests.TestInfrastructure;

/// <summary>ZooKeeperEnsemble's srvr probe against a canned loopback server: no ZooKeeper needed.</summary>
public sealed class FourLetterWordTests
{
    private readonly CancellationToken _cancellationToken = TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("Zookeeper version: 3.8.0\nLatency min/avg/max: 0/0.0/0\nMode: follower\nNode count: 5\n", ZooKeeperMemberMode.Follower)]
    [InlineData("Zookeeper version: 3.8.0\nMode: leader\n", ZooKeeperMemberMode.Leader)]
    [InlineData("Zookeeper version: 3.8.0\nMode: standalone\n", ZooKeeperMemberMode.Standalone)]
    [InlineData("Zookeeper version: 3.8.0\nMode: observer\n", ZooKeeperMemberMode.Observer)]
    [InlineData("This ZooKeeper instance is not currently serving requests\n", ZooKeeperMemberMode.NotServing)]
    [InlineData("srvr is not executed because it is not in the whitelist.\n", ZooKeeperMemberMode.NotServing)]
    public async Task GetModeAsync_SrvrReply_MapsToMode(string reply, ZooKeeperMemberMode expected)
    {
        // Arrange
        using var listener = LoopbackSockets.Listen();
        var server = AnswerOnceAsync(listener, reply, _cancellationToken);

        // Act
        var mode = await ZooKeeperEnsemble.GetModeAsync(new DnsEndPoint("127.0.0.1", listener.Port()), _cancellationToken).WithTimeout();

        // Assert
        Assert.Equal(expected, mode);
        Assert.Equal("srvr", await server.WithTimeout());
    }

    [Fact]
    public async Task GetModeAsync_NothingListens_ReturnsDown()
    {
        // Arrange
        var endPoint = new DnsEndPoint("127.0.0.1", LoopbackSockets.UnusedPort());

        // Act
        var mode = await ZooKeeperEnsemble.GetModeAsync(endPoint, _cancellationToken).WithTimeout();

        // Assert
        Assert.Equal(ZooKeeperMemberMode.Down, mode);
    }

    [Fact]
    public async Task GetModeAsync_ServerResetsTheConnection_ReturnsNotServing()
    {
        // Arrange
        using var listener = LoopbackSockets.Listen();
        var server = ResetOnceAsync(listener, _cancellationToken);

        // Act
        var mode = await ZooKeeperEnsemble.GetModeAsync(new DnsEndPoint("127.0.0.1", listener.Port()), _cancellationToken).WithTimeout();

        // Assert
        Assert.Equal(ZooKeeperMemberMode.NotServing, mode);
        await server.WithTimeout();
    }

    [Fact]
    public async Task SendFourLetterWordAsync_NotAFourLetterWord_Throws()
    {
        // Arrange
        var endPoint = new DnsEndPoint("127.0.0.1", 1);

        // Act
        var exception = await Assert.ThrowsAsync<ArgumentException>(
            () => ZooKeeperEnsemble.SendFourLetterWordAsync(endPoint, "stats", _cancellationToken));

        // Assert
        Assert.Equal("word", exception.ParamName);
    }

    private static async Task<string> AnswerOnceAsync(TcpListener listener, string reply, CancellationToken cancellationToken)
    {
        using var socket = await listener.AcceptSocketAsync(cancellationToken);
        var word = await socket.ReceiveTextAsync(4, cancellationToken);
        await socket.SendTextAsync(reply, cancellationToken);
        socket.Shutdown(SocketShutdown.Both);
        return word;
    }

    private static async Task ResetOnceAsync(TcpListener listener, CancellationToken cancellationToken)
    {
        using var socket = await listener.AcceptSocketAsync(cancellationToken);
        await socket.ReceiveTextAsync(4, cancellationToken);
        socket.LingerState = new LingerOption(true, 0);
    }

}
