using ZkSync.Client;
using ZkSync.TestSupport;

namespace ZkSync.Recipes.Tests.Locks;

/// <summary>What a try reports when a connection blip leaves it no time to look (correctness review F15).</summary>
public sealed class LockBlipAnswerTests
{
    [Fact]
    public async Task TryAcquireAsync_FreeLockAndConnectionLostBeforeItLooked_ReportsConnectionLossNotHeld()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        await using var proxy = new FaultProxy(ZooKeeperEnsemble.GetMemberEndPoint(1));
        var options = new ZooKeeperClientOptions { ConnectionString = proxy.Endpoint, SessionTimeout = TimeSpan.FromSeconds(10) };
        await using var client = await ZooKeeperClient.ConnectAsync(options, cancellationToken: new CancellationTokenSource(LockTestEnvironment.Patience).Token);
        var provider = env.NewProvider(client);

        // Every round trip takes 600 ms: the reconnect after the reset below takes about that long, and the recovery's
        // look (a sync, then a listing) cannot finish before the try's 1.2 s run out, although the client is connected.
        proxy.Mode = FaultMode.Delay(TimeSpan.FromMilliseconds(300));
        var attempt = provider.TryAcquireAsync("free", TimeSpan.FromMilliseconds(1200)).AsTask();
        await WaitHelper.WaitUntilAsync(() => client.PendingCount > 0 || attempt.IsCompleted);
        proxy.ResetAllConnections();

        // Nobody holds the lock: "held by someone else" (null, HTTP 409) would be false; a handle (it managed to look
        // after all) or a connection-loss error (HTTP 503) are true answers.
        try
        {
            await using var handle = await attempt.WaitAsync(LockTestEnvironment.Patience);
            Assert.NotNull(handle);
        }
        catch (ZooKeeperException ex)
        {
            Assert.Equal(ZooKeeperErrorCode.ConnectionLoss, ex.Code);
        }
    }
}
