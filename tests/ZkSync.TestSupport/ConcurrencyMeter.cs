namespace ZkSync.TestSupport;

/// <summary>Counts how many callers are inside a section at once and remembers the most seen (overlap detection).</summary>
public static class ConcurrencyMeter
{
    /// <summary>Raises <paramref name="target"/> to <paramref name="value"/> if it is lower, atomically.</summary>
    /// <param name="target">The running maximum.</param>
    /// <param name="value">A new observation.</param>
    public static void RaiseTo(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
