using Microsoft.Extensions.Logging.Abstractions;
using ZkSync.AspNetCore.Internal;
using ZkSync.Client;
using ZkSync.TestSupport;

namespace ZkSync.AspNetCore.Tests.Unit;

/// <summary>
/// The migration set the barrier through the leader; the replica's member has not applied that yet (ZooKeeper orders
/// reads after writes only within a session; real lag lasts milliseconds and cannot be produced on demand). The replica
/// must still see the barrier set: "no replica serves traffic until the migration is done".
/// </summary>
public sealed class StartupBarrierLaggingMemberTests
{
    private const string Path = "/migrations/v42";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ReadinessOnly_MemberHasNotAppliedTheSet_ReportsItSet()
    {
        var member = new LaggingMemberServer(Path);
        await using var fake = new FakeZooKeeperServer(member.ServeAsync);
        await using var client = await fake.ConnectClientAsync(Patience);
        var service = new StartupBarrierService(Path, new StartupBarrierOptions { Mode = StartupBarrierMode.ReadinessOnly }, client, NullLogger.Instance);

        await service.StartAsync(CancellationToken.None).WaitAsync(Patience);
        try
        {
            await service.WhenStateAsync(StartupBarrierState.Set, CancellationToken.None).WaitAsync(Patience);
            Assert.Equal(0, member.StaleReads);
        }
        finally
        {
            await service.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task WaitBeforeStart_MemberHasNotAppliedTheSet_DoesNotStart()
    {
        var member = new LaggingMemberServer(Path);
        await using var fake = new FakeZooKeeperServer(member.ServeAsync);
        await using var client = await fake.ConnectClientAsync(Patience);
        var service = new StartupBarrierService(Path, new StartupBarrierOptions { Mode = StartupBarrierMode.WaitBeforeStart, Timeout = TimeSpan.FromSeconds(1) }, client, NullLogger.Instance);

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => service.StartAsync(CancellationToken.None).WaitAsync(Patience));

        Assert.Contains("was still set", refused.Message, StringComparison.Ordinal);
        Assert.Equal(StartupBarrierState.Set, service.State);
        Assert.Equal(0, member.StaleReads);
    }
}
