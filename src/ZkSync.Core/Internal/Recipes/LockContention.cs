namespace ZkSync.Internal.Recipes;

/// <summary>The kind of a lock node, from the token in its name.</summary>
internal enum LockNodeKind
{
    /// <summary><c>_c_&lt;uuid&gt;-lock-&lt;seq&gt;</c>: Curator <c>InterProcessMutex</c> (and go-zookeeper, kafka-kit).</summary>
    Mutex = 0,

    /// <summary><c>_c_&lt;uuid&gt;-__READ__&lt;seq&gt;</c>: the read side of Curator's <c>InterProcessReadWriteLock</c>.</summary>
    Read = 1,

    /// <summary><c>_c_&lt;uuid&gt;-__WRIT__&lt;seq&gt;</c>: the write side of Curator's <c>InterProcessReadWriteLock</c>.</summary>
    Write = 2,

    /// <summary><c>_c_&lt;uuid&gt;-latch-&lt;seq&gt;</c>: a participant of Curator's <c>LeaderLatch</c> (exclusive: the first one leads).</summary>
    Latch = 3,

    /// <summary>
    /// <c>&lt;uuid hex&gt;__lock__&lt;seq&gt;</c>: kazoo's <c>Lock</c> or <c>WriteLock</c> (same layout; kazoo's
    /// <c>Election</c> too). Exclusive. ZkSync never creates it.
    /// </summary>
    KazooLock = 4,

    /// <summary><c>&lt;uuid hex&gt;__rlock__&lt;seq&gt;</c>: kazoo's <c>ReadLock</c>. Shared. ZkSync never creates it.</summary>
    KazooRead = 5,
}

/// <summary>What a contender should do: it holds the lock, or it waits for one node.</summary>
/// <param name="Acquired">True when the contender holds the lock.</param>
/// <param name="WatchIndex">When waiting: the index of the node to watch; else -1.</param>
internal readonly record struct LockDecision(bool Acquired, int WatchIndex);

/// <summary>
/// The rules of fair exclusive and shared locks over a sorted queue (pure functions, no I/O).
/// </summary>
/// <remarks>
/// <para>
/// <b>Exclusive</b> (<c>lock-</c>, <c>__WRIT__</c> and kazoo's <c>__lock__</c> nodes): holds when first in line; otherwise watches its
/// immediate predecessor, whatever its kind (Curator <c>StandardLockInternalsDriver.getsTheLock</c> with one lease), so
/// each release wakes exactly one waiter.
/// </para>
/// <para>
/// <b>Shared</b> (<c>__READ__</c> and kazoo's <c>__rlock__</c> nodes): holds when no exclusive node is ahead of it — readers wait for earlier
/// writers only, so readers never starve writers (Curator <c>InterProcessReadWriteLock.ReadLock</c>). While waiting it
/// watches the <em>nearest</em> exclusive node ahead of it, not the first one as Curator does: writers are granted in
/// order, so the nearest one is normally the last to go and each reader wakes once instead of once per writer. All
/// readers queued behind the same writer wake together, which is inherent: they are granted together.
/// </para>
/// <para>
/// <c>lock-</c> nodes count as exclusive for readers, so ZkSync's own exclusive (mutex-format) and shared holds exclude
/// each other on the same name. Curator's reader ignores <c>lock-</c> nodes: for Curator read-write interop, exclusive
/// holds must use the <c>__WRIT__</c> format.
/// </para>
/// <para>
/// <b>kazoo</b> (python-zk/kazoo <c>kazoo/recipe/lock.py</c>, the same in 2.8.0 to 2.11): <c>Lock</c> and
/// <c>WriteLock</c> create <c>&lt;uuid4 hex&gt;__lock__</c> sequential nodes, <c>ReadLock</c>
/// <c>&lt;uuid4 hex&gt;__rlock__</c>; a contender waits for the lower-sequence nodes whose token is in its
/// <c>_EXCLUDE_NAMES</c> (<c>Lock</c>: <c>__lock__</c>; <c>WriteLock</c>: <c>__lock__</c>, <c>__rlock__</c>;
/// <c>ReadLock</c>: <c>__lock__</c>), ordered by the sequence suffix (before 2.9.0 a <c>ReadLock</c> also waited for
/// <em>later</em> <c>__lock__</c> nodes, python-zk/kazoo#649, a deadlock with any writer queued behind it). ZkSync counts <c>__lock__</c> nodes as exclusive
/// and <c>__rlock__</c> nodes as shared, which is exactly kazoo's <c>WriteLock</c>/<c>ReadLock</c> rule: our exclusive
/// contenders wait for every kazoo node ahead, our shared ones for <c>__lock__</c> nodes only. All children of one
/// parent draw their suffix from the parent's one counter, so ordering by it is the same queue for every client. The
/// direct hand-off (<see cref="LockAttempt.AllowsDirectHandoff"/>) stays exact behind a kazoo predecessor: kazoo gives
/// every node a fresh sequence (nothing like Curator's downgrade, which reuses one), so no node created after our
/// listing sorts ahead of us. kazoo sees our nodes only through its <c>extra_lock_patterns</c> (README, "Mixed fleets").
/// </para>
/// </remarks>
internal static class LockContention
{
    /// <summary>The name tokens, indexed by <see cref="LockNodeKind"/>.</summary>
    public static readonly IReadOnlyList<string> Tokens = ["lock-", "__READ__", "__WRIT__", "latch-", "__lock__", "__rlock__"];

