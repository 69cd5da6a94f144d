using System.Diagnostics;
using Microsoft.Extensions.Logging;
using ZkSync.Client;

namespace ZkSync.Internal.Recipes;

/// <summary>Our node in a sequential-node queue.</summary>
/// <param name="Path">The node's path.</param>
/// <param name="Name">The node's name (last path component).</param>
/// <param name="Stat">The node's metadata when we got hold of it (czxid is the fencing token; ctime a server timestamp).</param>
/// <param name="CreatedTimestamp">The <see cref="Stopwatch"/> timestamp at which <see cref="Stat"/> was received.</param>
internal sealed record QueueEntry(string Path, string Name, ZooKeeperStat Stat, long CreatedTimestamp)
{
    /// <summary>The session that owns the node (its ephemeralOwner).</summary>
    public long SessionId => Stat.EphemeralOwner;

    /// <summary>An estimate of the server's clock (ms since the epoch) that never runs ahead of it: our ctime plus local elapsed time.</summary>
    public long ServerNowMs => Stat.Ctime + (long)Stopwatch.GetElapsedTime(CreatedTimestamp).TotalMilliseconds;
}

/// <summary>The result of <see cref="SequentialNodeQueue.EnterAsync"/>.</summary>
/// <param name="Entry">Our node.</param>
/// <param name="Children">The parent's children listed right after our create (pipelined), or null when that listing failed.</param>
/// <param name="ListingWatch">The child watch that listing left on the parent: completes with the parent's next event
/// (a child created or deleted — ours included — or the parent deleted, or the session's end). Null when there was no
/// such listing. Lets the first in line guard its node without another round trip (<see cref="OwnNodeMonitor"/>).</param>
internal sealed record QueueEnterResult(QueueEntry Entry, IReadOnlyList<string>? Children, ListingWatch? ListingWatch = null);

/// <summary>
/// The shared machinery of ZooKeeper's sequential-node recipes — locks, read-write locks, and
/// Curator-compatible leader latches (<c>_c_&lt;uuid&gt;-latch-&lt;seq&gt;</c>) and semaphore leases: entering the queue
/// with a protected ephemeral-sequential create under a container parent, finding our node again after a connection
/// loss, and listing the queue.
/// </summary>
/// <remarks>
/// <para>What a recipe does on top (see <c>LockAcquisition</c>):</para>
/// <list type="number">
/// <item><see cref="EnterAsync"/>: one round trip in the common case — the create and the getChildren are sent back to
/// back, and ZooKeeper answers a session's requests in order, so the listing already contains our node. The listing
/// leaves a child watch on the parent, which guards a node that is first in line until its own watch is needed.</item>
/// <item>Sort the children with <see cref="SequentialNodeOrdering.Sort"/> and decide (first in line? which node to wait for?).</item>
/// <item>Watch only the node we wait for, with getData (as Curator does, so no exists watch lingers on a deleted
/// node) and an <see cref="OwnNodeMonitor"/> on our own node; re-list on every wake-up unless the recipe can prove it is
/// first.</item>
/// <item>On timeout, cancellation or failure, hand our node to <see cref="NodeCleaner"/>; if a create was still in
/// flight, <see cref="NodeCleaner.DeleteCreatedAsync"/> finds it by its GUID.</item>
/// </list>
/// <para>
/// Connection loss during the create (RECIPES.md §6.4/6.5): the outcome is unknown, so after reconnecting we sync, list
/// the parent and look for <c>_c_&lt;uuid&gt;-</c>. A node found there is adopted only if its ephemeralOwner is our current
/// session; otherwise (the session changed meanwhile, CURATOR-498) it is deleted and a new GUID is used.
/// </para>
/// <para>
/// Parents are CONTAINER nodes, created on demand, so the server removes them once their last child is gone. If the
/// server reaps an empty container between our parent-create and our child-create, the child-create fails with NoNode
/// and is retried after creating the parents again.
/// </para>
/// </remarks>
internal sealed class SequentialNodeQueue
{
    private const int MaxParentRetries = 10;
    private readonly ZooKeeperClient _client;
    private readonly IReadOnlyList<ZooKeeperAcl>? _acl;
    private readonly NodeCleaner _cleaner;
    private readonly ILogger _logger;

