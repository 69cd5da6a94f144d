using System.Text;
using ZkSync.Client;
using ZkSync.Internal.Recipes;
using ZkSync.Leadership;

namespace ZkSync.Inspection;

/// <summary>
/// Reads the coordination state that ZkSync, Curator and kazoo leave in ZooKeeper: locks with their holders and queues,
/// elections with their leader and participants, barriers and semaphores. Read-only: it never creates, changes or
/// deletes a node, and sets no watch.
/// </summary>
/// <remarks>
/// <para>
/// <b>Cost.</b> A listing walks the tree under a root depth-first in name order: one getChildren per node, then one
/// getData per queue node it reports (at most <see cref="ZooKeeperInspectionQuery.MaxQueueNodes"/> per queue). At most
/// <see cref="ZooKeeperInspectorOptions.MaxConcurrency"/> requests are in flight, and a page stops at
/// <see cref="ZooKeeperInspectionQuery.PageSize"/> items or <see cref="ZooKeeperInspectionQuery.NodeBudget"/> reads,
/// whichever comes first, returning where to continue. A root with 100,000 lock names is read a page at a time.
/// </para>
/// <para>
/// <b>Recognised nodes.</b> Queue nodes are parsed by the recipes' own rules (the text after the last
/// <c>lock-</c>, <c>__READ__</c>, <c>__WRIT__</c>, <c>latch-</c>, kazoo's <c>__lock__</c>/<c>__rlock__</c> or
/// <c>lease-</c> token must be a ZooKeeper sequence suffix). Any other child is a name and is walked into. A Curator
/// <c>LeaderSelector</c> or kazoo <c>Election</c> is a lock on the wire and is listed as one.
/// </para>
/// <para>
/// A listing is not a snapshot: nodes come and go while it reads; a node deleted between the listing and the read is
/// left out.
/// </para>
/// </remarks>
public sealed class ZooKeeperInspector
{
    private static readonly string[] LeaseTokens = ["lease-"];
    private static readonly IReadOnlyDictionary<string, string> NoMetadata = new Dictionary<string, string>(StringComparer.Ordinal);

    private readonly ZooKeeperClient _client;
    private readonly int _maxConcurrency;
    private readonly TimeProvider _timeProvider;

