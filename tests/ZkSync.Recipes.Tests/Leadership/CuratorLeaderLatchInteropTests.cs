using ZkSync.Client;
using ZkSync.Leadership;
using ZkSync.Recipes.Tests.Peers;

namespace ZkSync.Recipes.Tests.Leadership;

/// <summary>ZkSync and Apache Curator's LeaderLatch (a real Java process) elect exactly one leader between them.</summary>
[Collection(PeerScenario.Collection)]
public sealed class CuratorLeaderLatchInteropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task CuratorLeadsFirst_ZkSyncWaits_ThenLeadsAndCuratorFollows()
    {
        await using var scenario = new PeerScenario();
        var curator = await scenario.StartCuratorAsync();
        await using var client = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectionString = PeerScenario.ConnectionString }, cancellationToken: Ct);
        await using var election = new ZooKeeperLeaderElection(client, "job", new ZooKeeperLeaderElectionOptions { RootPath = scenario.Root, ParticipantId = "dotnet" });

        await curator.StartLatchAsync("j1", election.ElectionPath, "java-1", Ct);
        await curator.WaitForLeadershipAsync("j1", isLeader: true, PeerScenario.Patience, Ct);
        var electing = election.ElectAsync(PeerScenario.Patience, Ct);
        Assert.Equal("java-1", (await WaitForParticipantsAsync(client, election, 2)).First(p => p.IsLeader).ParticipantId);
        Assert.False(electing.IsCompleted);

        await curator.StopLatchAsync("j1", Ct);
        await using var leadership = await electing;
        await curator.StartLatchAsync("j2", election.ElectionPath, "java-2", Ct);
        var participants = await WaitForParticipantsAsync(client, election, 2);
        Assert.Equal(["dotnet", "java-2"], participants.Select(p => p.ParticipantId));
        Assert.False(await curator.IsLeaderAsync("j2", Ct));

        await leadership.ResignAsync(Ct);
        await curator.WaitForLeadershipAsync("j2", isLeader: true, PeerScenario.Patience, Ct);
        await curator.StopLatchAsync("j2", Ct);
    }

    [Fact]
    public async Task ZkSyncLeadsFirst_CuratorWaits_ThenLeads()
    {
        await using var scenario = new PeerScenario();
        var curator = await scenario.StartCuratorAsync();
        await using var client = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectionString = PeerScenario.ConnectionString }, cancellationToken: Ct);
        await using var election = new ZooKeeperLeaderElection(client, "job", new ZooKeeperLeaderElectionOptions { RootPath = scenario.Root, ParticipantId = "dotnet" });

        var leadership = await election.ElectAsync(TimeSpan.Zero, Ct);
        await curator.StartLatchAsync("j", election.ElectionPath, "java", Ct);
        await WaitForParticipantsAsync(client, election, 2);
        Assert.False(await curator.IsLeaderAsync("j", Ct));

        await leadership.DisposeAsync();
        await curator.WaitForLeadershipAsync("j", isLeader: true, PeerScenario.Patience, Ct);
        await Assert.ThrowsAsync<TimeoutException>(() => election.ElectAsync(TimeSpan.Zero, Ct));
        Assert.Equal("java", (await election.GetLeaderAsync(Ct))?.ParticipantId);
        await curator.StopLatchAsync("j", Ct);
    }

    /// <summary>Waits (on a children watch) until the election has <paramref name="count"/> participants, then lists them.</summary>
    private static async Task<IReadOnlyList<ZooKeeperLeaderInfo>> WaitForParticipantsAsync(ZooKeeperClient client, ZooKeeperLeaderElection election, int count)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(PeerScenario.Patience);
        while (true)
        {
            var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await client.SyncAsync(election.ElectionPath, deadline.Token);
            var children = await client.GetChildrenAsync(election.ElectionPath, _ => changed.TrySetResult(), deadline.Token);
            if (children.Count == count)
            {
                return await election.GetParticipantsAsync(deadline.Token);
            }

            await changed.Task.WaitAsync(deadline.Token);
        }
    }
}
