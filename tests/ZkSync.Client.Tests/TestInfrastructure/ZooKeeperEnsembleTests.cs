using System.Net;
using Xunit;
using ZkSync.TestSupport;

namespace ZkSync.Client.Tests.TestInfrastructure;

/// <summary>
/// Runs against the real test ensemble. The tests of this class run one after another (one xUnit
/// collection), so the stop/start test never overlaps the mode checks.
/// </summary>
[Collection("Disruptive")]
public sealed class ZooKeeperEnsembleTests
{
    private static readonly TimeSpan MemberTimeout = TimeSpan.FromSeconds(90);

    private readonly CancellationToken _cancellationToken = TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetModeAsync_EveryMember_ServesAndExactlyOneLeads()
    {
        // Arrange
        var members = Enumerable.Range(1, ZooKeeperEnsemble.MemberCount);

        // Act
        var modes = await Task.WhenAll(members.Select(member => ZooKeeperEnsemble.GetModeAsync(member, _cancellationToken)));

        // Assert
        Assert.True(
            !modes.Contains(ZooKeeperMemberMode.Down),
            $"ZooKeeper {ZooKeeperEnsemble.ConnectionString} is not (fully) running: modes {string.Join(", ", modes)}. "
            + "Run the tests with eng/test.sh, or start an ensemble with 'eng/zookeeper.sh up'.");
        if (modes.Length == 1)
        {
            Assert.Equal(ZooKeeperMemberMode.Standalone, modes[0]);
        }
        else
        {
            Assert.All(modes, mode => Assert.True(
                mode is ZooKeeperMemberMode.Leader or ZooKeeperMemberMode.Follower,
                $"Expected leader or follower, got {mode}."));
            Assert.Single(modes, mode => mode == ZooKeeperMemberMode.Leader);
        }
    }

    [Fact]
    public async Task GetModeAsync_ThroughFaultProxy_ReportsTheMembersOwnMode()
    {
        // Arrange
        await ZooKeeperEnsemble.WaitForQuorumAsync(MemberTimeout, _cancellationToken);
        await using var proxy = new FaultProxy(ZooKeeperEnsemble.GetMemberEndPoint(1));
        var direct = await ZooKeeperEnsemble.GetModeAsync(1, _cancellationToken);

        // Act
        var proxied = await ZooKeeperEnsemble.GetModeAsync(new DnsEndPoint("127.0.0.1", proxy.Port), _cancellationToken);

        // Assert
        Assert.Equal(direct, proxied);
        Assert.Equal(1, proxy.AcceptedConnections.Value);
    }

    [Fact]
    public async Task FindLeaderAsync_ServingEnsemble_ReturnsTheMemberThatSaysItLeads()
    {
        // Arrange
        await ZooKeeperEnsemble.WaitForQuorumAsync(MemberTimeout, _cancellationToken);

        // Act
        var leader = await ZooKeeperEnsemble.FindLeaderAsync(_cancellationToken);

        // Assert
        Assert.NotNull(leader);
        var mode = await ZooKeeperEnsemble.GetModeAsync(leader.Value, _cancellationToken);
        Assert.Equal(
            ZooKeeperEnsemble.MemberCount == 1 ? ZooKeeperMemberMode.Standalone : ZooKeeperMemberMode.Leader,
            mode);
    }

    // Takes a member down for about two seconds; filter with Category!=Disruptive to keep the
    // ensemble untouched while other test assemblies run.
    [Fact]
    [Trait("Category", "Disruptive")]
    public async Task StopMemberAsync_FollowerStoppedAndStartedAgain_RejoinsAsFollower()
    {
        if (!ZooKeeperEnsemble.IsScriptManaged)
        {
            Assert.Skip(
                $"The ensemble {ZooKeeperEnsemble.ConnectionString} was not started by eng/zookeeper.sh "
                + $"(no ensemble state in {ZooKeeperEnsemble.StateDirectory}), so its members cannot be stopped.");
        }

        if (ZooKeeperEnsemble.MemberCount < 3)
        {
            Assert.Skip($"Stopping a member without losing the quorum needs at least 3 members, not {ZooKeeperEnsemble.MemberCount}.");
        }

        // Arrange
        await ZooKeeperEnsemble.WaitForQuorumAsync(MemberTimeout, _cancellationToken);
        var leader = await ZooKeeperEnsemble.FindLeaderAsync(_cancellationToken);
        var follower = Enumerable.Range(1, ZooKeeperEnsemble.MemberCount).First(member => member != leader);
        var stopped = false;
        try
        {
            // Act
            await ZooKeeperEnsemble.StopMemberAsync(follower, _cancellationToken);
            stopped = true;
            var modeWhileStopped = await ZooKeeperEnsemble.GetModeAsync(follower, _cancellationToken);
            await ZooKeeperEnsemble.StartMemberAsync(follower, _cancellationToken);
            stopped = false;
            var modeAfterStart = await ZooKeeperEnsemble.GetModeAsync(follower, _cancellationToken);

            // Assert
            Assert.Equal(ZooKeeperMemberMode.Down, modeWhileStopped);
            Assert.Equal(ZooKeeperMemberMode.Follower, modeAfterStart);
            await ZooKeeperEnsemble.WaitForQuorumAsync(MemberTimeout, _cancellationToken);
        }
        finally
        {
            if (stopped)
            {
                await ZooKeeperEnsemble.StartMemberAsync(follower, CancellationToken.None);
            }
        }
    }

    [Fact]
    public void ConnectionStringFor_SomeMembers_ListsTheirHostsInTheGivenOrder()
    {
        // Arrange
        var hosts = ZooKeeperEnsemble.ConnectionString.Split('/')[0].Split(',');

        // Act
        var last = ZooKeeperEnsemble.ConnectionStringFor(hosts.Length);
        var reversed = ZooKeeperEnsemble.ConnectionStringFor(
            Enumerable.Range(1, hosts.Length).Reverse().ToArray());

        // Assert
        Assert.Equal(hosts[^1], last);
        Assert.Equal(string.Join(',', hosts.Reverse()), reversed);
        Assert.Equal(hosts.Length, ZooKeeperEnsemble.MemberCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => ZooKeeperEnsemble.ConnectionStringFor(hosts.Length + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ZooKeeperEnsemble.ConnectionStringFor(0));
    }
}
