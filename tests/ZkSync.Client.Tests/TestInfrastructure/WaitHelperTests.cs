using Xunit;
using ZkSync.TestSupport;

namespace ZkSync.Client.Tests.TestInfrastructure;

public sealed class WaitHelperTests
{
    private event EventHandler<int>? Ticked;

    [Fact]
    public async Task WithTimeout_TaskNeverCompletes_ThrowsTimeoutNamingTheExpression()
    {
        // Arrange
        var never = new TaskCompletionSource().Task;

        // Act
        var exception = await Assert.ThrowsAsync<TimeoutException>(() => never.WithTimeout(TimeSpan.FromMilliseconds(20)));

        // Assert
        Assert.Contains("'never'", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithTimeout_TaskItselfTimesOut_RethrowsTheTasksOwnException()
    {
        // Arrange
        var failed = Task.FromException<int>(new TimeoutException("from the operation"));

        // Act
        var exception = await Assert.ThrowsAsync<TimeoutException>(() => failed.WithTimeout());

        // Assert
        Assert.Equal("from the operation", exception.Message);
    }

    [Fact]
    public async Task WithTimeout_CompletedTask_ReturnsItsResult()
    {
        // Act
        var result = await Task.FromResult(42).WithTimeout();

        // Assert
        Assert.Equal(42, result);
    }

    [Fact]
    public async Task WaitForEventAsync_MatchingEventRaised_ReturnsItsArgumentsAndUnsubscribes()
    {
        // Arrange
        var waiting = WaitHelper.WaitForEventAsync<int>(
            h => Ticked += h, h => Ticked -= h, tick => tick == 3, cancellationToken: TestContext.Current.CancellationToken);

        // Act
        for (var tick = 1; tick <= 4; tick++)
        {
            Ticked?.Invoke(this, tick);
        }

        var result = await waiting;

        // Assert
        Assert.Equal(3, result);
        Assert.Null(Ticked);
    }

    [Fact]
    public async Task WaitForEventAsync_NoEvent_ThrowsTimeoutAndUnsubscribes()
    {
        // Act
        var exception = await Assert.ThrowsAsync<TimeoutException>(
            () => WaitHelper.WaitForEventAsync<int>(
                h => Ticked += h, h => Ticked -= h, timeout: TimeSpan.FromMilliseconds(20), cancellationToken: TestContext.Current.CancellationToken));

        // Assert
        Assert.Contains("Int32", exception.Message, StringComparison.Ordinal);
        Assert.Null(Ticked);
    }

    [Fact]
    public async Task WaitUntilAsync_ConditionBecomesTrue_ReturnsAfterTheFirstTrueCheck()
    {
        // Arrange
        var checks = 0;

        // Act
        await WaitHelper.WaitUntilAsync(() => ++checks >= 3, cancellationToken: TestContext.Current.CancellationToken);

        // Assert
        Assert.Equal(3, checks);
    }

    [Fact]
    public async Task WaitUntilAsync_ConditionNeverTrue_ThrowsTimeoutNamingTheCondition()
    {
        // Act
        var exception = await Assert.ThrowsAsync<TimeoutException>(
            () => WaitHelper.WaitUntilAsync(() => false, TimeSpan.FromMilliseconds(100), TestContext.Current.CancellationToken));

        // Assert
        Assert.Contains("() => false", exception.Message, StringComparison.Ordinal);
    }
}
