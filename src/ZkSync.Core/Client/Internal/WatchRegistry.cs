namespace ZkSync.Client.Internal;

internal enum WatchKind
{
    Data,
    Exist,
    Child,
    Persistent,
    PersistentRecursive,
}

/// <summary>
/// The client-side watch tables (ZooKeeper's <c>ZKWatchManager</c>): one-shot data/exist/child watches and persistent
/// (recursive) ones, keyed by client-visible path. Thread-safe; no I/O under its lock.
/// </summary>
internal sealed class WatchRegistry
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, HashSet<Action<ZooKeeperWatchEvent>>>[] _tables =
    [
        new(StringComparer.Ordinal), new(StringComparer.Ordinal), new(StringComparer.Ordinal),
        new(StringComparer.Ordinal), new(StringComparer.Ordinal),
    ];

    public void Add(WatchKind kind, string path, Action<ZooKeeperWatchEvent> watcher)
    {
        lock (_gate)
        {
            var table = _tables[(int)kind];
            if (!table.TryGetValue(path, out var set))
            {
                set = [];
                table[path] = set;
            }

            set.Add(watcher);
        }
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                var count = 0;
                foreach (var table in _tables)
                {
                    foreach (var set in table.Values)
                    {
                        count += set.Count;
                    }
                }

                return count;
            }
        }
    }

    /// <summary>Collects (and for one-shot watches removes) the watchers a server event triggers.</summary>
    public List<Action<ZooKeeperWatchEvent>> Materialize(ZooKeeperEventType type, string path)
    {
        var result = new List<Action<ZooKeeperWatchEvent>>();
        HashSet<Action<ZooKeeperWatchEvent>>? seen = null;
        lock (_gate)
        {
            switch (type)
            {
                case ZooKeeperEventType.NodeCreated or ZooKeeperEventType.NodeDataChanged:
                    Take(WatchKind.Data, path, result, ref seen);
                    Take(WatchKind.Exist, path, result, ref seen);
                    break;
                case ZooKeeperEventType.NodeChildrenChanged:
                    Take(WatchKind.Child, path, result, ref seen);
                    break;
                case ZooKeeperEventType.NodeDeleted:
                    Take(WatchKind.Data, path, result, ref seen);
                    Take(WatchKind.Exist, path, result, ref seen);
                    Take(WatchKind.Child, path, result, ref seen);
                    break;
            }

            if (_tables[(int)WatchKind.Persistent].TryGetValue(path, out var persistent))
            {
                AddDistinct(persistent, result, ref seen);
            }

            // Persistent recursive watches never see NodeChildrenChanged (WatchManager.triggerWatch).
            var recursive = _tables[(int)WatchKind.PersistentRecursive];
            if (type != ZooKeeperEventType.NodeChildrenChanged && recursive.Count > 0)
            {
                string? current = path;
                while (current is not null)
                {
                    if (recursive.TryGetValue(current, out var set))
                    {
                        AddDistinct(set, result, ref seen);
                    }

                    current = ZkPath.GetParent(current);
                }
            }
        }

        return result;
    }

    private void Take(WatchKind kind, string path, List<Action<ZooKeeperWatchEvent>> result, ref HashSet<Action<ZooKeeperWatchEvent>>? seen)
    {
        if (_tables[(int)kind].Remove(path, out var set))
        {
            AddDistinct(set, result, ref seen);
        }
    }

    private static void AddDistinct(HashSet<Action<ZooKeeperWatchEvent>> set, List<Action<ZooKeeperWatchEvent>> result, ref HashSet<Action<ZooKeeperWatchEvent>>? seen)
    {
        if (result.Count == 0 && seen is null)
        {
            result.AddRange(set);
            return;
        }

        seen ??= [.. result];
        foreach (var watcher in set)
        {
            if (seen.Add(watcher))
            {
                result.Add(watcher);
            }
        }
    }

    /// <summary>Removes one watcher from the one-shot tables of <paramref name="path"/> (the path goes when none is left).</summary>
    public void Forget(string path, Action<ZooKeeperWatchEvent> watcher)
    {
        lock (_gate)
        {
            foreach (var kind in (ReadOnlySpan<WatchKind>)[WatchKind.Data, WatchKind.Exist, WatchKind.Child])
            {
                var table = _tables[(int)kind];
                if (table.TryGetValue(path, out var set) && set.Remove(watcher) && set.Count == 0)
                {
                    table.Remove(path);
                }
            }
        }
    }

    /// <summary>Removes local watches of <paramref name="type"/> on <paramref name="path"/>.</summary>
    public void Remove(string path, ZooKeeperWatcherType type)
    {
        lock (_gate)
        {
            if (type is ZooKeeperWatcherType.Children or ZooKeeperWatcherType.Any)
            {
                _tables[(int)WatchKind.Child].Remove(path);
            }

            if (type is ZooKeeperWatcherType.Data or ZooKeeperWatcherType.Any)
            {
                _tables[(int)WatchKind.Data].Remove(path);
                _tables[(int)WatchKind.Exist].Remove(path);
            }

            if (type is ZooKeeperWatcherType.Any)
            {
                _tables[(int)WatchKind.Persistent].Remove(path);
                _tables[(int)WatchKind.PersistentRecursive].Remove(path);
            }
        }
    }

    /// <summary>The paths to re-register after a reconnect, per kind.</summary>
    public WatchSnapshot Snapshot()
    {
        lock (_gate)
        {
            return new WatchSnapshot(
                [.. _tables[(int)WatchKind.Data].Keys],
                [.. _tables[(int)WatchKind.Exist].Keys],
                [.. _tables[(int)WatchKind.Child].Keys],
                [.. _tables[(int)WatchKind.Persistent].Keys],
                [.. _tables[(int)WatchKind.PersistentRecursive].Keys]);
        }
    }

    /// <summary>Removes every watch (session ended) and returns the distinct watchers with a path each.</summary>
    public List<(Action<ZooKeeperWatchEvent> Watcher, string Path)> Clear()
    {
        var result = new List<(Action<ZooKeeperWatchEvent>, string)>();
        var seen = new HashSet<Action<ZooKeeperWatchEvent>>();
        lock (_gate)
        {
            foreach (var table in _tables)
            {
                foreach (var (path, set) in table)
                {
                    foreach (var watcher in set)
                    {
                        if (seen.Add(watcher))
                        {
                            result.Add((watcher, path));
                        }
                    }
                }

                table.Clear();
            }
        }

        return result;
    }
}

internal sealed record WatchSnapshot(
    List<string> Data, List<string> Exist, List<string> Child, List<string> Persistent, List<string> PersistentRecursive)
{
    public bool IsEmpty => Data.Count == 0 && Exist.Count == 0 && Child.Count == 0 && Persistent.Count == 0 && PersistentRecursive.Count == 0;

    public bool HasPersistent => Persistent.Count > 0 || PersistentRecursive.Count > 0;
}
