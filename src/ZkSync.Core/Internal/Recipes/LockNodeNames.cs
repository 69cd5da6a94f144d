using ZkSync.Client;

namespace ZkSync.Internal.Recipes;

/// <summary>
/// Apache Curator's node naming: protected names <c>_c_&lt;uuid&gt;-&lt;token&gt;&lt;seq&gt;</c> and its sorting rule
/// (<c>StandardLockInternalsDriver.fixForSorting</c>): the sort key is the text after the last occurrence of the
/// token, or the whole name when the token is absent; keys compare ordinally.
/// </summary>
/// <remarks>
/// Ordinal comparison of the 10-digit suffix matches Curator's <c>String.compareTo</c> exactly, which is what makes
/// a .NET and a Java process agree on who holds a lock. Past 2^31 creations under one lock node ZooKeeper's counter
/// turns negative and string order breaks for every Curator-compatible client; lock nodes are containers, reaped
/// when empty, so a counter only grows while the lock is continuously contended.
/// </remarks>
internal static class LockNodeNames
{
    public const string ProtectedPrefix = "_c_";
    public const string MutexToken = "lock-";
    public const string ReadToken = "__READ__";
    public const string WriteToken = "__WRIT__";
    public const string LatchToken = "latch-";

    /// <summary><c>_c_{uuid}-</c>: how a node of ours is found again after a lost create reply.</summary>
    public static string ProtectedId(Guid id) => ProtectedPrefix + id.ToString("D") + "-";

    public static string SortKey(string child, params ReadOnlySpan<string> tokens)
    {
        var key = child;
        foreach (var token in tokens)
        {
            var index = key.LastIndexOf(token, StringComparison.Ordinal);
            if (index >= 0)
            {
                key = key[(index + token.Length)..];
            }
        }

        return key;
    }

    public static List<string> Sort(IEnumerable<string> children, params string[] tokens)
    {
        var list = children.ToList();
        list.Sort((a, b) =>
        {
            var byKey = string.CompareOrdinal(SortKey(a, tokens), SortKey(b, tokens));
            return byKey != 0 ? byKey : string.CompareOrdinal(a, b);
        });
        return list;
    }

    /// <summary>Maps a lock name (<c>orders/42</c>) under a root; throws <see cref="ArgumentException"/> naming the rule.</summary>
    public static string LockPath(string root, string name, string parameterName = "name")
    {
        if (string.IsNullOrEmpty(name))
        {
            throw new ArgumentException("A lock name must not be empty.", parameterName);
        }

        if (name[0] == '/' || name[^1] == '/')
        {
            throw new ArgumentException($"Invalid lock name '{ZkPath.Printable(name)}': it must not start or end with '/' (names are relative to the lock root, e.g. 'orders/42').", parameterName);
        }

        foreach (var segment in name.Split('/'))
        {
            if (segment.Length == 0)
            {
                throw new ArgumentException($"Invalid lock name '{ZkPath.Printable(name)}': empty segment ('//' is not allowed).", parameterName);
            }

            if (segment is "." or "..")
            {
                throw new ArgumentException($"Invalid lock name '{ZkPath.Printable(name)}': '.' and '..' segments are not allowed.", parameterName);
            }
        }

        var path = root == "/" ? "/" + name : root + "/" + name;
        var error = ZkPath.GetError(path);
        if (error is not null)
        {
            throw new ArgumentException($"Invalid lock name '{ZkPath.Printable(name)}': {error}", parameterName);
        }

        return path;
    }
}
