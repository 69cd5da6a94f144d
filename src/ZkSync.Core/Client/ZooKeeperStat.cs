namespace ZkSync.Client;

/// <summary>A znode's metadata (ZooKeeper's <c>Stat</c> record).</summary>
/// <param name="Czxid">The zxid of the transaction that created the node: unique and ensemble-wide increasing.</param>
/// <param name="Mzxid">The zxid of the last change to the node's data.</param>
/// <param name="Ctime">Creation time, milliseconds since the Unix epoch (server clock).</param>
/// <param name="Mtime">Last modification time, milliseconds since the Unix epoch (server clock).</param>
/// <param name="Version">Number of changes to the data.</param>
/// <param name="Cversion">Number of changes to the children.</param>
/// <param name="Aversion">Number of changes to the ACL.</param>
/// <param name="EphemeralOwner">Session id of the owner for an ephemeral node, else 0.</param>
/// <param name="DataLength">Length of the data in bytes.</param>
/// <param name="NumChildren">Number of children.</param>
/// <param name="Pzxid">The zxid of the last change to the children.</param>
public sealed record ZooKeeperStat(
    long Czxid, long Mzxid, long Ctime, long Mtime, int Version, int Cversion, int Aversion,
    long EphemeralOwner, int DataLength, int NumChildren, long Pzxid);

/// <summary>A node's data and metadata, as returned by <see cref="ZooKeeperClient.GetDataAsync"/>.</summary>
/// <param name="Data">The data (an empty array for no data).</param>
/// <param name="Stat">The node's metadata.</param>
public sealed record ZooKeeperNodeData(byte[] Data, ZooKeeperStat Stat);

/// <summary>A node's children and metadata, as returned by <see cref="ZooKeeperClient.GetChildrenWithStatAsync"/>.</summary>
/// <param name="Children">Child names (not paths), in the server's order.</param>
/// <param name="Stat">The parent's metadata.</param>
public sealed record ZooKeeperChildren(IReadOnlyList<string> Children, ZooKeeperStat Stat);

/// <summary>The result of a create: the actual path (with the sequence suffix) and the new node's metadata.</summary>
/// <param name="Path">The created path, relative to the chroot.</param>
/// <param name="Stat">The new node's metadata.</param>
public sealed record ZooKeeperCreateResult(string Path, ZooKeeperStat Stat);

/// <summary>A node's ACL and metadata.</summary>
/// <param name="Acl">The access control list.</param>
/// <param name="Stat">The node's metadata.</param>
public sealed record ZooKeeperAclResult(IReadOnlyList<ZooKeeperAcl> Acl, ZooKeeperStat Stat);

/// <summary>One identity the server associates with this session (<c>whoAmI</c>).</summary>
/// <param name="Scheme">The authentication scheme, e.g. <c>digest</c> or <c>ip</c>.</param>
/// <param name="User">The identity within the scheme.</param>
public sealed record ZooKeeperClientIdentity(string Scheme, string User);
