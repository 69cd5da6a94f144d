using ZkSync.Client;
using ZkSync.Leadership;
using ZkSync.Locks;

namespace ZkSync.Recipes.Tests.Security;

/// <summary>
/// The lock suite's core over TLS (a server's secureClientPort; eng/test.sh starts one and exports
/// ZKSYNC_TEST_TLS_CONNECTION and ZKSYNC_TEST_TLS_CA): exclusion between sessions, hand-over, Lost, leader election.
/// </summary>
public sealed class TlsLockTests
{
    private static readonly string? TlsConnection = Environment.GetEnvironmentVariable("ZKSYNC_TEST_TLS_CONNECTION");
    private static readonly string? TlsCa = Environment.GetEnvironmentVariable("ZKSYNC_TEST_TLS_CA");
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OverTls_SessionsExcludeEachOther_HandOver_AndLostFires()
    {
        Assert.SkipWhen(TlsConnection is null || TlsCa is null, "No TLS ZooKeeper: set ZKSYNC_TEST_TLS_CONNECTION and ZKSYNC_TEST_TLS_CA (eng/test.sh does).");
        var root = "/zksync-tls-locks-" + Guid.NewGuid().ToString("N")[..8];
        var clients = new List<ZooKeeperClient>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                clients.Add(await ConnectAsync());
            }

            var providers = clients.Select(c => new ZooKeeperLockProvider(c, new ZooKeeperLockOptions { RootPath = root })).ToList();
            var inside = 0;
            var overlaps = 0;
            var tokens = new List<long>();
            await Task.WhenAll(providers.Select(provider => Task.Run(async () =>
            {
                for (var round = 0; round < 5; round++)
                {
                    await using var held = await provider.AcquireAsync("job", Patience, Ct);
                    if (Interlocked.Increment(ref inside) != 1)
                    {
                        Interlocked.Increment(ref overlaps);
                    }

                    lock (tokens)
                    {
                        tokens.Add(held.FencingToken);
                    }

                    await clients[0].ExistsAsync(held.NodePath, cancellationToken: Ct);
                    Interlocked.Decrement(ref inside);
                }
            }, Ct)));
            Assert.Equal(0, overlaps);
            Assert.Equal(tokens.Order(), tokens);

            await using var holder = await providers[0].AcquireAsync("job", Patience, Ct);
            Assert.Null(await providers[1].TryAcquireAsync("job", TimeSpan.Zero, Ct));
            await clients[2].DeleteAsync(holder.NodePath, cancellationToken: Ct);
            await Locks.LockTestEnvironment.WhenCancelled(holder.Lost).WaitAsync(Patience, Ct);
            await using var next = await providers[1].AcquireAsync("job", Patience, Ct);
            Assert.True(next.FencingToken > holder.FencingToken);

            await using var election = new ZooKeeperLeaderElection(clients[2], "leader", new ZooKeeperLeaderElectionOptions { RootPath = root, ParticipantId = "tls" });
            await using var leadership = await election.ElectAsync(Patience, Ct);
            Assert.Equal("tls", (await election.GetLeaderAsync(Ct))?.ParticipantId);
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    private static async Task<ZooKeeperClient> ConnectAsync()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(Patience);
        return await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions
        {
            ConnectionString = TlsConnection!,
            SessionTimeout = TimeSpan.FromSeconds(10),
            Tls = { Enabled = true, CaCertificatePath = TlsCa! },
        }, cancellationToken: cts.Token);
    }
}
