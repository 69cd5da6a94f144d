using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using Xunit;
using ZkSync.TestSupport;

namespace ZkSync.Client.Tests.TestInfrastructure;

public sealed class FaultProxyTests
{
    private readonly CancellationToken _cancellationToken = TestContext.Current.CancellationToken;

    [Fact]
    public async Task Pass_ClientAndServerExchangeBytes_BothDirectionsArriveUnchanged()
    {
        // Arrange
        using var listener = LoopbackSockets.Listen();
        await using var proxy = new FaultProxy("127.0.0.1", listener.Port());
        using var client = await LoopbackSockets.ConnectAsync(proxy.Port, _cancellationToken);
        using var server = await listener.AcceptSocketAsync(_cancellationToken).AsTask().WithTimeout();

        // Act
        await client.SendTextAsync("hello", _cancellationToken);
        var atServer = await server.ReceiveTextAsync(5, _cancellationToken).WithTimeout();
        await server.SendTextAsync("world!", _cancellationToken);
        var atClient = await client.ReceiveTextAsync(6, _cancellationToken).WithTimeout();

        // Assert
        Assert.Equal("hello", atServer);
        Assert.Equal("world!", atClient);
        Assert.Equal(1, proxy.ConnectionCount);
        Assert.Equal(1, proxy.AcceptedConnections.Value);
        await proxy.ClientToServer.Forwarded.WaitForAsync(5, _cancellationToken).WithTimeout();
        await proxy.ServerToClient.Forwarded.WaitForAsync(6, _cancellationToken).WithTimeout();
        Assert.Equal("127.0.0.1:" + proxy.Port, proxy.Endpoint);
    }

    [Fact]
    public async Task Pass_ClientShutsDownSending_ServerSeesEndOfStream()
    {
        // Arrange
        using var listener = LoopbackSockets.Listen();
        await using var proxy = new FaultProxy("127.0.0.1", listener.Port());
        using var client = await LoopbackSockets.ConnectAsync(proxy.Port, _cancellationToken);
        using var server = await listener.AcceptSocketAsync(_cancellationToken).AsTask().WithTimeout();

        // Act
        await client.SendTextAsync("bye", _cancellationToken);
        client.Shutdown(SocketShutdown.Send);
        var received = await server.ReceiveTextAsync(3, _cancellationToken).WithTimeout();
        var end = await server.ReceiveUntilClosedAsync(_cancellationToken).WithTimeout();

        // Assert
        Assert.Equal("bye", received);
        Assert.Equal(SocketError.Success, end);
    }

    [Fact]
    public async Task Blackhole_BytesSentBothWays_AreDroppedWhileTheConnectionStaysOpen()
    {
        // Arrange
        using var listener = LoopbackSockets.Listen();
        await using var proxy = new FaultProxy("127.0.0.1", listener.Port());
        using var client = await LoopbackSockets.ConnectAsync(proxy.Port, _cancellationToken);
        using var server = await listener.AcceptSocketAsync(_cancellationToken).AsTask().WithTimeout();
        proxy.Mode = FaultMode.Blackhole;

        // Act
        await client.SendTextAsync("lost", _cancellationToken);
        await server.SendTextAsync("gone", _cancellationToken);
        await proxy.ClientToServer.Dropped.WaitForAsync(4, _cancellationToken).WithTimeout();
        await proxy.ServerToClient.Dropped.WaitForAsync(4, _cancellationToken).WithTimeout();
        proxy.Mode = FaultMode.Pass;
        await client.SendTextAsync("kept", _cancellationToken);
        await server.SendTextAsync("back", _cancellationToken);

        // Assert: the first bytes each side reads are those sent after the partition healed.
        Assert.Equal("kept", await server.ReceiveTextAsync(4, _cancellationToken).WithTimeout());
        Assert.Equal("back", await client.ReceiveTextAsync(4, _cancellationToken).WithTimeout());
        Assert.Equal(1, proxy.ConnectionCount);
        Assert.Equal(4, proxy.ClientToServer.Dropped.Value);
        Assert.Equal(4, proxy.ServerToClient.Dropped.Value);
    }

