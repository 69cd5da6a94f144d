using ZkSync.Client;
using ZkSync.Locks;

namespace ZkSync.Recipes.Tests.Locks;

/// <summary>Lock names and options, without a server (the client points at a closed port and never connects).</summary>
public sealed class LockNameUnitTests : IAsyncLifetime
{
    private ZooKeeperClient _client = null!;

    public ValueTask InitializeAsync()
    {
        _client = new ZooKeeperClient(new ZooKeeperClientOptions { ConnectionString = "127.0.0.1:1" });
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _client.DisposeAsync();

    [Theory]
    [InlineData("orders/42", "/zksync/locks/orders/42")]
    [InlineData("a", "/zksync/locks/a")]
    [InlineData("zookeeper", "/zksync/locks/zookeeper")]
    [InlineData("caf\u00e9/\u65e5\u672c", "/zksync/locks/caf\u00e9/\u65e5\u672c")]
    [InlineData("x.y/..z/.a", "/zksync/locks/x.y/..z/.a")]
    [InlineData("jobs/__lock__/x__lock__17", "/zksync/locks/jobs/__lock__/x__lock__17")]
    public void GetLockPath_ValidName_MapsUnderRootPath(string name, string expected)
    {
        var provider = new ZooKeeperLockProvider(_client);

        Assert.Equal(expected, provider.GetLockPath(name));
    }

    [Fact]
    public void GetLockPath_RootIsSlash_MapsDirectlyUnderRoot()
    {
        var provider = new ZooKeeperLockProvider(_client, new ZooKeeperLockOptions { RootPath = "/" });

        Assert.Equal("/orders/42", provider.GetLockPath("orders/42"));
    }

    [Theory]
    [InlineData("", "must not be empty")]
    [InlineData("/orders", "must not start with '/'")]
    [InlineData("orders/", "must not end with '/'")]
    [InlineData("orders//42", "'//' is not allowed")]
    [InlineData(".", "'.' and '..' components are not allowed")]
    [InlineData("orders/..", "'.' and '..' components are not allowed")]
    [InlineData("a/./b", "'.' and '..' components are not allowed")]
    [InlineData("orders\n42", "control characters are not allowed (U+000A at index 6)")]
    [InlineData("orders\u000042", "control characters are not allowed")]
    [InlineData("x\u0085", "control characters are not allowed")]
    [InlineData("x\ue000", "private-use")]
    [InlineData("x\ufffe", "special characters")]
    [InlineData("orders/_c_1234-lock-0000000001", "reserved for lock and election nodes")]
    [InlineData("orders/5e1da4__lock__0000000001", "'5e1da4__lock__0000000001' would be taken for a lock contender")]
    [InlineData("orders/5e1da4__rlock__0000000001/x", "would be taken for a lock contender")]
    [InlineData("jobs-lock-0000000042", "would be taken for a lock contender")]
    public void GetLockPath_InvalidName_ThrowsArgumentExceptionNamingTheRule(string name, string rule)
    {
        var provider = new ZooKeeperLockProvider(_client);

        var error = Assert.Throws<ArgumentException>(() => provider.GetLockPath(name));

        Assert.Equal("name", error.ParamName);
        Assert.Contains(rule, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("zookeeper")]
    [InlineData("zookeeper/config")]
    [InlineData("zookeeperish")]
    public void GetLockPath_ZooKeeperAtRoot_IsRejected(string name)
    {
        var provider = new ZooKeeperLockProvider(_client, new ZooKeeperLockOptions { RootPath = "/" });

        var error = Assert.Throws<ArgumentException>(() => provider.GetLockPath(name));

        Assert.Contains("reserved subtree", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetLockPath_Null_ThrowsArgumentNullException()
    {
        var provider = new ZooKeeperLockProvider(_client);

        Assert.Throws<ArgumentNullException>(() => provider.GetLockPath(null!));
    }

    [Theory]
    [InlineData("zksync/locks")]
    [InlineData("/zksync/locks/")]
    [InlineData("/zookeeper/locks")]
    [InlineData("/zksync//locks")]
    public void Constructor_InvalidRootPath_ThrowsNamingRootPath(string rootPath)
    {
        var error = Assert.Throws<ArgumentException>(() => new ZooKeeperLockProvider(_client, new ZooKeeperLockOptions { RootPath = rootPath }));

        Assert.Equal("RootPath", error.ParamName);
    }

    [Fact]
    public async Task TryAcquireAsync_NotConnected_ThrowsConnectionLossInsteadOfNull()
    {
        var provider = new ZooKeeperLockProvider(_client);

        var atOnce = await Assert.ThrowsAsync<ZooKeeperException>(() => provider.TryAcquireAsync("a").AsTask());
        var afterTimeout = await Assert.ThrowsAsync<ZooKeeperException>(() => provider.TryAcquireAsync("a", TimeSpan.FromMilliseconds(100)).AsTask());
        var acquire = await Assert.ThrowsAsync<ZooKeeperException>(() => provider.AcquireAsync("a", TimeSpan.FromMilliseconds(100)).AsTask());

        Assert.All([atOnce, afterTimeout, acquire], e => Assert.Equal(ZooKeeperErrorCode.ConnectionLoss, e.Code));
        Assert.Contains("not connected", atOnce.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TryAcquireAsync_InvalidArguments_ThrowBeforeAnyRequest()
    {
        var provider = new ZooKeeperLockProvider(_client);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => provider.TryAcquireAsync("a", TimeSpan.FromSeconds(-2)).AsTask());
        await Assert.ThrowsAsync<ArgumentException>(() => provider.TryAcquireAsync("a", new ZooKeeperLockRequest { Ttl = TimeSpan.Zero }).AsTask());
        await Assert.ThrowsAsync<ArgumentException>(() => provider.TryAcquireAsync("a", new ZooKeeperLockRequest { OwnerId = " " }).AsTask());
        await Assert.ThrowsAsync<ArgumentException>(() => provider.TryAcquireAsync("a//b").AsTask());
        await Assert.ThrowsAsync<InvalidOperationException>(() => provider.ReleaseAsync("a", "me").AsTask());
    }
}
