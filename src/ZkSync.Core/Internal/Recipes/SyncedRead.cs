using ZkSync.Client;

namespace ZkSync.Internal.Recipes;

/// <summary>
/// Reads that must reflect every write the ensemble acknowledged before they began, also writes of other sessions made
/// through other members (ZooKeeper orders a session's reads after its own writes only).
/// </summary>
internal static class SyncedRead
{
    /// <summary>
    /// Sends a sync on <paramref name="path"/> and then <paramref name="read"/> without waiting in between: the member
    /// answers a session's requests in order, so the read is served after the member has caught up with the leader, in
    /// one round trip.
    /// </summary>
    /// <typeparam name="T">The read's result.</typeparam>
    /// <param name="client">The session.</param>
    /// <param name="path">The path read.</param>
    /// <param name="read">Sends the read.</param>
    /// <param name="cancellationToken">Abandons the sync.</param>
    /// <returns>The read's result; the sync's failure if it failed (the read's is then observed).</returns>
    public static async Task<T> AfterSyncAsync<T>(this ZooKeeperClient client, string path, Func<Task<T>> read, CancellationToken cancellationToken)
    {
        var sync = client.SyncAsync(path, cancellationToken);
        var result = read();
        result.ObserveFailure(); // also when the sync fails first
        await sync.ConfigureAwait(false);
        return await result.ConfigureAwait(false);
    }
}
