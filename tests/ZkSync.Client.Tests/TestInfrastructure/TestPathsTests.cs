using Xunit;
using ZkSync.TestSupport;

namespace ZkSync.Client.Tests.TestInfrastructure;

public sealed class TestPathsTests
{
    [Fact]
    public void Unique_SamePrefixTwice_GivesDistinctPathsBelowTheTestRoot()
    {
        // Arrange
        const string prefix = "locks";

        // Act
        var first = TestPaths.Unique(prefix);
        var second = TestPaths.Unique(prefix);

        // Assert
        Assert.NotEqual(first, second);
        Assert.Matches("^/zksync-tests/locks-[0-9a-f]{32}$", first);
        Assert.StartsWith(TestPaths.Root + "/", second, StringComparison.Ordinal);
    }

    [Fact]
    public void Unique_NoPrefix_UsesTheCallingMethodName()
    {
        // Act
        var path = TestPaths.Unique();

        // Assert
        Assert.StartsWith("/zksync-tests/" + nameof(Unique_NoPrefix_UsesTheCallingMethodName) + "-", path, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("with space")]
    [InlineData("")]
    public void Unique_InvalidPrefix_Throws(string prefix)
    {
        // Act
        var exception = Record.Exception(() => TestPaths.Unique(prefix));

        // Assert
        Assert.IsAssignableFrom<ArgumentException>(exception);
    }
}