    /// <summary>Creates a queue under <paramref name="parentPath"/> whose nodes are named <c>_c_&lt;uuid&gt;-&lt;token&gt;&lt;seq&gt;</c>.</summary>
    /// <param name="client">The client.</param>
    /// <param name="parentPath">The parent of the queue's nodes (created as a container when missing).</param>
    /// <param name="acl">The configured ACL of created nodes and parents; null for the default of <see cref="RecipeAcl"/>.</param>
    /// <param name="cleaner">Deletes nodes left behind by abandoned creates.</param>
    /// <param name="logger">The logger.</param>
    public SequentialNodeQueue(ZooKeeperClient client, string parentPath, IReadOnlyList<ZooKeeperAcl>? acl, NodeCleaner cleaner, ILogger logger)
    {
        _client = client;
        ParentPath = parentPath;
        _acl = acl;
        _cleaner = cleaner;
        _logger = logger;
    }

    /// <summary>The parent of the queue's nodes.</summary>
    public string ParentPath { get; }

    /// <summary>
    /// Creates our node (ephemeral sequential, protected) and lists the parent in the same round trip.
    /// </summary>
    /// <param name="token">The name token, e.g. <c>lock-</c> (the sequence follows it).</param>
    /// <param name="data">The node's data.</param>
    /// <param name="createParent">Sends a container create of the parent ahead of the node's create, in the same round
    /// trip: for a parent that probably does not exist yet (see <see cref="PathHints"/>).</param>
    /// <param name="cancellationToken">Abandons the attempt (also the wait for the create's reply); a node that may have
    /// been created is deleted (waited for while connected, else in the background).</param>
    /// <param name="connectionWaitToken">Abandons waiting for a connection after a connection loss during the create
    /// (a recipe's deadline); same clean-up. Defaults to <paramref name="cancellationToken"/>.</param>
    /// <returns>Our node and the listing.</returns>
    /// <exception cref="ZooKeeperException">A non-transient failure (NoAuth, InvalidACL…).</exception>
    /// <exception cref="OperationCanceledException">One of the tokens was cancelled.</exception>
    public async Task<QueueEnterResult> EnterAsync(string token, ReadOnlyMemory<byte> data, bool createParent, CancellationToken cancellationToken,
        CancellationToken connectionWaitToken = default)
    {
        if (!connectionWaitToken.CanBeCanceled)
        {
            connectionWaitToken = cancellationToken;
        }

        if (!createParent)
        {
            var entered = await EnterCoreAsync(token, data, parentGoneReturnsNull: true, cancellationToken, connectionWaitToken).ConfigureAwait(false);
            if (entered is not null)
            {
                return entered;
            }

            // The parent was there before and is gone now (the server reaps an empty container): the retry sends its
            // container create ahead of the node's create, as for a new parent, instead of waiting for it first.
        }

        // Answered before the node's create (a session's requests are applied in order). NodeExists is the usual outcome;
        // NoNode (ancestors missing) or NoAuth show again on the node's create, which handles them.
        var parentCreate = _client.CreateAsync(ParentPath, ReadOnlyMemory<byte>.Empty, CreateMode.Container, RecipeAcl.Resolve(_client, _acl), cancellationToken: CancellationToken.None);
        parentCreate.ObserveFailure();
        try
        {
            return (await EnterCoreAsync(token, data, parentGoneReturnsNull: false, cancellationToken, connectionWaitToken).ConfigureAwait(false))!;
        }
        catch
        {
            // A container that never had a child is never reaped by the server: if ours stays empty, delete it.
            // NotEmpty (someone else queued meanwhile) and NoNode are fine; a lost connection leaves it (rare double fault).
            _ = parentCreate.ContinueWith(static (created, state) =>
                {
                    var (client, path) = ((ZooKeeperClient, string))state!;
                    client.DeleteAsync(path).ObserveFailure();
                }, (_client, ParentPath), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw;
        }
    }

    /// <summary>Creates our node and lists the parent (see <see cref="EnterAsync"/>).</summary>
    /// <param name="token">The name token.</param>
    /// <param name="data">The node's data.</param>
    /// <param name="parentGoneReturnsNull">When the first create finds no parent, return null (nothing was created)
    /// instead of creating the parent and trying again.</param>
    /// <param name="cancellationToken">Abandons the attempt.</param>
    /// <param name="connectionWaitToken">Abandons waiting for a connection.</param>
    /// <returns>Our node and the listing; null only as <paramref name="parentGoneReturnsNull"/> says.</returns>
    private async Task<QueueEnterResult?> EnterCoreAsync(string token, ReadOnlyMemory<byte> data, bool parentGoneReturnsNull,
        CancellationToken cancellationToken, CancellationToken connectionWaitToken)
    {
        var parentRetries = 0;
        var protectionId = Guid.NewGuid();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var protection = ProtectedNodeName.GetProtection(protectionId);
            var create = _client.CreateAsync(ZkPath.Combine(ParentPath, protection + token), data, CreateMode.EphemeralSequential, RecipeAcl.Resolve(_client, _acl), cancellationToken: CancellationToken.None);
            var listingWatch = new ListingWatch();
            var children = _client.GetChildrenAsync(ParentPath, listingWatch.OnEvent, CancellationToken.None);
            ZooKeeperCreateResult created;
            try
            {
                // The create itself is never abandoned: if we stop waiting, the cleaner waits for it.
                created = await create.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                children.ObserveFailure();
                await _cleaner.WaitWhileConnectedAsync(_cleaner.DeleteCreatedAsync(create, ParentPath, protection)).ConfigureAwait(false);
                throw;
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode && parentGoneReturnsNull && parentRetries == 0)
            {
                children.ObserveFailure();
                return null;
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode && parentRetries++ < MaxParentRetries)
            {
                children.ObserveFailure();
                await EnsureContainerAsync(_client, ParentPath, _acl, cancellationToken).ConfigureAwait(false);
                continue;
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoAuth)
            {
                children.ObserveFailure();
                throw RecipeAcl.NotAllowed(_client, ParentPath, ex);
            }
            catch (ZooKeeperException ex) when (ex.IsTransient || ex.Code == ZooKeeperErrorCode.SessionExpired)
            {
                children.ObserveFailure();
                var recovered = await RecoverAsync(protection, cancellationToken, connectionWaitToken).ConfigureAwait(false);
                if (recovered is not null)
                {
                    return recovered;
                }

                // Not created (or created by an ended session and deleted): try again with a fresh id.
                protectionId = Guid.NewGuid();
                continue;
            }

            var entry = new QueueEntry(created.Path, ZkPath.GetName(created.Path), created.Stat, Stopwatch.GetTimestamp());
            try
            {
                // Already answered or about to be: it was sent right behind the create.
                var listing = await children.ConfigureAwait(false);
                return new QueueEnterResult(entry, listing, listingWatch);
            }
            catch (Exception ex) when (ex is ZooKeeperException or OperationCanceledException)
            {
                return new QueueEnterResult(entry, null);
            }
        }
    }

