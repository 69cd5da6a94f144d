using ZkSync.Client.Internal;

namespace ZkSync.Client;

/// <summary>One operation of an all-or-nothing <see cref="ZooKeeperClient.MultiAsync"/> transaction.</summary>
public abstract class ZooKeeperOp
{
    private protected ZooKeeperOp(string path)
    {
        Path = path;
    }

    /// <summary>The path the operation acts on.</summary>
    public string Path { get; }

    internal abstract OpCode OpCode { get; }

    internal abstract void Validate();

    internal abstract void WriteBody(ref JuteWriter writer, string? chroot);

    /// <summary>Creates a node (see <see cref="ZooKeeperClient.CreateAsync"/>).</summary>
    /// <param name="path">The path.</param>
    /// <param name="data">The data.</param>
    /// <param name="mode">The create mode.</param>
    /// <param name="acl">The ACL; null for <see cref="ZooKeeperAcl.OpenUnsafe"/>.</param>
    /// <param name="ttl">The TTL for the TTL modes.</param>
    /// <returns>The operation.</returns>
    public static ZooKeeperOp Create(string path, ReadOnlyMemory<byte> data, CreateMode mode = CreateMode.Persistent,
        IReadOnlyList<ZooKeeperAcl>? acl = null, TimeSpan? ttl = null) => new CreateOp(path, data, mode, acl, ttl);

    /// <summary>Deletes a node, if its version matches (-1 for any).</summary>
    /// <param name="path">The path.</param>
    /// <param name="version">The expected version, -1 for any.</param>
    /// <returns>The operation.</returns>
    public static ZooKeeperOp Delete(string path, int version = -1) => new DeleteOp(path, version);

    /// <summary>Sets a node's data, if its version matches (-1 for any).</summary>
    /// <param name="path">The path.</param>
    /// <param name="data">The new data.</param>
    /// <param name="version">The expected version, -1 for any.</param>
    /// <returns>The operation.</returns>
    public static ZooKeeperOp SetData(string path, ReadOnlyMemory<byte> data, int version = -1) => new SetDataOp(path, data, version);

    /// <summary>Checks that a node exists and, unless <paramref name="version"/> is -1, has that version.</summary>
    /// <param name="path">The path.</param>
    /// <param name="version">The expected version, -1 for any.</param>
    /// <returns>The operation.</returns>
    public static ZooKeeperOp Check(string path, int version = -1) => new CheckOp(path, version);

    internal sealed class CreateOp(string path, ReadOnlyMemory<byte> data, CreateMode mode, IReadOnlyList<ZooKeeperAcl>? acl, TimeSpan? ttl)
        : ZooKeeperOp(path)
    {
        internal override OpCode OpCode => Requests.CreateOpCode(mode);

        internal override void Validate() => Requests.ValidateCreate(Path, mode, acl, ttl);

        internal override void WriteBody(ref JuteWriter writer, string? chroot) =>
            Requests.WriteCreateBody(ref writer, chroot, Path, data.Span, mode, acl, ttl);
    }

    internal sealed class DeleteOp(string path, int version) : ZooKeeperOp(path)
    {
        internal override OpCode OpCode => OpCode.Delete;

        internal override void Validate() => ZkPath.Validate(Path);

        internal override void WriteBody(ref JuteWriter writer, string? chroot)
        {
            writer.WritePath(chroot, Path);
            writer.WriteInt32(version);
        }
    }

    internal sealed class SetDataOp(string path, ReadOnlyMemory<byte> data, int version) : ZooKeeperOp(path)
    {
        internal override OpCode OpCode => OpCode.SetData;

        internal override void Validate() => ZkPath.Validate(Path);

        internal override void WriteBody(ref JuteWriter writer, string? chroot)
        {
            writer.WritePath(chroot, Path);
            writer.WriteBuffer(data.Span);
            writer.WriteInt32(version);
        }
    }

    internal sealed class CheckOp(string path, int version) : ZooKeeperOp(path)
    {
        internal override OpCode OpCode => OpCode.Check;

        internal override void Validate() => ZkPath.Validate(Path);

        internal override void WriteBody(ref JuteWriter writer, string? chroot)
        {
            writer.WritePath(chroot, Path);
            writer.WriteInt32(version);
        }
    }
}

/// <summary>The result of one operation of a <see cref="ZooKeeperClient.MultiAsync"/> transaction.</summary>
/// <param name="ErrorCode"><see cref="ZooKeeperErrorCode.Ok"/> for success; for a failed transaction, the operation's error
/// (<see cref="ZooKeeperErrorCode.Ok"/> before the failing op, its real code, then <see cref="ZooKeeperErrorCode.RuntimeInconsistency"/> after it).</param>
/// <param name="Path">For a create: the created path, relative to the chroot; else null.</param>
/// <param name="Stat">For a create or setData: the node's new metadata; else null.</param>
public sealed record ZooKeeperOpResult(ZooKeeperErrorCode ErrorCode, string? Path, ZooKeeperStat? Stat);