    [Fact]
    public async Task DropServerToClient_RequestAndReply_RequestArrivesReplyIsDropped()
    {
        // Arrange
        using var listener = LoopbackSockets.Listen();
        await using var proxy = new FaultProxy("127.0.0.1", listener.Port());
        using var client = await LoopbackSockets.ConnectAsync(proxy.Port, _cancellationToken);
        using var server = await listener.AcceptSocketAsync(_cancellationToken).AsTask().WithTimeout();
        proxy.Mode = FaultMode.DropServerToClient;

        // Act
        await client.SendTextAsync("ping", _cancellationToken);
        var request = await server.ReceiveTextAsync(4, _cancellationToken).WithTimeout();
        await server.SendTextAsync("pong", _cancellationToken);
        await proxy.ServerToClient.Dropped.WaitForAsync(4, _cancellationToken).WithTimeout();
        proxy.Mode = FaultMode.Pass;
        await server.SendTextAsync("next", _cancellationToken);

        // Assert
        Assert.Equal("ping", request);
        Assert.Equal("next", await client.ReceiveTextAsync(4, _cancellationToken).WithTimeout());
        Assert.Equal(0, proxy.ClientToServer.Dropped.Value);
    }

    [Fact]
    public async Task DropClientToServer_ClientSendsAndClosesServerReplies_ServerHearsNothingClientHearsEverything()
    {
        // Arrange
        using var listener = LoopbackSockets.Listen();
        await using var proxy = new FaultProxy("127.0.0.1", listener.Port());
        using var client = await LoopbackSockets.ConnectAsync(proxy.Port, _cancellationToken);
        using var server = await listener.AcceptSocketAsync(_cancellationToken).AsTask().WithTimeout();
        proxy.Mode = FaultMode.DropClientToServer;

        // Act: the client's bytes and its end-of-stream are swallowed; the server's still arrive.
        await client.SendTextAsync("lost", _cancellationToken);
        await proxy.ClientToServer.Dropped.WaitForAsync(4, _cancellationToken).WithTimeout();
        client.Shutdown(SocketShutdown.Send);
        await server.SendTextAsync("news", _cancellationToken);
        var atClient = await client.ReceiveTextAsync(4, _cancellationToken).WithTimeout();
        proxy.Mode = FaultMode.Pass;
        await server.SendTextAsync("more", _cancellationToken);

        // Assert: the connection is still open both ways (no end-of-stream reached the server).
        Assert.Equal("news", atClient);
        Assert.Equal("more", await client.ReceiveTextAsync(4, _cancellationToken).WithTimeout());
        Assert.Equal(1, proxy.ConnectionCount);
        Assert.Equal(0, server.Available);
        Assert.Equal(0, proxy.ClientToServer.Forwarded.Value);
    }

    [Fact]
    public async Task Delay_ClientSends_BytesArriveOnlyOnceTheLatencyHasPassed()
    {
        // Arrange
        var time = new FakeTimeProvider();
        using var listener = LoopbackSockets.Listen();
        await using var proxy = new FaultProxy("127.0.0.1", listener.Port(), time);
        using var client = await LoopbackSockets.ConnectAsync(proxy.Port, _cancellationToken);
        using var server = await listener.AcceptSocketAsync(_cancellationToken).AsTask().WithTimeout();
        proxy.Mode = FaultMode.Delay(TimeSpan.FromSeconds(10));

        // Act
        await client.SendTextAsync("late", _cancellationToken);
        await proxy.ClientToServer.Delayed.WaitForAsync(4, _cancellationToken).WithTimeout();
        time.Advance(TimeSpan.FromSeconds(9));
        var forwardedEarly = proxy.ClientToServer.Forwarded.Value;
        time.Advance(TimeSpan.FromSeconds(1));
        var received = await server.ReceiveTextAsync(4, _cancellationToken).WithTimeout();

        // Assert
        Assert.Equal(0, forwardedEarly);
        Assert.Equal("late", received);
    }

    [Fact]
    public async Task Delay_SeveralChunks_ArriveInOrder()
    {
        // Arrange
        var time = new FakeTimeProvider();
        using var listener = LoopbackSockets.Listen();
        await using var proxy = new FaultProxy("127.0.0.1", listener.Port(), time);
        using var client = await LoopbackSockets.ConnectAsync(proxy.Port, _cancellationToken);
        using var server = await listener.AcceptSocketAsync(_cancellationToken).AsTask().WithTimeout();
        proxy.Mode = FaultMode.Delay(TimeSpan.FromSeconds(1));

        // Act
        await server.SendTextAsync("one,", _cancellationToken);
        await proxy.ServerToClient.Delayed.WaitForAsync(4, _cancellationToken).WithTimeout();
        time.Advance(TimeSpan.FromMilliseconds(500));
        await server.SendTextAsync("two", _cancellationToken);
        await proxy.ServerToClient.Received.WaitForAsync(7, _cancellationToken).WithTimeout();
        time.Advance(TimeSpan.FromSeconds(1));

        // Assert
        Assert.Equal("one,two", await client.ReceiveTextAsync(7, _cancellationToken).WithTimeout());
    }

