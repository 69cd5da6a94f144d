using System.Text;
using ZkSync.Client;

namespace ZkSync.Client.Tests.Integration;

public sealed class BasicOperationTests
{
    [Fact]
    public async Task CreateGetSetDelete_RoundTrip_ReturnsWhatWasWritten()
    {
        await using var client = await TestClients.ConnectAsync();
        await using var root = await TestClients.CreateRootAsync(client, "crud");

        var created = await client.CreateAsync(root["a"], "hello"u8.ToArray());
        Assert.Equal(root["a"], created.Path);
        Assert.Equal(5, created.Stat.DataLength);

        var data = await client.GetDataAsync(root["a"]);
        Assert.Equal("hello", Encoding.UTF8.GetString(data.Data));
        Assert.Equal(0, data.Stat.Version);

        var stat = await client.SetDataAsync(root["a"], "world"u8.ToArray(), version: 0);
        Assert.Equal(1, stat.Version);

        var bad = await Assert.ThrowsAsync<ZooKeeperException>(() => client.SetDataAsync(root["a"], "x"u8.ToArray(), version: 0));
        Assert.Equal(ZooKeeperErrorCode.BadVersion, bad.Code);
        Assert.Equal(root["a"], bad.Path);

        await client.DeleteAsync(root["a"], version: 1);
        Assert.Null(await client.ExistsAsync(root["a"]));
        var missing = await Assert.ThrowsAsync<ZooKeeperException>(() => client.GetDataAsync(root["a"]));
        Assert.Equal(ZooKeeperErrorCode.NoNode, missing.Code);
    }

    [Fact]
    public async Task Create_Sequential_NumbersChildrenFromParentCounter()
    {
        await using var client = await TestClients.ConnectAsync();
        await using var root = await TestClients.CreateRootAsync(client, "seq");

        var first = await client.CreateAsync(root["n-"], ReadOnlyMemory<byte>.Empty, CreateMode.PersistentSequential);
        var second = await client.CreateAsync(root["n-"], ReadOnlyMemory<byte>.Empty, CreateMode.EphemeralSequential);

        Assert.Equal(root["n-0000000000"], first.Path);
        Assert.Equal(root["n-0000000001"], second.Path);
        Assert.Equal(client.Session.SessionId, second.Stat.EphemeralOwner);
    }
}
