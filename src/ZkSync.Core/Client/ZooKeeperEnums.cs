namespace ZkSync.Client;

/// <summary>How a node is created.</summary>
public enum CreateMode
{
    /// <summary>A persistent node.</summary>
    Persistent = 0,
    /// <summary>An ephemeral node, deleted when the creating session ends.</summary>
    Ephemeral = 1,
    /// <summary>A persistent node whose name gets a 10-digit sequence suffix from the parent's counter.</summary>
    PersistentSequential = 2,
    /// <summary>An ephemeral node with a sequence suffix.</summary>
    EphemeralSequential = 3,
    /// <summary>A container node: the server deletes it some time after its last child is deleted (ZooKeeper 3.5+).</summary>
    Container = 4,
    /// <summary>A persistent node deleted by the server when it has had no children and no change for its TTL (needs <c>extendedTypesEnabled</c>).</summary>
    PersistentWithTtl = 5,
    /// <summary>A sequential persistent node with a TTL.</summary>
    PersistentSequentialWithTtl = 6,
}

/// <summary>The kind of persistent watch added by <see cref="ZooKeeperClient.AddWatchAsync"/>.</summary>
public enum AddWatchMode
{
    /// <summary>Every event on the path; stays registered until removed.</summary>
    Persistent = 0,
    /// <summary>Every event on the path and its descendants, except NodeChildrenChanged; stays registered.</summary>
    PersistentRecursive = 1,
}

/// <summary>Which watches <see cref="ZooKeeperClient.RemoveWatchesAsync"/> removes.</summary>
public enum ZooKeeperWatcherType
{
    /// <summary>Child watches.</summary>
    Children = 1,
    /// <summary>Data and exist watches.</summary>
    Data = 2,
    /// <summary>All watches, including persistent ones.</summary>
    Any = 3,
}

/// <summary>The type of a watch event.</summary>
public enum ZooKeeperEventType
{
    /// <summary>Not a node event: the watch ended because the session ended (see <see cref="ZooKeeperWatchEvent.SessionState"/>).</summary>
    None = -1,
    /// <summary>The node was created.</summary>
    NodeCreated = 1,
    /// <summary>The node was deleted.</summary>
    NodeDeleted = 2,
    /// <summary>The node's data changed.</summary>
    NodeDataChanged = 3,
    /// <summary>The node's children changed.</summary>
    NodeChildrenChanged = 4,
}

/// <summary>
/// A watch notification.
/// </summary>
/// <param name="Type">What happened.</param>
/// <param name="Path">The node's path relative to the chroot.</param>
/// <param name="SessionState">
/// <see cref="ZooKeeperSessionState.Connected"/> for node events; for <see cref="ZooKeeperEventType.None"/>, the terminal
/// state (Expired, Closed or AuthFailed) that ended the watch.
/// </param>
public sealed record ZooKeeperWatchEvent(ZooKeeperEventType Type, string Path, ZooKeeperSessionState SessionState);
