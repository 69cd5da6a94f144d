using Microsoft.Extensions.Logging;
using ZkSync.Client;

namespace ZkSync.Internal.Recipes;

/// <summary>
/// Deletes a recipe's own nodes "guaranteed" (Curator <c>delete().guaranteed()</c>): retried across connection losses
/// until the node is gone, so a waiter that gave up or a holder that released never leaves an orphan that blocks the
/// queue (RECIPES.md §6.4, §6.6).
/// </summary>
/// <remarks>
/// The returned tasks never fault and never observe the caller's cancellation token (cancelling a cleanup is what left
/// nodes behind in vitessio/vitess#15756). A deletion ends when the node is gone (deleted by us, NoNode, or its session
/// ended and ZooKeeper removed it), or when the client is disposed or fails authentication (then the session is over
/// anyway, or no further request can succeed). Deleting the node of a session that ended on our side but may still be
/// alive on the server is deliberate (CURATOR-498): such a node would otherwise block the queue until the server
/// expires it.
/// </remarks>
internal sealed class NodeCleaner(ZooKeeperClient client, ILogger logger)
{
    /// <summary>Deletes <paramref name="path"/>, retrying until it is gone.</summary>
    /// <param name="path">The node.</param>
    /// <returns>A task that completes (never faults) when the node is gone or nothing more can be done.</returns>
    public async Task DeleteAsync(string path)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await client.DeleteAsync(path).ConfigureAwait(false);
                return;
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
            {
                return;
            }
            catch (ZooKeeperException ex) when (ex.IsTransient || ex.Code == ZooKeeperErrorCode.SessionExpired)
            {
                Log.NodeDeleteRetry(logger, path, ex.Code);
                if (!await WaitToRetryAsync(attempt).ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (ZooKeeperException ex)
            {
                Log.NodeDeleteFailed(logger, path, ex.Message);
                return;
            }
            catch (ObjectDisposedException)
            {
                return; // The client closed its session: ZooKeeper deletes the session's ephemerals.
            }
        }
    }

    /// <summary>
    /// Deletes <paramref name="path"/> and waits for that while the client stays connected; when the connection is
    /// lost (or already is) the deletion continues in the background and this returns.
    /// </summary>
    /// <param name="path">The node.</param>
    /// <returns>A task that never faults.</returns>
    public Task DeleteWhileConnectedAsync(string path) => WaitWhileConnectedAsync(DeleteAsync(path));

    /// <summary>
    /// Waits for a clean-up (one of this class's tasks) while the client stays connected: a caller that gave up sees
    /// its node gone when it returns, unless the connection is lost; then the clean-up goes on in the background.
    /// </summary>
    /// <param name="cleanup">The clean-up; it never faults.</param>
    /// <returns>A task that never faults.</returns>
    public async Task WaitWhileConnectedAsync(Task cleanup)
    {
        var connection = client.ConnectionLostToken;
        if (cleanup.IsCompleted || connection.IsCancellationRequested)
        {
            return;
        }

        try
        {
            await cleanup.WaitAsync(connection).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Continues in the background; the clean-up tasks never fault.
        }
    }

    /// <summary>
    /// Cleans up after a create whose caller gave up: waits for its outcome and deletes the node if it was created,
    /// or — when the reply was lost — finds it by its protection id and deletes it.
    /// </summary>
    /// <param name="create">The create in flight.</param>
    /// <param name="parentPath">The parent it was created under.</param>
    /// <param name="protection">The name prefix <c>_c_&lt;uuid&gt;-</c>.</param>
    /// <returns>A task that never faults.</returns>
    public async Task DeleteCreatedAsync(Task<ZooKeeperCreateResult> create, string parentPath, string protection)
    {
        try
        {
            var created = await create.ConfigureAwait(false);
            await DeleteAsync(created.Path).ConfigureAwait(false);
        }
        catch (ZooKeeperException ex) when (ex.IsTransient || ex.Code == ZooKeeperErrorCode.SessionExpired)
        {
            await DeleteProtectedAsync(parentPath, protection).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ZooKeeperException or ObjectDisposedException or OperationCanceledException)
        {
            // The create failed for sure (NoNode, NoAuth…) or the client is gone: nothing to delete.
        }
    }

    /// <summary>Lists <paramref name="parentPath"/> and deletes every child created with <paramref name="protection"/>.</summary>
    /// <param name="parentPath">The parent.</param>
    /// <param name="protection">The name prefix <c>_c_&lt;uuid&gt;-</c>.</param>
    /// <returns>A task that never faults.</returns>
    public async Task DeleteProtectedAsync(string parentPath, string protection)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                // The create may have been applied through another ensemble member than the one we now talk to, and
                // its reply (with its zxid) never reached us: sync first so that the listing includes it.
                await client.SyncAsync(parentPath).ConfigureAwait(false);
                var children = await client.GetChildrenAsync(parentPath).ConfigureAwait(false);
                foreach (var child in children)
                {
                    if (ProtectedNodeName.Matches(child, protection))
                    {
                        await DeleteAsync(Client.ZkPath.Combine(parentPath, child)).ConfigureAwait(false);
                    }
                }

                return;
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
            {
                return;
            }
            catch (ZooKeeperException ex) when (ex.IsTransient || ex.Code == ZooKeeperErrorCode.SessionExpired)
            {
                if (!await WaitToRetryAsync(attempt).ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (ZooKeeperException ex)
            {
                Log.NodeDeleteFailed(logger, parentPath + "/" + protection + "*", ex.Message);
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
        }
    }

    /// <summary>Waits for a connection (and backs off a little on repeated failures); false when the client is finished.</summary>
    private async Task<bool> WaitToRetryAsync(int attempt)
    {
        try
        {
            await TransientRetry.WaitAsync(client, attempt + 1, CancellationToken.None).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is ObjectDisposedException or ZooKeeperException)
        {
            return false;
        }
    }
}