    /// <summary>The token of a node kind.</summary>
    public static string TokenOf(LockNodeKind kind) => Tokens[(int)kind];

    /// <summary>The kind of a sorted node.</summary>
    public static LockNodeKind KindOf(in SequentialNode node) => (LockNodeKind)node.TokenIndex;

    /// <summary>True for the shared kinds (<c>__READ__</c>, kazoo's <c>__rlock__</c>), which only wait for exclusive nodes.</summary>
    public static bool IsShared(LockNodeKind kind) => kind is LockNodeKind.Read or LockNodeKind.KazooRead;

    /// <summary>
    /// True when the node's data may be ZkSync's lock record (<see cref="LockNodeData"/>), and so a lease a contender
    /// may act on. kazoo's data is its identifier, whatever it looks like.
    /// </summary>
    public static bool MayCarryLease(in SequentialNode node) => KindOf(node) is not (LockNodeKind.KazooLock or LockNodeKind.KazooRead);

    /// <summary>Sorts a lock's children (foreign children are left out; see <see cref="SequentialNodeOrdering"/>).</summary>
    public static List<SequentialNode> Sort(IReadOnlyList<string> children) => SequentialNodeOrdering.Sort(children, Tokens);

    /// <summary>
    /// Sorts the contenders of <paramref name="kind"/>'s family: leader latches see only <c>latch-</c> nodes, locks only
    /// lock nodes, so a lock and an election that share a path by mistake do not block each other forever.
    /// </summary>
    public static List<SequentialNode> Sort(IReadOnlyList<string> children, LockNodeKind kind)
    {
        var sorted = Sort(children);
        sorted.RemoveAll(node => (KindOf(node) == LockNodeKind.Latch) != (kind == LockNodeKind.Latch));
        return sorted;
    }

    /// <summary>Decides for the contender at <paramref name="index"/>.</summary>
    /// <param name="sorted">The sorted contenders.</param>
    /// <param name="index">The contender's index.</param>
    /// <returns>The decision.</returns>
    public static LockDecision Evaluate(IReadOnlyList<SequentialNode> sorted, int index)
    {
        if (!IsShared(KindOf(sorted[index])))
        {
            return index == 0 ? new LockDecision(true, -1) : new LockDecision(false, index - 1);
        }

        for (var i = index - 1; i >= 0; i--)
        {
            if (!IsShared(KindOf(sorted[i])))
            {
                return new LockDecision(false, i);
            }
        }

        return new LockDecision(true, -1);
    }

    /// <summary>
    /// True when a contender of <paramref name="kind"/> that joined now (after every node in <paramref name="sorted"/>)
    /// would have to wait: behind any node for an exclusive contender, behind an exclusive node for a shared one.
    /// </summary>
    public static bool WouldWait(IReadOnlyList<SequentialNode> sorted, LockNodeKind kind) =>
        IsShared(kind) ? sorted.Any(node => !IsShared(KindOf(node))) : sorted.Count > 0;

    /// <summary>True when the contender at <paramref name="index"/> holds the lock in this snapshot.</summary>
    public static bool IsHolder(IReadOnlyList<SequentialNode> sorted, int index) => Evaluate(sorted, index).Acquired;
}
