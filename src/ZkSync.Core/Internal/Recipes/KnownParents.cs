using System.Collections.Concurrent;

namespace ZkSync.Internal.Recipes;

/// <summary>
/// A hint, per recipe instance, of the queue parents (lock containers) that existed at the last entry: a parent not
/// listed gets its container create pipelined ahead of the node's create, so a first use of a name (<c>orders/{id}</c>
/// with new ids) costs one round trip instead of a failed create, a container create and the create again.
/// </summary>
/// <remarks>
/// Only a hint: a listed parent may have been reaped since (then the create fails with NoNode and the queue creates the
/// parent and tries again), and a parent that is not listed may exist (then the pipelined create fails with NodeExists,
/// which costs the server one request and the caller no wait). Bounded: it starts over when full.
/// </remarks>
internal sealed class KnownParents(int capacity = 4096)
{
    private readonly ConcurrentDictionary<string, byte> _paths = new(StringComparer.Ordinal);

    /// <summary>True when <paramref name="path"/> existed at its last entry.</summary>
    public bool Contains(string path) => _paths.ContainsKey(path);

    /// <summary>Records that <paramref name="path"/> exists.</summary>
    public void Add(string path)
    {
        if (_paths.Count >= capacity)
        {
            _paths.Clear();
        }

        _paths.TryAdd(path, 0);
    }
}
