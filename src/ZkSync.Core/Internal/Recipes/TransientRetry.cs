using ZkSync.Client;

namespace ZkSync.Internal.Recipes;

/// <summary>
/// The pause of the recipes' retry loops after a transient failure (<see cref="ZooKeeperException.IsTransient"/>):
/// wait for a connection, and when requests keep failing while connected (<c>Throttled</c> from an overloaded server,
/// request timeouts) back off, 50 ms more per failure in a row up to 1 s, instead of re-sending at once.
/// </summary>
internal static class TransientRetry
{
    private const int StepMs = 50;
    private const int MaxMs = 1000;

    /// <summary>The back-off after <paramref name="failuresInRow"/> failures in a row: none for the first (usually a
    /// connection loss, already paced by the reconnect), then 50 ms · n, at most 1 s.</summary>
    /// <param name="failuresInRow">Consecutive transient failures so far, this one included.</param>
    /// <returns>The pause.</returns>
    public static TimeSpan Delay(int failuresInRow) =>
        failuresInRow <= 1 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Math.Min(StepMs * failuresInRow, MaxMs));

    /// <summary>Waits for a connection, then backs off as <see cref="Delay"/> says.</summary>
    /// <param name="client">The client.</param>
    /// <param name="failuresInRow">Consecutive transient failures so far, this one included.</param>
    /// <param name="cancellationToken">Abandons the wait.</param>
    /// <returns>A task that completes when the caller may retry.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    /// <exception cref="ZooKeeperException">The client can no longer connect (authentication failed).</exception>
    public static async Task WaitAsync(ZooKeeperClient client, int failuresInRow, CancellationToken cancellationToken)
    {
        await client.WaitForConnectedAsync(cancellationToken).ConfigureAwait(false);
        var delay = Delay(failuresInRow);
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }
    }
}
