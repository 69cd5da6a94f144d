using ZkSync.Barriers;
using ZkSync.TestSupport;

namespace ZkSync.Client.Tests.Unit;

/// <summary>
/// A barrier set by another session, read through a member that has not applied its creation yet: a check that starts
/// after the setter was answered must still see it set ("no replica serves traffic until the migration is done").
/// </summary>
public sealed class BarrierLaggingMemberTests
{
    private const string Path = "/deploy";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task WaitAsync_MemberHasNotAppliedTheSet_StillSeesItSet()
    {
        var member = new LaggingMemberServer(Path);
        await using var fake = new FakeZooKeeperServer(member.ServeAsync);
        await using var client = await fake.ConnectClientAsync(Patience);

        Assert.False(await new ZooKeeperBarrier(client, Path).WaitAsync(TimeSpan.Zero).WaitAsync(Patience));
        Assert.Equal(0, member.StaleReads);
    }

    [Fact]
    public async Task IsSetAsync_MemberHasNotAppliedTheSet_StillSeesItSet()
    {
        var member = new LaggingMemberServer(Path);
        await using var fake = new FakeZooKeeperServer(member.ServeAsync);
        await using var client = await fake.ConnectClientAsync(Patience);

        Assert.True(await new ZooKeeperBarrier(client, Path).IsSetAsync().WaitAsync(Patience));
        Assert.Equal(0, member.StaleReads);
    }
}
