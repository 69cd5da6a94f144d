using ZkSync.Client;
using ZkSync.TestSupport;

namespace ZkSync.Client.Tests.Integration;

/// <summary>A member of the ensemble stopped under load: no request is lost or answered twice.</summary>
[Collection("Disruptive")]
public sealed class MemberFailureTests
{
    [Fact]
    [Trait("Category", "Disruptive")]
    public async Task ConnectedMemberStopped_UnderLoad_EachRequestCompletesOnceOrFailsWithConnectionLoss()
    {
        Assert.SkipUnless(ZooKeeperEnsemble.IsScriptManaged && ZooKeeperEnsemble.MemberCount >= 3,
            "Needs a 3-member ensemble started by eng/zookeeper.sh (members are stopped and started).");
        var ct = TestContext.Current.CancellationToken;
        await ZooKeeperEnsemble.WaitForQuorumAsync(TimeSpan.FromSeconds(60), ct);
        var leader = await ZooKeeperEnsemble.FindLeaderAsync(ct);
        var followers = Enumerable.Range(1, ZooKeeperEnsemble.MemberCount).Where(m => m != leader).Take(2).ToArray();

        // Only the two followers: the leader keeps running, so the quorum never breaks for other tests.
        await using var client = await TestClients.ConnectAsync(TimeSpan.FromSeconds(10), ZooKeeperEnsemble.ConnectionStringFor(followers));
        await using var root = await TestClients.CreateRootAsync(client, "member-stop");
        var connectedPort = int.Parse(client.Session.ConnectedServer!.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
        var victim = followers.First(m => ZooKeeperEnsemble.GetMemberEndPoint(m).Port == connectedPort);
        var requests = new List<Task<ZooKeeperCreateResult>>();
        var stopped = false;
        try
        {
            for (var i = 0; i < 600; i++)
            {
                requests.Add(client.CreateAsync(root["n-"], ReadOnlyMemory<byte>.Empty, CreateMode.PersistentSequential));
                if (i == 150)
                {
                    await ZooKeeperEnsemble.StopMemberAsync(victim, ct);
                    stopped = true;
                }
                else if (i % 50 == 0)
                {
                    await requests[^1].ContinueWith(_ => { }, ct, TaskContinuationOptions.None, TaskScheduler.Default); // keep the load paced
                }
            }

            var created = new List<string>();
            var lost = 0;
            foreach (var request in requests)
            {
                try
                {
                    created.Add((await request.WaitAsync(TimeSpan.FromSeconds(60), ct)).Path);
                }
                catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.ConnectionLoss)
                {
                    lost++;
                }
            }

            await client.WaitForConnectedAsync(ct);
            var children = await client.GetChildrenAsync(root.Path);
            Assert.NotEqual(connectedPort, int.Parse(client.Session.ConnectedServer!.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(created.Count, created.Distinct().Count());
            Assert.All(created, path => Assert.Contains(ZkPath.GetName(path), children));
            Assert.InRange(children.Count, created.Count, created.Count + lost);
            Assert.Equal(requests.Count, created.Count + lost);
        }
        finally
        {
            if (stopped)
            {
                await ZooKeeperEnsemble.StartMemberAsync(victim, CancellationToken.None);
            }
        }
    }
}
