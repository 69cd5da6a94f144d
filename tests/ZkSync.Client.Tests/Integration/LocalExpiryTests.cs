using ZkSync.Client;
using ZkSync.TestSupport;

namespace ZkSync.Client.Tests.Integration;

/// <summary>
/// A session nothing has been heard from for 4/3 of its timeout is expired locally, also while a connection attempt to
/// a silent host is still waiting for its handshake (issue #14: "Expired is reported on time").
/// </summary>
public sealed class LocalExpiryTests
{
    [Fact]
    public async Task ConnectAttemptToBlackholedServer_DoesNotDelayExpired()
    {
        // A connect timeout far beyond the session's: expiry must not wait for the attempt to time out.
        var connectTimeout = TimeSpan.FromSeconds(60);
        await using var proxy = new FaultProxy(ZooKeeperEnsemble.GetMemberEndPoint(1));
        await using var client = await TestClients.ConnectAsync(TimeSpan.FromSeconds(2), proxy.Endpoint, o => o.ConnectTimeout = connectTimeout);
        var timeout = client.Session.NegotiatedTimeout;
        var suspended = WaitHelper.WaitForEventAsync<ZooKeeperSessionStateChangedEventArgs>(
            h => client.StateChanged += h, h => client.StateChanged -= h, e => e.State == ZooKeeperSessionState.Suspended, TimeSpan.FromSeconds(30));
        var expired = WaitHelper.WaitForEventAsync<ZooKeeperSessionStateChangedEventArgs>(
            h => client.StateChanged += h, h => client.StateChanged -= h, e => e.State == ZooKeeperSessionState.Expired, TimeSpan.FromSeconds(30));

        proxy.Mode = FaultMode.Blackhole; // connections are accepted, and the handshake is never answered
        await suspended;
        await proxy.AcceptedConnections.WaitForAsync(2).WaitAsync(TimeSpan.FromSeconds(30)); // an attempt is waiting on the silent host

        // 4/3 of the 2 s session timeout, plus back-off and timer granularity: far inside the 60 s connect timeout.
        await expired;
        Assert.Equal(TimeSpan.FromSeconds(2), timeout);
        Assert.Contains("local expiry", client.LastConnectionError, StringComparison.Ordinal);
    }
}
