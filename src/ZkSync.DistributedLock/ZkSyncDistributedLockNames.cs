using System.Security.Cryptography;
using System.Text;

namespace ZkSync.DistributedLock;

/// <summary>
/// Maps DistributedLock names, which may be any string, to ZkSync lock and semaphore names, which are relative
/// ZooKeeper paths with rules of their own (no leading '/', no '.' or '..' components, no '_c_' prefix, no control
/// characters, no lock-contender suffix).
/// </summary>
/// <remarks>
/// <para>The rule, applied in this order, always yields a valid single-component name and maps different names to different znodes:</para>
/// <list type="number">
/// <item><description>The name's UTF-8 bytes are kept when they are an ASCII letter, digit, <c>-</c>, <c>_</c> or <c>.</c>,
/// and percent-encoded otherwise (<c>%XX</c>, upper-case hex): <c>orders/42</c> → <c>orders%2F42</c>,
/// <c>déjà vu</c> → <c>d%C3%A9j%C3%A0%20vu</c>. A '/' is encoded too, so every name is one znode under the root.</description></item>
/// <item><description>A leading <c>.</c> or <c>_</c> is encoded (<c>..</c> → <c>%2E.</c>, <c>_c_x</c> → <c>%5Fc_x</c>).</description></item>
/// <item><description>The empty name becomes <c>%</c> (a lone '%' is never produced otherwise).</description></item>
/// <item><description>When the result is longer than <see cref="MaxLength"/> characters, it keeps its first 100 characters and
/// gets <c>~</c> and the first 32 hex digits of the SHA-256 of the name's UTF-8 bytes (<c>~</c> is otherwise always encoded).</description></item>
/// <item><description>When the result ends in nine or more digits, its last digit is encoded (<c>batch-0000000042</c> →
/// <c>batch-000000004%32</c>): a ZooKeeper sequence suffix would make the node look like a lock contender.</description></item>
/// </list>
/// <para>Letters keep their case, so names that differ only in case are different locks, as in DistributedLock.</para>
/// </remarks>
public static class ZkSyncDistributedLockNames
{
    /// <summary>The longest name kept whole; longer names are shortened with a hash.</summary>
    public const int MaxLength = 200;

    private const int KeptPrefixLength = 100;

    /// <summary>The ZkSync lock or semaphore name for a DistributedLock name.</summary>
    /// <param name="name">Any string.</param>
    /// <returns>A valid ZkSync name: one path component, at most <see cref="MaxLength"/> characters.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    public static string ToZkSyncName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0)
        {
            return "%";
        }

        var bytes = Encoding.UTF8.GetBytes(name);
        var builder = new StringBuilder(bytes.Length);
        for (var i = 0; i < bytes.Length; i++)
        {
            var b = bytes[i];
            var kept = char.IsAsciiLetterOrDigit((char)b) || b is (byte)'-' || (b is (byte)'_' or (byte)'.' && i > 0);
            if (kept)
            {
                builder.Append((char)b);
            }
            else
            {
                AppendEncoded(builder, b);
            }
        }

        if (builder.Length > MaxLength)
        {
            // Cut before an escape that would be split, then add the hash of the whole name.
            var cut = KeptPrefixLength;
            for (var i = cut - 2; i < cut; i++)
            {
                if (builder[i] == '%')
                {
                    cut = i;
                }
            }

            builder.Length = cut;
            builder.Append('~').Append(Convert.ToHexStringLower(SHA256.HashData(bytes), 0, 16));
        }

        var digits = 0;
        while (digits < builder.Length && char.IsAsciiDigit(builder[^(digits + 1)]))
        {
            digits++;
        }

        if (digits >= 9)
        {
            var last = (byte)builder[^1];
            builder.Length--;
            AppendEncoded(builder, last);
        }

        return builder.ToString();
    }

    private static void AppendEncoded(StringBuilder builder, byte b) =>
        builder.Append('%').Append(Convert.ToHexString([b]));
}
