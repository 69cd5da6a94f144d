using ZkSync.Client;
using ZkSync.Client.Internal;

namespace ZkSync.Client.Tests.Unit;

public sealed class PathAndConnectionStringTests
{
    [Theory]
    [InlineData("/")]
    [InlineData("/a")]
    [InlineData("/a/b-c_d.e")]
    [InlineData("/zksync/locks/orders/42")]
    [InlineData("/ünïcödé")]
    public void Validate_ValidPath_DoesNotThrow(string path) => ZkPath.Validate(path);

    [Theory]
    [InlineData("", "must not be empty")]
    [InlineData("a", "must start with '/'")]
    [InlineData("/a/", "must not end with '/'")]
    [InlineData("//", "must not end with '/'")]
    [InlineData("/a//b", "empty path component")]
    [InlineData("/.", "relative path components")]
    [InlineData("/a/..", "relative path components")]
    [InlineData("/a\0b", "null character")]
    [InlineData("/a\u001fb", "control characters")]
    [InlineData("/a\u0085b", "control characters")]
    [InlineData("/a\ud800b", "surrogate")]
    [InlineData("/a\ufff5b", "surrogate")]
    public void Validate_InvalidPath_NamesTheRule(string path, string rule)
    {
        var ex = Assert.Throws<ArgumentException>(() => ZkPath.Validate(path));

        Assert.Contains(rule, ex.Message, StringComparison.Ordinal);
        Assert.Equal("path", ex.ParamName);
    }

    [Theory]
    [InlineData("/a/", true)]
    [InlineData("/a/b-", true)]
    [InlineData("/a/.", true)]
    [InlineData("/a/", false)]
    public void Validate_SequentialPrefix_AllowsTrailingSlash(string path, bool sequential)
    {
        Assert.Equal(sequential, ZkPath.GetError(path, sequential) is null);
    }

    [Fact]
    public void ParentNameCombine_Work()
    {
        Assert.Equal("/a", ZkPath.GetParent("/a/b"));
        Assert.Equal("/", ZkPath.GetParent("/a"));
        Assert.Null(ZkPath.GetParent("/"));
        Assert.Equal("b", ZkPath.GetName("/a/b"));
        Assert.Equal("/a/b", ZkPath.Combine("/a", "b"));
        Assert.Equal("/b", ZkPath.Combine("/", "b"));
    }

    [Fact]
    public void Parse_HostsPortsAndChroot()
    {
        var parsed = ConnectionString.Parse("zk1:2181, zk2 ,[::1]:2183/apps/x");

        Assert.Equal([("zk1", 2181), ("zk2", 2181), ("::1", 2183)], parsed.Hosts);
        Assert.Equal("/apps/x", parsed.Chroot);
    }

    [Fact]
    public void Parse_RootChroot_MeansNone()
    {
        Assert.Null(ConnectionString.Parse("h:1/").Chroot);
    }

    [Theory]
    [InlineData("h:0", "port")]
    [InlineData("h:x", "port")]
    [InlineData("h:1,,h:2", "Empty host")]
    [InlineData("h:1/a/", "chroot")]
    public void Parse_Invalid_NamesTheProblem(string value, string expected)
    {
        var ex = Assert.Throws<ArgumentException>(() => ConnectionString.Parse(value));

        Assert.Contains(expected, ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Options_Validate_NamesTheOption()
    {
        var ex = Assert.Throws<ArgumentException>(() => new ZooKeeperClientOptions { ConnectionString = "h:1", SessionTimeout = TimeSpan.FromMilliseconds(10) }.Validate());
        Assert.Equal("SessionTimeout", ex.ParamName);
        ex = Assert.Throws<ArgumentException>(() => new ZooKeeperClientOptions().Validate());
        Assert.Equal("ConnectionString", ex.ParamName);
    }

    [Fact]
    public void AuthInfo_ToString_HidesCredentials()
    {
        var info = ZooKeeperAuthInfo.Digest("alice", "s3cret");

        Assert.DoesNotContain("s3cret", info.ToString(), StringComparison.Ordinal);
        // Reference value from an independent implementation: python3 base64(sha1(b"alice:s3cret")).
        Assert.Equal("alice:uLxpHc/uhT86OXPoSjJTp1M8CJY=", ZooKeeperAcl.DigestId("alice", "s3cret"));
    }

    [Fact]
    public void Acl_ToString_ShowsTheUserButNotTheDigest()
    {
        var acl = new ZooKeeperAcl(ZooKeeperPermissions.Read | ZooKeeperPermissions.Write, "digest", ZooKeeperAcl.DigestId("alice", "s3cret"));

        Assert.Equal("digest:alice:***:Read, Write", acl.ToString());
        Assert.Equal("world:anyone:All", ZooKeeperAcl.OpenUnsafe[0].ToString());
        Assert.Equal("ip:10.0.0.0/8:Read", new ZooKeeperAcl(ZooKeeperPermissions.Read, "ip", "10.0.0.0/8").ToString());
    }
}
