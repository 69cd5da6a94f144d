using System.Collections.Concurrent;

namespace ZkSync.Internal.Recipes;

/// <summary>
/// A bounded set of znode paths that a recipe remembers something about, to save round trips: only a hint, so every
/// use must stay correct when it is stale. Starts over when full.
/// </summary>
/// <remarks>
/// <see cref="LockAcquisition"/> keeps two: the lock parents that existed at their last entry (a parent not listed gets
/// its container create pipelined ahead of the node's create, so a first use of a name costs one round trip instead of a
/// failed create, a container create and the create again), and the locks a zero-timeout try found held (the next try
/// looks before it creates a node, see <see cref="LockAcquisition"/>).
/// </remarks>
internal sealed class PathHints(int capacity = 4096)
{
    private readonly ConcurrentDictionary<string, byte> _paths = new(StringComparer.Ordinal);

    /// <summary>How many paths are listed now (never more than the capacity).</summary>
    public int Count => _paths.Count;

    /// <summary>True when <paramref name="path"/> is listed.</summary>
    public bool Contains(string path) => _paths.ContainsKey(path);

    /// <summary>Lists <paramref name="path"/>.</summary>
    public void Add(string path)
    {
        if (_paths.Count >= capacity)
        {
            _paths.Clear();
        }

        _paths.TryAdd(path, 0);
    }

    /// <summary>Forgets <paramref name="path"/>.</summary>
    public void Remove(string path) => _paths.TryRemove(path, out _);
}
