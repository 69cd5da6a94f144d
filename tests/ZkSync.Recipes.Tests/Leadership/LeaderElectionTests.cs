using ZkSync.Client;
using ZkSync.Leadership;
using ZkSync.Recipes.Tests.Locks;

namespace ZkSync.Recipes.Tests.Leadership;

/// <summary>Leader election against the real ensemble: one leader at a time, hand-over on resign, expiry and suspension.</summary>
public sealed class LeaderElectionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ManyParticipants_ExactlyOneLeadsAtEveryInstant_AndFencingTokensGrow()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        const int participants = 5;
        const int termsEach = 3;
        var leading = 0;
        var overlaps = 0;
        var tokens = new List<long>();
        var elections = new List<ZooKeeperLeaderElection>();
        for (var i = 0; i < participants; i++)
        {
            var (client, _) = await env.NewContenderAsync();
            elections.Add(new ZooKeeperLeaderElection(client, "job", Options(env, $"p{i}")));
        }

        await Task.WhenAll(elections.Select(election => Task.Run(async () =>
        {
            for (var term = 0; term < termsEach; term++)
            {
                await using var leadership = await election.ElectAsync(LockTestEnvironment.Patience, Ct);
                if (Interlocked.Increment(ref leading) != 1)
                {
                    Interlocked.Increment(ref overlaps);
                }

                lock (tokens)
                {
                    tokens.Add(leadership.FencingToken);
                }

                // While leading, the election names this participant as the leader.
                var leader = await election.GetLeaderAsync(Ct);
                Assert.Equal(election.ParticipantId, leader?.ParticipantId);
                Assert.Equal(ZooKeeperLeaderStatus.Leader, election.Status);
                Assert.False(leadership.Revoked.IsCancellationRequested);
                Interlocked.Decrement(ref leading);
            }
        }, Ct)));

        Assert.Equal(0, overlaps);
        Assert.Equal(participants * termsEach, tokens.Count);
        Assert.Equal(tokens.Order(), tokens);
        Assert.Equal(tokens.Count, tokens.Distinct().Count());
        Assert.All(elections, e => Assert.Equal(ZooKeeperLeaderStatus.Idle, e.Status));
        Assert.Empty(await env.ChildrenAsync(elections[0].ElectionPath));
    }

    [Fact]
    public async Task Resign_OrDispose_NextParticipantLeads()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var a = await NewElectionAsync(env, "a");
        var b = await NewElectionAsync(env, "b");
        var c = await NewElectionAsync(env, "c");

        var first = await a.ElectAsync(TimeSpan.Zero, Ct);
        var second = b.ElectAsync(LockTestEnvironment.Patience, Ct);
        await env.WaitForChildrenAsync(a.ElectionPath, children => children.Count == 2);
        Assert.Equal(ZooKeeperLeaderStatus.Candidate, b.Status);
        var third = c.ElectAsync(LockTestEnvironment.Patience, Ct);
        await env.WaitForChildrenAsync(a.ElectionPath, children => children.Count == 3);

        await first.ResignAsync(Ct);
        Assert.True(first.Revoked.IsCancellationRequested);
        Assert.Equal(ZooKeeperLeaderStatus.Idle, a.Status);
        var secondLeadership = await second.WaitAsync(LockTestEnvironment.Patience, Ct);
        Assert.False(third.IsCompleted);

        await b.DisposeAsync();
        Assert.True(secondLeadership.Revoked.IsCancellationRequested);
        var thirdLeadership = await third.WaitAsync(LockTestEnvironment.Patience, Ct);
        Assert.True(thirdLeadership.FencingToken > secondLeadership.FencingToken);
        Assert.True(secondLeadership.FencingToken > first.FencingToken);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => b.ElectAsync(TimeSpan.Zero, Ct));
    }

    [Fact]
    public async Task LeaderSessionExpired_RevokedFires_AndAnotherLeads()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var (leaderClient, _) = await env.NewContenderAsync(sessionTimeout: TimeSpan.FromSeconds(4));
        var leaderElection = new ZooKeeperLeaderElection(leaderClient, "job", Options(env, "old"));
        var next = await NewElectionAsync(env, "next");
        var leadership = await leaderElection.ElectAsync(TimeSpan.Zero, Ct);
        var waiting = next.ElectAsync(LockTestEnvironment.Patience, Ct);
        await env.WaitForChildrenAsync(leaderElection.ElectionPath, children => children.Count == 2);

        await LockTestEnvironment.ExpireSessionAsync(leaderClient);

        await LockTestEnvironment.WhenCancelled(leadership.Revoked).WaitAsync(TimeSpan.FromSeconds(4), Ct);
        var nextLeadership = await waiting.WaitAsync(TimeSpan.FromSeconds(4), Ct);
        Assert.Equal(ZooKeeperLeaderStatus.Idle, leaderElection.Status);
        Assert.Equal("next", (await next.GetLeaderAsync(Ct))?.ParticipantId);
        Assert.True(nextLeadership.FencingToken > leadership.FencingToken);
    }

    [Fact]
    public async Task ConnectionSuspended_RevokedFires_AndStandingAgainLeavesOneNode()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var (client, _) = await env.NewContenderAsync();
        var election = new ZooKeeperLeaderElection(client, "job", Options(env, "solo"));
        var leadership = await election.ElectAsync(TimeSpan.Zero, Ct);

        await LockTestEnvironment.DropConnectionAsync(client);

        await LockTestEnvironment.WhenCancelled(leadership.Revoked).WaitAsync(LockTestEnvironment.Patience, Ct);
        Assert.NotEqual(ZooKeeperLeaderStatus.Leader, election.Status);
        await client.WaitForConnectedAsync(Ct).WaitAsync(LockTestEnvironment.Patience, Ct);

        // The node survived the suspension (same session); standing again withdraws it first.
        await using var again = await election.ElectAsync(LockTestEnvironment.Patience, Ct);
        var children = await env.ChildrenAsync(election.ElectionPath);
        Assert.Equal(ZkPath.GetName(again.NodePath), Assert.Single(children));
        Assert.NotEqual(leadership.NodePath, again.NodePath);
    }

    [Fact]
    public async Task GetLeaderAndParticipants_ReportPublishedData_InLine()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var (client, _) = await env.NewContenderAsync();
        var options = Options(env, "api-1");
        options.Metadata["url"] = "http://10.0.0.7:8080";
        var a = new ZooKeeperLeaderElection(client, "job", options);
        var b = await NewElectionAsync(env, "api-2");
        Assert.Null(await a.GetLeaderAsync(Ct));
        Assert.Empty(await a.GetParticipantsAsync(Ct));

        await using var leadership = await a.ElectAsync(TimeSpan.Zero, Ct);
        var waiting = b.ElectAsync(LockTestEnvironment.Patience, Ct);
        await env.WaitForChildrenAsync(a.ElectionPath, children => children.Count == 2);

        var leader = await b.GetLeaderAsync(Ct);
        Assert.NotNull(leader);
        Assert.Equal("api-1", leader.ParticipantId);
        Assert.True(leader.IsLeader);
        Assert.Equal(leadership.NodePath, leader.NodePath);
        Assert.Equal("http://10.0.0.7:8080", leader.Metadata["url"]);
        Assert.Equal(Environment.MachineName, leader.Metadata["host"]);
        Assert.True(DateTimeOffset.TryParse(leader.Metadata["startedAt"], System.Globalization.CultureInfo.InvariantCulture, out _));

        // b's session created its node after a's last write, perhaps through another member: sync a's session first.
        await client.SyncAsync(a.ElectionPath, Ct);
        var participants = await a.GetParticipantsAsync(Ct);
        Assert.Equal(["api-1", "api-2"], participants.Select(p => p.ParticipantId));
        Assert.Equal([true, false], participants.Select(p => p.IsLeader));
        await b.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => waiting);
        Assert.Single(await env.ChildrenAsync(a.ElectionPath));
    }

    [Fact]
    public async Task ElectTimesOutOrIsCancelled_LeavesNoNode()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var a = await NewElectionAsync(env, "a");
        var b = await NewElectionAsync(env, "b");
        await using var leadership = await a.ElectAsync(TimeSpan.Zero, Ct);

        var timeout = await Assert.ThrowsAsync<TimeoutException>(() => b.ElectAsync(TimeSpan.FromMilliseconds(300), Ct));
        Assert.Contains("'b'", timeout.Message, StringComparison.Ordinal);
        Assert.Single(await env.ChildrenAsync(a.ElectionPath));

        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var cancelled = b.ElectAsync(null, cancel.Token);
        await env.WaitForChildrenAsync(a.ElectionPath, children => children.Count == 2);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Single(await env.ChildrenAsync(a.ElectionPath));
        Assert.Equal(ZooKeeperLeaderStatus.Idle, b.Status);
    }

    [Fact]
    public async Task InvalidInput_IsRejectedNamingTheRule()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var (client, _) = await env.NewContenderAsync();
        Assert.Contains("must not be empty", Assert.Throws<ArgumentException>(() => new ZooKeeperLeaderElection(client, "")).Message, StringComparison.Ordinal);
        Assert.Contains("RootPath", Assert.Throws<ArgumentException>(() => new ZooKeeperLeaderElection(client, "x", new() { RootPath = "relative" })).Message, StringComparison.Ordinal);
        var options = new ZooKeeperLeaderElectionOptions();
        options.Metadata["id"] = "spoof";
        Assert.Contains("'id'", Assert.Throws<ArgumentException>(() => new ZooKeeperLeaderElection(client, "x", options)).Message, StringComparison.Ordinal);
        var election = new ZooKeeperLeaderElection(client, "x", Options(env, "p"));
        await using var leadership = await election.ElectAsync(TimeSpan.Zero, Ct);
        Assert.Contains("already leads", (await Assert.ThrowsAsync<InvalidOperationException>(() => election.ElectAsync(TimeSpan.Zero, Ct))).Message, StringComparison.Ordinal);
    }

    internal static ZooKeeperLeaderElectionOptions Options(LockTestEnvironment env, string participantId) =>
        new() { RootPath = env.Root, ParticipantId = participantId };

    private static async Task<ZooKeeperLeaderElection> NewElectionAsync(LockTestEnvironment env, string participantId)
    {
        var (client, _) = await env.NewContenderAsync();
        return new ZooKeeperLeaderElection(client, "job", Options(env, participantId));
    }
}