    [Fact]
    public async Task ResetAllConnections_OpenPair_BothEndsSeeAReset()
    {
        // Arrange
        using var listener = LoopbackSockets.Listen();
        await using var proxy = new FaultProxy("127.0.0.1", listener.Port());
        using var client = await LoopbackSockets.ConnectAsync(proxy.Port, _cancellationToken);
        using var server = await listener.AcceptSocketAsync(_cancellationToken).AsTask().WithTimeout();
        await client.SendTextAsync("up", _cancellationToken);
        await server.ReceiveTextAsync(2, _cancellationToken).WithTimeout();

        // Act
        var reset = proxy.ResetAllConnections();

        // Assert
        Assert.Equal(1, reset);
        Assert.Equal(0, proxy.ConnectionCount);
        Assert.Equal(SocketError.ConnectionReset, await client.ReceiveUntilClosedAsync(_cancellationToken).WithTimeout());
        Assert.Equal(SocketError.ConnectionReset, await server.ReceiveUntilClosedAsync(_cancellationToken).WithTimeout());
    }

    [Fact]
    public async Task ResetAllConnections_AfterReset_NewConnectionsAreStillProxied()
    {
        // Arrange
        using var listener = LoopbackSockets.Listen();
        await using var proxy = new FaultProxy("127.0.0.1", listener.Port());
        using (var first = await LoopbackSockets.ConnectAsync(proxy.Port, _cancellationToken))
        using (await listener.AcceptSocketAsync(_cancellationToken).AsTask().WithTimeout())
        {
            proxy.ResetAllConnections();
        }

        // Act
        using var client = await LoopbackSockets.ConnectAsync(proxy.Port, _cancellationToken);
        using var server = await listener.AcceptSocketAsync(_cancellationToken).AsTask().WithTimeout();
        await client.SendTextAsync("again", _cancellationToken);

        // Assert
        Assert.Equal("again", await server.ReceiveTextAsync(5, _cancellationToken).WithTimeout());
        Assert.Equal(2, proxy.AcceptedConnections.Value);
    }

    [Fact]
    public async Task Connect_TargetRefuses_ClientConnectionIsReset()
    {
        // Arrange
        await using var proxy = new FaultProxy("127.0.0.1", LoopbackSockets.UnusedPort());

        // Act: the reset may already fail the connect, or else the first read.
        var end = await ConnectAndReadUntilClosedAsync(proxy.Port).WithTimeout();

        // Assert
        Assert.Equal(SocketError.ConnectionReset, end);
        Assert.Equal(1, proxy.AcceptedConnections.Value);
        Assert.Equal(0, proxy.ConnectionCount);
    }

    [Fact]
    public async Task DisposeAsync_OpenConnectionWithHeldBytes_ResetsBothEnds()
    {
        // Arrange
        using var listener = LoopbackSockets.Listen();
        var proxy = new FaultProxy("127.0.0.1", listener.Port());
        using var client = await LoopbackSockets.ConnectAsync(proxy.Port, _cancellationToken);
        using var server = await listener.AcceptSocketAsync(_cancellationToken).AsTask().WithTimeout();
        proxy.Mode = FaultMode.Delay(TimeSpan.FromHours(1));
        await client.SendTextAsync("held", _cancellationToken);
        await proxy.ClientToServer.Received.WaitForAsync(4, _cancellationToken).WithTimeout();

        // Act
        await proxy.DisposeAsync().AsTask().WithTimeout();
        await proxy.DisposeAsync();

        // Assert
        Assert.Equal(0, proxy.ConnectionCount);
        Assert.Equal(SocketError.ConnectionReset, await client.ReceiveUntilClosedAsync(_cancellationToken).WithTimeout());
        Assert.Equal(SocketError.ConnectionReset, await server.ReceiveUntilClosedAsync(_cancellationToken).WithTimeout());
    }

    private async Task<SocketError> ConnectAndReadUntilClosedAsync(int port)
    {
        try
        {
            using var client = await LoopbackSockets.ConnectAsync(port, _cancellationToken);
            return await client.ReceiveUntilClosedAsync(_cancellationToken);
        }
        catch (SocketException exception)
        {
            return exception.SocketErrorCode;
        }
    }

    [Fact]
    public void Mode_Delay_DescribesItselfWithItsLatency()
    {
        // Arrange
        var mode = FaultMode.Delay(TimeSpan.FromMilliseconds(250));

        // Act
        var text = mode.ToString();

        // Assert
        Assert.Equal("Delay(00:00:00.2500000)", text);
        Assert.Equal(FaultKind.Delay, mode.Kind);
        Assert.Throws<ArgumentOutOfRangeException>(() => FaultMode.Delay(TimeSpan.FromSeconds(-1)));
    }
}
