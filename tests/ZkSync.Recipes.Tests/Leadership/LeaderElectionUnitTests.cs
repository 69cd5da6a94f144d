using System.Text;
using ZkSync.Internal.Recipes;
using ZkSync.Leadership;

namespace ZkSync.Recipes.Tests.Leadership;

/// <summary>The participant record: ours round-trips; a Curator participant's plain id is read as its id.</summary>
public sealed class LeaderElectionUnitTests
{
    [Fact]
    public void Encode_Decode_RoundTrips()
    {
        var data = ZooKeeperLeaderElection.Encode("api-1", [new("url", "http://x"), new("host", "override")], DateTimeOffset.UnixEpoch);

        var (id, metadata) = ZooKeeperLeaderElection.Decode(data);

        Assert.Equal("api-1", id);
        Assert.Equal("http://x", metadata["url"]);
        Assert.Equal("override", metadata["host"]);
        Assert.Equal("1970-01-01T00:00:00.0000000Z", metadata["startedAt"]);
    }

    [Fact]
    public void LatchesAndLocksOnOnePath_DoNotSeeEachOther()
    {
        string[] children = ["_c_0f-lock-0000000001", "_c_1e-latch-0000000002", "_c_2d-__WRIT__0000000003", "_c_3c-latch-0000000004"];

        Assert.Equal(["_c_1e-latch-0000000002", "_c_3c-latch-0000000004"], LockContention.Sort(children, LockNodeKind.Latch).Select(n => n.Name));
        Assert.Equal(["_c_0f-lock-0000000001", "_c_2d-__WRIT__0000000003"], LockContention.Sort(children, LockNodeKind.Mutex).Select(n => n.Name));
    }

    [Theory]
    [InlineData("curator-participant")]
    [InlineData("")]
    [InlineData("{not json")]
    [InlineData("{\"name\":\"no id\"}")]
    public void Decode_ForeignData_IsTheId(string text)
    {
        var (id, metadata) = ZooKeeperLeaderElection.Decode(Encoding.UTF8.GetBytes(text));

        Assert.Equal(text, id);
        Assert.Empty(metadata);
    }
}
