using System.Globalization;

namespace ZkSync.Internal.Recipes;

/// <summary>One recognised child of a queue's parent: its name, which token it carries and its queue position.</summary>
/// <param name="Name">The child's name.</param>
/// <param name="TokenIndex">Index into the token list the child was parsed with.</param>
/// <param name="Sequence">The sequence suffix as ZooKeeper wrote it (a signed 32-bit number).</param>
/// <param name="Order">The position key: the sequence as an unsigned number, moved past 2^32 after a full wrap.</param>
internal readonly record struct SequentialNode(string Name, int TokenIndex, int Sequence, long Order);

/// <summary>
/// Orders the children of a sequential-node queue (locks, leader latches, semaphore leases) the way Curator does,
/// with two deliberate differences documented below.
/// </summary>
/// <remarks>
/// <para>
/// <b>Key.</b> Curator (<c>StandardLockInternalsDriver.standardFixForSorting</c>) sorts by the text after the
/// <em>last</em> occurrence of the token (<c>lock-</c>, <c>latch-</c>, <c>__READ__</c>/<c>__WRIT__</c>…), comparing
/// strings. We take the text after the last occurrence of any of the given tokens and read it as the sequence suffix
/// ZooKeeper writes (<c>%010d</c> of the parent's signed 32-bit cversion). For every name ZooKeeper can produce below
/// 2^31, numeric order equals Curator's string order, so both sides see the same queue.
/// </para>
/// <para>
/// <b>Foreign children</b> (no token, or a suffix that is not a canonical sequence: a nested lock's container,
/// garbage) are not contenders: they are left out instead of being sorted by their whole name as Curator does. This is
/// safe with Curator peers on the same path: a Curator holder is a recognised node and still blocks us, and Curator
/// never ranks its own nodes after a foreign child that we skip. It avoids CURATOR-43 (sub-nodes of a lock path counted
/// as contenders, which can block a lock forever); recipe names whose components would parse as contenders are
/// rejected for the same reason (<see cref="RecipeNames"/>). Which tokens count is the caller's list: the lock queue's
/// includes kazoo's <c>__lock__</c>/<c>__rlock__</c> (<see cref="LockContention"/>).
/// </para>
/// <para>
/// <b>Sequence overflow.</b> After 2147483647 ZooKeeper continues at -2147483648 (zookeeperProgrammers.md). Curator's
/// string compare then ranks new nodes <em>before</em> older ones (and negative ones in reverse), so a new contender
/// can believe it holds a lock that is held: python-zk/kazoo#606, go-zookeeper/zk#65. We order by the suffix read as
/// an unsigned 32-bit number, so the wrapped suffixes follow the old ones; and if the live children span the full
/// unsigned wrap (some in the top quarter, some in the bottom quarter of the range) the bottom ones are moved past
/// 2^32. This is exact while live nodes are less than 2^30 creates apart. Across an overflow only ZkSync peers agree
/// on the order; Curator peers on the same path are already unsafe there. Container parents reset the counter when
/// they are reaped, which makes overflow rare in practice. Ties (equal sequences, e.g. Curator's lock downgrade,
/// which reuses a sequence) are broken by name.
/// </para>
/// </remarks>
internal static class SequentialNodeOrdering
{
    private const long TopQuarter = 3L << 30;
    private const long BottomQuarter = 1L << 30;
    private const long Wrap = 1L << 32;

    /// <summary>
    /// Parses a child name: the text after the last occurrence of one of <paramref name="tokens"/> must be a sequence
    /// suffix exactly as ZooKeeper formats it.
    /// </summary>
    /// <param name="name">The child name.</param>
    /// <param name="tokens">The tokens to recognise (e.g. <c>lock-</c>, <c>__READ__</c>, <c>__WRIT__</c>).</param>
    /// <param name="tokenIndex">Which token was found.</param>
    /// <param name="sequence">The sequence number.</param>
    /// <returns>False for a foreign child.</returns>
    public static bool TryParse(ReadOnlySpan<char> name, IReadOnlyList<string> tokens, out int tokenIndex, out int sequence)
    {
        tokenIndex = -1;
        sequence = 0;
        var bestStart = -1;
        var bestEnd = -1;
        for (var i = 0; i < tokens.Count; i++)
        {
            var start = name.LastIndexOf(tokens[i].AsSpan(), StringComparison.Ordinal);
            if (start > bestStart)
            {
                bestStart = start;
                bestEnd = start + tokens[i].Length;
                tokenIndex = i;
            }
        }

        if (bestStart < 0 || !TryParseSequence(name[bestEnd..], out sequence))
        {
            tokenIndex = -1;
            return false;
        }

        return true;
    }

    /// <summary>Parses a suffix formatted like Java's <c>String.format("%010d", int)</c>; anything else is rejected.</summary>
    /// <param name="suffix">The suffix.</param>
    /// <param name="sequence">The value.</param>
    /// <returns>True for a canonical suffix.</returns>
    public static bool TryParseSequence(ReadOnlySpan<char> suffix, out int sequence)
    {
        sequence = 0;
        if (suffix.Length is < 10 or > 11)
        {
            return false;
        }

        foreach (var c in suffix[1..])
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        if (suffix[0] != '-' && suffix[0] is < '0' or > '9')
        {
            return false;
        }

        if (!long.TryParse(suffix, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) || value is < int.MinValue or > int.MaxValue)
        {
            return false;
        }

        sequence = (int)value;
        return suffix.SequenceEqual(FormatSequence(sequence));
    }

    /// <summary>Formats a sequence the way ZooKeeper does (<c>%010d</c>: 10 digits, or a sign and at least 9 digits).</summary>
    /// <param name="sequence">The value.</param>
    /// <returns>The suffix.</returns>
    public static string FormatSequence(int sequence) => sequence >= 0
        ? sequence.ToString("D10", CultureInfo.InvariantCulture)
        : "-" + (-(long)sequence).ToString("D9", CultureInfo.InvariantCulture);

    /// <summary>Returns the recognised children in queue order; foreign children are left out.</summary>
    /// <param name="children">The child names, in any order.</param>
    /// <param name="tokens">The tokens to recognise.</param>
    /// <returns>The contenders, first in line first.</returns>
    public static List<SequentialNode> Sort(IReadOnlyList<string> children, IReadOnlyList<string> tokens)
    {
        var result = new List<SequentialNode>(children.Count);
        var hasTop = false;
        var hasBottom = false;
        foreach (var child in children)
        {
            if (TryParse(child, tokens, out var tokenIndex, out var sequence))
            {
                long order = (uint)sequence;
                hasTop |= order >= TopQuarter;
                hasBottom |= order < BottomQuarter;
                result.Add(new SequentialNode(child, tokenIndex, sequence, order));
            }
        }

        if (hasTop && hasBottom)
        {
            for (var i = 0; i < result.Count; i++)
            {
                if (result[i].Order < BottomQuarter)
                {
                    result[i] = result[i] with { Order = result[i].Order + Wrap };
                }
            }
        }

        result.Sort(static (a, b) =>
        {
            var byOrder = a.Order.CompareTo(b.Order);
            return byOrder != 0 ? byOrder : string.CompareOrdinal(a.Name, b.Name);
        });
        return result;
    }

    /// <summary>The index of <paramref name="name"/> in a sorted list, or -1.</summary>
    /// <param name="sorted">The sorted contenders.</param>
    /// <param name="name">A child name.</param>
    /// <returns>The index, or -1.</returns>
    public static int IndexOf(List<SequentialNode> sorted, string name)
    {
        for (var i = 0; i < sorted.Count; i++)
        {
            if (string.Equals(sorted[i].Name, name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}