    /// <summary>Lists the parent's children; an absent parent is an empty queue.</summary>
    /// <param name="cancellationToken">Abandons the wait.</param>
    /// <returns>The child names.</returns>
    public async Task<IReadOnlyList<string>> GetChildrenAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _client.GetChildrenAsync(ParentPath, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
        {
            return [];
        }
    }

    /// <summary>
    /// Creates <paramref name="path"/> as a container, and its missing ancestors (bottom-up: one round trip when only
    /// the node itself is missing). Existing nodes are left as they are.
    /// </summary>
    /// <param name="client">The client.</param>
    /// <param name="path">The path.</param>
    /// <param name="acl">The configured ACL, or null for the default of <see cref="RecipeAcl"/>.</param>
    /// <param name="cancellationToken">Abandons the wait.</param>
    /// <returns>A task that completes when the path exists.</returns>
    /// <exception cref="ZooKeeperException">NoAuth naming the path and identity when a parent refuses the create.</exception>
    public static async Task EnsureContainerAsync(ZooKeeperClient client, string path, IReadOnlyList<ZooKeeperAcl>? acl, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await client.CreateAsync(path, ReadOnlyMemory<byte>.Empty, CreateMode.Container, RecipeAcl.Resolve(client, acl), cancellationToken: cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoAuth)
            {
                throw RecipeAcl.NotAllowed(client, ZkPath.GetParent(path) ?? "/", ex);
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NodeExists)
            {
                return;
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode && attempt < MaxParentRetries && ZkPath.GetParent(path) is { } parent && parent != "/")
            {
                await EnsureContainerAsync(client, parent, acl, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Creates the parent of <paramref name="nodePath"/> (and its missing ancestors) as containers; nothing for a child of '/'.</summary>
    /// <param name="client">The client.</param>
    /// <param name="nodePath">The node whose parent must exist.</param>
    /// <param name="acl">The ACL; null for open.</param>
    /// <param name="cancellationToken">Abandons the wait.</param>
    /// <returns>A task that completes when the parent exists.</returns>
    public static Task EnsureParentAsync(ZooKeeperClient client, string nodePath, IReadOnlyList<ZooKeeperAcl>? acl, CancellationToken cancellationToken) =>
        ZkPath.GetParent(nodePath) is { } parent && parent != "/"
            ? EnsureContainerAsync(client, parent, acl, cancellationToken)
            : Task.CompletedTask;

    /// <summary>After a create failed with an unknown outcome: find our node by its protection id.</summary>
    /// <param name="protection">The name prefix <c>_c_&lt;uuid&gt;-</c> of the create.</param>
    /// <param name="cancellationToken">Abandons the search; a node possibly created is then deleted in the background.</param>
    /// <param name="connectionWaitToken">Abandons waiting for a connection; same clean-up.</param>
    /// <returns>The adopted node, or null when there is none (any node of an ended session was deleted).</returns>
    internal async Task<QueueEnterResult?> RecoverAsync(string protection, CancellationToken cancellationToken, CancellationToken connectionWaitToken)
    {
        var failures = 0;
        try
        {
            while (true)
            {
                try
                {
                    await TransientRetry.WaitAsync(_client, failures, connectionWaitToken).ConfigureAwait(false);
                    // The lost create may have been applied through another member (or by a previous session), and
                    // the zxid of its reply never reached us: sync so that the listing is sure to include it.
                    await _client.SyncAsync(ParentPath, cancellationToken).ConfigureAwait(false);
                    var children = await GetChildrenAsync(cancellationToken).ConfigureAwait(false);
                    QueueEnterResult? adopted = null;
                    foreach (var child in children)
                    {
                        if (!ProtectedNodeName.Matches(child, protection))
                        {
                            continue;
                        }

                        var path = ZkPath.Combine(ParentPath, child);
                        var stat = await _client.ExistsAsync(path, cancellationToken: cancellationToken).ConfigureAwait(false);
                        var sessionId = _client.Session.SessionId;
                        if (stat is null)
                        {
                            continue;
                        }

                        if (stat.EphemeralOwner == sessionId && adopted is null)
                        {
                            Log.ProtectedNodeRecovered(_logger, path);
                            adopted = new QueueEnterResult(new QueueEntry(path, child, stat, Stopwatch.GetTimestamp()), children);
                        }
                        else
                        {
                            // CURATOR-498: created by a session that has ended on our side; never adopt it.
                            Log.ProtectedNodeOfOldSession(_logger, path, stat.EphemeralOwner, sessionId);
                            await _cleaner.DeleteAsync(path).ConfigureAwait(false);
                        }
                    }

                    return adopted;
                }
                catch (ZooKeeperException ex) when (ex.IsTransient || ex.Code == ZooKeeperErrorCode.SessionExpired)
                {
                    // Lost again while looking: look again on the next connection (backing off while connected).
                    failures++;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested || connectionWaitToken.IsCancellationRequested)
        {
            await _cleaner.WaitWhileConnectedAsync(_cleaner.DeleteProtectedAsync(ParentPath, protection)).ConfigureAwait(false);
            throw;
        }
    }

}
