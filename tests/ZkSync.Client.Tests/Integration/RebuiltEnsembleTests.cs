using System.Diagnostics;
using System.Globalization;
using ZkSync.Client;
using ZkSync.TestSupport;

namespace ZkSync.Client.Tests.Integration;

/// <summary>
/// An ensemble rebuilt from nothing (a StatefulSet on ephemeral storage, a restore from an older snapshot) has older
/// zxids than the client has seen. Its servers refuse the old session's handshake (the client's zxid is ahead), and
/// they must accept the new session that follows the local expiry (review F2).
/// </summary>
public sealed class RebuiltEnsembleTests
{
    /// <summary>The server of this test listens 40 ports above the test ensemble's base port (ZK_BASE_PORT).</summary>
    private static int BasePort =>
        int.Parse(Environment.GetEnvironmentVariable("ZK_BASE_PORT") is { Length: > 0 } value ? value : "22180", CultureInfo.InvariantCulture) + 40;

    [Fact]
    public async Task EnsembleWipedAndRestarted_ClientGetsNewSession_WithinSessionTimeoutPlusConnectTimeout()
    {
        var ct = TestContext.Current.CancellationToken;
        var stateDirectory = Directory.CreateTempSubdirectory("zksync-rebuilt-");
        var ensemble = new Dictionary<string, string>
        {
            ["ZK_BASE_PORT"] = BasePort.ToString(CultureInfo.InvariantCulture),
            ["ZK_STATE_DIR"] = stateDirectory.FullName,
        };
        var sessionTimeout = TimeSpan.FromSeconds(4);
        var connectTimeout = TimeSpan.FromSeconds(2);
        try
        {
            var connection = (await ZooKeeperEnsemble.RunScriptAsync(["up", "1"], ensemble, ct)).Trim().Split('\n')[^1];
            await using var client = await TestClients.ConnectAsync(sessionTimeout, connection, o => o.ConnectTimeout = connectTimeout);
            for (var i = 0; i < 100; i++)
            {
                await client.CreateAsync("/n-", ReadOnlyMemory<byte>.Empty, CreateMode.PersistentSequential);
            }

            var oldSession = client.Session;
            Assert.True(oldSession.LastZxid >= 100);
            await ZooKeeperEnsemble.RunScriptAsync(["down"], ensemble, ct); // removes the data too
            var renewed = WaitHelper.WaitForEventAsync<ZooKeeperSessionStateChangedEventArgs>(
                h => client.StateChanged += h, h => client.StateChanged -= h, e => e.State == ZooKeeperSessionState.Connected,
                TimeSpan.FromMinutes(2));
            await ZooKeeperEnsemble.RunScriptAsync(["up", "1"], ensemble, ct);
            var up = Stopwatch.StartNew();

            var connected = await renewed;
            up.Stop();
            Assert.NotEqual(oldSession.SessionId, connected.Session.SessionId);
            Assert.True(up.Elapsed < sessionTimeout + connectTimeout + TimeSpan.FromSeconds(5),
                $"Connected {up.Elapsed} after the rebuilt server served; expected within the session timeout plus the connect timeout.");
            Assert.Null(await client.ExistsAsync("/n-0000000000")); // the new, empty ensemble
            Assert.True(client.Session.LastZxid < oldSession.LastZxid);
        }
        finally
        {
            await ZooKeeperEnsemble.RunScriptAsync(["down"], ensemble, CancellationToken.None);
            if (Directory.Exists(stateDirectory.FullName))
            {
                stateDirectory.Delete(recursive: true); // `down` removes what it wrote; anything else goes here
            }
        }
    }
}
