using ZkSync.Client;
using ZkSync.TestSupport;

namespace ZkSync.Client.Tests.Integration;

/// <summary>
/// <see cref="ZooKeeperClientOptions.RequestTimeout"/> bounds every call, also one without a cancellation token made
/// while no server answers (review F3).
/// </summary>
public sealed class RequestTimeoutTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task SessionExpiredWhileEnsembleUnreachable_CallWithoutToken_FailsWithRequestTimeout()
    {
        await using var proxy = new FaultProxy(ZooKeeperEnsemble.GetMemberEndPoint(1));
        await using var client = await TestClients.ConnectAsync(TimeSpan.FromSeconds(2), proxy.Endpoint, o =>
        {
            o.RequestTimeout = TimeSpan.FromSeconds(2);
            o.ConnectTimeout = TimeSpan.FromSeconds(1);
        });
        var expired = WaitHelper.WaitForEventAsync<ZooKeeperSessionStateChangedEventArgs>(
            h => client.StateChanged += h, h => client.StateChanged -= h, e => e.State == ZooKeeperSessionState.Expired, Patience);

        proxy.Mode = FaultMode.Blackhole;
        await expired; // locally: no server answered for 4/3 of the session timeout; the client now has no session

        var call = client.ExistsAsync("/zksync-tests");
        var failure = await Assert.ThrowsAsync<ZooKeeperException>(() => call.WaitAsync(Patience));
        Assert.Equal(ZooKeeperErrorCode.RequestTimeout, failure.Code);
        Assert.Equal("/zksync-tests", failure.Path);
        Assert.Contains("exists", failure.Message, StringComparison.Ordinal);
        Assert.Contains("2000 ms", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NeverConnected_CallWithoutToken_FailsWithRequestTimeout()
    {
        var options = new ZooKeeperClientOptions
        {
            ConnectionString = "127.0.0.1:" + TestInfrastructure.LoopbackSockets.UnusedPort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            SessionTimeout = TimeSpan.FromSeconds(4),
            RequestTimeout = TimeSpan.FromSeconds(1),
        };
        await using var client = new ZooKeeperClient(options);

        var failure = await Assert.ThrowsAsync<ZooKeeperException>(() => client.GetDataAsync("/x").WaitAsync(Patience));
        Assert.Equal(ZooKeeperErrorCode.RequestTimeout, failure.Code);
        Assert.Equal(ZooKeeperSessionState.Connecting, client.State);
    }
}