    /// <summary>Creates an inspector on <paramref name="client"/> (not disposed by the inspector).</summary>
    /// <param name="client">The client.</param>
    /// <param name="options">The options; null for defaults.</param>
    /// <param name="timeProvider">The clock for <see cref="ZooKeeperQueueNode.Age"/>; null for the system clock.</param>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="ZooKeeperInspectorOptions.MaxConcurrency"/> is out of range.</exception>
    public ZooKeeperInspector(ZooKeeperClient client, ZooKeeperInspectorOptions? options = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        options ??= new ZooKeeperInspectorOptions();
        if (options.MaxConcurrency is < 1 or > 64)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxConcurrency, "MaxConcurrency must be between 1 and 64.");
        }

        _client = client;
        _maxConcurrency = options.MaxConcurrency;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Lists the locks under <paramref name="rootPath"/>, each with its queue, holders first.</summary>
    /// <param name="rootPath">The locks' root, e.g. <c>/zksync/locks</c> (<see cref="Locks.ZooKeeperLockOptions.RootPath"/>).</param>
    /// <param name="query">Prefix, paging and budget; null for the first page of everything.</param>
    /// <param name="cancellationToken">Abandons the listing.</param>
    /// <returns>One page, in name order.</returns>
    /// <exception cref="ArgumentException">The root, prefix or cursor is not a valid path or name.</exception>
    /// <exception cref="ZooKeeperException">A read failed (e.g. no connection within the request timeout, NoAuth).</exception>
    public Task<ZooKeeperInspectionPage<ZooKeeperLockInfo>> GetLocksAsync(string rootPath, ZooKeeperInspectionQuery? query = null, CancellationToken cancellationToken = default) =>
        ListAsync(rootPath, query, election: false,
            (name, path, queue, length) => new ZooKeeperLockInfo(name, path, queue, length), cancellationToken);

    /// <summary>Lists the elections under <paramref name="rootPath"/>, each with its participants, the leader first.</summary>
    /// <param name="rootPath">The elections' root, e.g. <c>/zksync/leaders</c> (<see cref="ZooKeeperLeaderElectionOptions.RootPath"/>).</param>
    /// <param name="query">Prefix, paging and budget; null for the first page of everything.</param>
    /// <param name="cancellationToken">Abandons the listing.</param>
    /// <returns>One page, in name order.</returns>
    /// <exception cref="ArgumentException">The root, prefix or cursor is not a valid path or name.</exception>
    /// <exception cref="ZooKeeperException">A read failed.</exception>
    public Task<ZooKeeperInspectionPage<ZooKeeperElectionInfo>> GetElectionsAsync(string rootPath, ZooKeeperInspectionQuery? query = null, CancellationToken cancellationToken = default) =>
        ListAsync(rootPath, query, election: true,
            (name, path, queue, _) => new ZooKeeperElectionInfo(name, path, queue), cancellationToken);

    /// <summary>Reads one lock: its queue, holders first; null when the lock has no contenders (or no node).</summary>
    /// <param name="lockPath">The lock's znode, e.g. <c>/zksync/locks/orders/42</c>.</param>
    /// <param name="maxQueueNodes">The most queue nodes to read with their data (1 to 10,000).</param>
    /// <param name="cancellationToken">Abandons the read.</param>
    /// <returns>The lock, or null.</returns>
    public async Task<ZooKeeperLockInfo?> GetLockAsync(string lockPath, int maxQueueNodes = 50, CancellationToken cancellationToken = default)
    {
        var (path, queue, length) = await ReadQueueAsync(lockPath, election: false, maxQueueNodes, cancellationToken).ConfigureAwait(false);
        return length == 0 ? null : new ZooKeeperLockInfo(ZkPath.GetName(path), path, queue, length);
    }

    /// <summary>Reads one election: its participants, the leader first; null when nobody stands.</summary>
    /// <param name="electionPath">The election's znode, e.g. <c>/zksync/leaders/jobs/nightly</c>.</param>
    /// <param name="cancellationToken">Abandons the read.</param>
    /// <returns>The election, or null.</returns>
    public async Task<ZooKeeperElectionInfo?> GetElectionAsync(string electionPath, CancellationToken cancellationToken = default)
    {
        var (path, queue, length) = await ReadQueueAsync(electionPath, election: true, 10_000, cancellationToken).ConfigureAwait(false);
        return length == 0 ? null : new ZooKeeperElectionInfo(ZkPath.GetName(path), path, queue);
    }

    /// <summary>Reads a barrier: whether it is set, since when, and what its setter wrote.</summary>
    /// <param name="path">The barrier's znode, e.g. <c>/deploy/migrations</c>.</param>
    /// <param name="cancellationToken">Abandons the read.</param>
    /// <returns>The barrier's state.</returns>
    public async Task<ZooKeeperBarrierInfo> GetBarrierAsync(string path, CancellationToken cancellationToken = default)
    {
        ZkPath.Validate(path);
        try
        {
            var node = await _client.GetDataAsync(path, cancellationToken: cancellationToken).ConfigureAwait(false);
            var text = node.Data.Length == 0 ? null : DecodeText(node.Data);
            return new ZooKeeperBarrierInfo(path, true, DateTimeOffset.FromUnixTimeMilliseconds(node.Stat.Ctime), text,
                node.Stat.EphemeralOwner, node.Stat.NumChildren);
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
        {
            return new ZooKeeperBarrierInfo(path, false, null, null, 0, 0);
        }
    }

    /// <summary>Reads a semaphore (<c>leases/</c> and <c>locks/</c> under its znode); null when it has no node.</summary>
    /// <param name="path">The semaphore's znode (<c>ZooKeeperSemaphore.Path</c>).</param>
    /// <param name="cancellationToken">Abandons the read.</param>
    /// <returns>The semaphore, or null.</returns>
    public async Task<ZooKeeperSemaphoreInfo?> GetSemaphoreAsync(string path, CancellationToken cancellationToken = default)
    {
        ZkPath.Validate(path);
        if (await _client.ExistsAsync(path, cancellationToken: cancellationToken).ConfigureAwait(false) is null)
        {
            return null;
        }

        var budget = new Budget(int.MaxValue);
        var leasesPath = ZkPath.Combine(path, "leases");
        var locksPath = ZkPath.Combine(path, "locks");
        var leaseChildren = await TryGetChildrenAsync(leasesPath, budget, cancellationToken).ConfigureAwait(false) ?? [];
        var lockChildren = await TryGetChildrenAsync(locksPath, budget, cancellationToken).ConfigureAwait(false) ?? [];
        var leases = SequentialNodeOrdering.Sort(leaseChildren, LeaseTokens);
        var acquirers = SortQueue(lockChildren, election: false);
        var leaseNodes = await ReadNodesAsync(leasesPath, leases, leases.Count, _ => true, _ => ZooKeeperQueueNodeKind.Lease, budget, cancellationToken).ConfigureAwait(false);
        var acquirerNodes = await ReadNodesAsync(locksPath, acquirers, acquirers.Count, IsHolder(acquirers), KindOf, budget, cancellationToken).ConfigureAwait(false);
        return new ZooKeeperSemaphoreInfo(path, leaseNodes, acquirerNodes);
    }

    private async Task<ZooKeeperInspectionPage<T>> ListAsync<T>(string rootPath, ZooKeeperInspectionQuery? query, bool election,
        Func<string, string, IReadOnlyList<ZooKeeperQueueNode>, int, T> create, CancellationToken cancellationToken)
    {
        var root = RecipeNames.ValidateRoot(rootPath, nameof(rootPath));
        query ??= new ZooKeeperInspectionQuery();
        query.Validate();
        var prefix = string.IsNullOrEmpty(query.Prefix) ? null : query.Prefix.Trim('/');
        var start = root;
        string? namePrefix = null;
        if (!string.IsNullOrEmpty(prefix))
        {
            start = RecipeNames.GetPath(root, prefix, nameof(query.Prefix));
        }

        if (query.After is { } after)
        {
            ZkPath.Validate(after, parameterName: nameof(query.After));
        }

        var walk = new Walk<T>(root, query, election, create);
        var children = await TryGetChildrenAsync(start, walk.Budget, cancellationToken).ConfigureAwait(false);
        if (children is null && prefix is not null && start != root)
        {
            // No node by that name: its last component filters its siblings ("orders/4" lists orders/4…).
            namePrefix = ZkPath.GetName(start);
            start = ZkPath.GetParent(start)!;
            children = await TryGetChildrenAsync(start, walk.Budget, cancellationToken).ConfigureAwait(false);
            if (children is not null)
            {
                await VisitChildrenAsync(walk, start, [.. children.Where(child => child.StartsWith(namePrefix, StringComparison.Ordinal))], cancellationToken).ConfigureAwait(false);
            }
        }
        else if (children is not null)
        {
            await VisitAsync(walk, start, children, cancellationToken).ConfigureAwait(false);
        }

        return new ZooKeeperInspectionPage<T>(walk.Items, walk.ContinueAfter, walk.Budget.Used);
    }

    /// <summary>Handles a node whose children have been listed: reports its queue, then walks into its other children.</summary>
    private async Task VisitAsync<T>(Walk<T> walk, string path, IReadOnlyList<string> children, CancellationToken cancellationToken)
    {
        var recognised = LockContention.Sort(children);
        var sorted = SortQueue(recognised, walk.Election);
        if (sorted.Count > 0 && ComparePaths(path, walk.After) > 0)
        {
            var count = Math.Min(sorted.Count, walk.Query.MaxQueueNodes);
            if (!walk.MayRead(count))
            {
                walk.Stop();
                return;
            }

            var nodes = await ReadNodesAsync(path, sorted, count, IsHolder(sorted), KindOf, walk.Budget, cancellationToken).ConfigureAwait(false);
            if (nodes.Count > 0)
            {
                walk.Items.Add(walk.Create(NameOf(walk.Root, path), path, nodes, sorted.Count));
            }
        }

        walk.Visited(path);
        if (walk.Items.Count >= walk.Query.PageSize)
        {
            walk.Stop();
            return;
        }

        // Queue nodes (of any recipe) are ephemeral and never parents of names: only the other children are walked into.
        var queued = new HashSet<string>(recognised.Select(node => node.Name), StringComparer.Ordinal);
        await VisitChildrenAsync(walk, path, [.. children.Where(child => !queued.Contains(child))], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Walks into <paramref name="names"/> (children of <paramref name="parent"/>) in name order, listing a few at a time.</summary>
    private async Task VisitChildrenAsync<T>(Walk<T> walk, string parent, List<string> names, CancellationToken cancellationToken)
    {
        names.Sort(StringComparer.Ordinal);
        var paths = names.Select(name => ZkPath.Combine(parent, name))
            .Where(path => walk.After is null || ComparePaths(path, walk.After) >= 0 || IsAncestor(path, walk.After))
            .ToList();
        for (var i = 0; i < paths.Count && !walk.Stopped; i += _maxConcurrency)
        {
            var batch = paths.GetRange(i, Math.Min(_maxConcurrency, paths.Count - i));
            if (!walk.MayRead(1))
            {
                walk.Stop();
                return;
            }

            if (!walk.MayRead(batch.Count))
            {
                batch = batch.GetRange(0, Math.Max(1, walk.Budget.Remaining));
            }

            var listings = await Task.WhenAll(batch.Select(path => TryGetChildrenAsync(path, walk.Budget, cancellationToken))).ConfigureAwait(false);
            for (var j = 0; j < batch.Count && !walk.Stopped; j++)
            {
                if (listings[j] is { } children)
                {
                    await VisitAsync(walk, batch[j], children, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    walk.Visited(batch[j]);
                }
            }

            if (batch.Count < Math.Min(_maxConcurrency, paths.Count - i) && !walk.Stopped)
            {
                walk.Stop();
            }
        }
    }

    private async Task<(string Path, IReadOnlyList<ZooKeeperQueueNode> Queue, int Length)> ReadQueueAsync(string path, bool election, int maxQueueNodes,
        CancellationToken cancellationToken)
    {
        ZkPath.Validate(path);
        if (maxQueueNodes is < 1 or > 10_000)
        {
            throw new ArgumentOutOfRangeException(nameof(maxQueueNodes), maxQueueNodes, "maxQueueNodes must be between 1 and 10000.");
        }

        var budget = new Budget(int.MaxValue);
        var children = await TryGetChildrenAsync(path, budget, cancellationToken).ConfigureAwait(false) ?? [];
        var sorted = SortQueue(children, election);
        var nodes = await ReadNodesAsync(path, sorted, Math.Min(sorted.Count, maxQueueNodes), IsHolder(sorted), KindOf, budget, cancellationToken).ConfigureAwait(false);
        return (path, nodes, nodes.Count == 0 ? 0 : sorted.Count);
    }

    /// <summary>The queue's contenders in line order: leader latches for an election, lock nodes (ZkSync, Curator, kazoo) otherwise.</summary>
    private static List<SequentialNode> SortQueue(IReadOnlyList<string> children, bool election) =>
        SortQueue(LockContention.Sort(children), election);

    private static List<SequentialNode> SortQueue(List<SequentialNode> recognised, bool election) =>
        recognised.FindAll(node => (LockContention.KindOf(node) == LockNodeKind.Latch) == election);

    /// <summary>Who holds, by the lock recipe's own rules (the same ones a ZkSync contender applies, kazoo's nodes included).</summary>
    private static Func<int, bool> IsHolder(List<SequentialNode> sorted) => index => LockContention.IsHolder(sorted, index);

    private static ZooKeeperQueueNodeKind KindOf(SequentialNode node) => LockContention.KindOf(node) switch
    {
        LockNodeKind.Read => ZooKeeperQueueNodeKind.ReadLock,
        LockNodeKind.Write => ZooKeeperQueueNodeKind.WriteLock,
        LockNodeKind.Latch => ZooKeeperQueueNodeKind.LeaderLatch,
        LockNodeKind.KazooLock => ZooKeeperQueueNodeKind.KazooLock,
        LockNodeKind.KazooRead => ZooKeeperQueueNodeKind.KazooReadLock,
        _ => ZooKeeperQueueNodeKind.Lock,
    };

    /// <summary>Reads the first <paramref name="count"/> queue nodes (data and stat), at most MaxConcurrency at a time; vanished nodes are left out.</summary>
    private async Task<IReadOnlyList<ZooKeeperQueueNode>> ReadNodesAsync(string parent, List<SequentialNode> sorted, int count, Func<int, bool> isHolder,
        Func<SequentialNode, ZooKeeperQueueNodeKind> kindOf, Budget budget, CancellationToken cancellationToken)
    {
        var results = new ZooKeeperNodeData?[count];
        for (var start = 0; start < count; start += _maxConcurrency)
        {
            var end = Math.Min(count, start + _maxConcurrency);
            var reads = new Task<ZooKeeperNodeData?>[end - start];
            for (var i = start; i < end; i++)
            {
                reads[i - start] = TryGetDataAsync(ZkPath.Combine(parent, sorted[i].Name), budget, cancellationToken);
            }

            var done = await Task.WhenAll(reads).ConfigureAwait(false);
            done.CopyTo(results, start);
        }

        var now = _timeProvider.GetUtcNow();
        var nodes = new List<ZooKeeperQueueNode>(count);
        for (var i = 0; i < count; i++)
        {
            if (results[i] is not { } data)
            {
                continue;
            }

            var kind = kindOf(sorted[i]);
            var created = DateTimeOffset.FromUnixTimeMilliseconds(data.Stat.Ctime);
            var age = now - created;
            var (owner, metadata, text, ttl) = Describe(kind, data.Data);
            nodes.Add(new ZooKeeperQueueNode(sorted[i].Name, ZkPath.Combine(parent, sorted[i].Name), kind, nodes.Count, isHolder(i),
                data.Stat.EphemeralOwner, created, age < TimeSpan.Zero ? TimeSpan.Zero : age, data.Stat.Czxid, owner, metadata, text, ttl));
        }

        return nodes;
    }

    /// <summary>What a queue node's data says: ZkSync's lock record or participant document, else the text (Curator's IP, kazoo's identifier).</summary>
    private static (string? Owner, IReadOnlyDictionary<string, string> Metadata, string? Text, TimeSpan? Ttl) Describe(ZooKeeperQueueNodeKind kind, byte[] data)
    {
        if (data.Length == 0)
        {
            return (null, NoMetadata, null, null);
        }

        if (kind == ZooKeeperQueueNodeKind.LeaderLatch)
        {
            var (id, published) = ZooKeeperLeaderElection.Decode(data);
            return (id, published, null, null);
        }

        if (kind is ZooKeeperQueueNodeKind.KazooLock or ZooKeeperQueueNodeKind.KazooReadLock)
        {
            // kazoo writes its identifier (UTF-8) as the data.
            return (DecodeText(data), NoMetadata, null, null);
        }

        if (LockNodeData.TryDecode(data, out var owner, out _, out var ttlMs, out var metadata))
        {
            return (owner, metadata ?? NoMetadata, null, ttlMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null);
        }

        return (null, NoMetadata, DecodeText(data), null);
    }

    private static string DecodeText(byte[] data)
    {
        var text = Encoding.UTF8.GetString(data);
        return text.Any(char.IsControl) ? Convert.ToHexString(data) : text;
    }

    private async Task<IReadOnlyList<string>?> TryGetChildrenAsync(string path, Budget budget, CancellationToken cancellationToken)
    {
        budget.Spend();
        try
        {
            return await _client.GetChildrenAsync(path, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
        {
            return null;
        }
    }

    private async Task<ZooKeeperNodeData?> TryGetDataAsync(string path, Budget budget, CancellationToken cancellationToken)
    {
        budget.Spend();
        try
        {
            return await _client.GetDataAsync(path, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
        {
            return null;
        }
    }

    private static string NameOf(string root, string path) =>
        path == root ? ZkPath.GetName(path) : root == "/" ? path[1..] : path[(root.Length + 1)..];

    private static bool IsAncestor(string path, string descendant) =>
        descendant.Length > path.Length && descendant.StartsWith(path, StringComparison.Ordinal) && (path == "/" || descendant[path.Length] == '/');

    /// <summary>Compares two paths in walk order (component by component, a parent before its children); null sorts first.</summary>
    internal static int ComparePaths(string path, string? other)
    {
        if (other is null)
        {
            return 1;
        }

        var a = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var b = other.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < Math.Min(a.Length, b.Length); i++)
        {
            var byName = string.CompareOrdinal(a[i], b[i]);
            if (byName != 0)
            {
                return byName;
            }
        }

        return a.Length.CompareTo(b.Length);
    }

    /// <summary>Counts the reads of one listing.</summary>
    private sealed class Budget(int limit)
    {
        private int _used;

        public int Used => Volatile.Read(ref _used);

        public int Remaining => Math.Max(0, limit - Used);

        public bool CanSpend(int reads) => Remaining >= reads;

        public void Spend() => Interlocked.Increment(ref _used);
    }

    /// <summary>The state of one listing.</summary>
    private sealed class Walk<T>(string root, ZooKeeperInspectionQuery query, bool election, Func<string, string, IReadOnlyList<ZooKeeperQueueNode>, int, T> create)
    {
        private string? _lastVisited;

        public string Root { get; } = root;

        public ZooKeeperInspectionQuery Query { get; } = query;

        public bool Election { get; } = election;

        public Func<string, string, IReadOnlyList<ZooKeeperQueueNode>, int, T> Create { get; } = create;

        public string? After { get; } = query.After;

        public Budget Budget { get; } = new(query.NodeBudget);

        public List<T> Items { get; } = [];

        public bool Stopped { get; private set; }

        public string? ContinueAfter { get; private set; }

        /// <summary>True once a node after the cursor was visited: from then on the budget binds (before, the page must progress).</summary>
        public bool Progressed { get; private set; }

        public void Visited(string path)
        {
            _lastVisited = path;
            Progressed |= ComparePaths(path, After) > 0;
        }

        public bool MayRead(int reads) => !Progressed || Budget.CanSpend(reads);

        public void Stop()
        {
            if (!Stopped)
            {
                Stopped = true;
                ContinueAfter = _lastVisited ?? After;
            }
        }
    }
}
