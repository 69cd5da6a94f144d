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
/// <b>Exclusive</b> (<c>lock-</c> and <c>__WRIT__</c> nodes): holds when first in line; otherwise watches its
/// immediate predecessor, whatever its kind (Curator <c>StandardLockInternalsDriver.getsTheLock</c> with one lease), so
/// each release wakes exactly one waiter.
/// </para>
/// <para>
/// <b>Shared</b> (<c>__READ__</c> nodes): holds when no exclusive node is ahead of it — readers wait for earlier
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
/// </remarks>
internal static class LockContention
{
    /// <summary>The name tokens, indexed by <see cref="LockNodeKind"/>.</summary>
    public static readonly IReadOnlyList<string> Tokens = ["lock-", "__READ__", "__WRIT__", "latch-"];

    /// <summary>The token of a node kind.</summary>
    public static string TokenOf(LockNodeKind kind) => Tokens[(int)kind];

    /// <summary>The kind of a sorted node.</summary>
    public static LockNodeKind KindOf(in SequentialNode node) => (LockNodeKind)node.TokenIndex;

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
        if (KindOf(sorted[index]) != LockNodeKind.Read)
        {
            return index == 0 ? new LockDecision(true, -1) : new LockDecision(false, index - 1);
        }

        for (var i = index - 1; i >= 0; i--)
        {
            if (KindOf(sorted[i]) != LockNodeKind.Read)
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
        kind == LockNodeKind.Read ? sorted.Any(node => KindOf(node) != LockNodeKind.Read) : sorted.Count > 0;

    /// <summary>True when the contender at <paramref name="index"/> holds the lock in this snapshot.</summary>
    public static bool IsHolder(IReadOnlyList<SequentialNode> sorted, int index) => Evaluate(sorted, index).Acquired;
}
