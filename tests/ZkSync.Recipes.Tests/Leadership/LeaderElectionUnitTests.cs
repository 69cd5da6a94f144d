using System.Text;
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
