using System.Globalization;

namespace ZkSync.Client.Internal;

/// <summary>Shared helpers for request bodies.</summary>
internal static class Requests
{
    public const long MaxTtlMilliseconds = 0xFF_FFFF_FFFF; // EphemeralType: 40 bits.

    public static OpCode CreateOpCode(CreateMode mode) => mode switch
    {
        CreateMode.Container => OpCode.CreateContainer,
        CreateMode.PersistentWithTtl or CreateMode.PersistentSequentialWithTtl => OpCode.CreateTtl,
        _ => OpCode.Create2,
    };

    public static bool IsSequential(CreateMode mode) =>
        mode is CreateMode.PersistentSequential or CreateMode.EphemeralSequential or CreateMode.PersistentSequentialWithTtl;

    public static void ValidateCreate(string path, CreateMode mode, IReadOnlyList<ZooKeeperAcl>? acl, TimeSpan? ttl)
    {
        if (!Enum.IsDefined(mode))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown CreateMode.");
        }

        ZkPath.Validate(path, IsSequential(mode));
        if (path == "/")
        {
            throw new ArgumentException("Invalid ZooKeeper path '/': the root node always exists and cannot be created.", nameof(path));
        }

        var isTtl = mode is CreateMode.PersistentWithTtl or CreateMode.PersistentSequentialWithTtl;
        if (isTtl)
        {
            if (ttl is not { } value || value <= TimeSpan.Zero || (long)value.TotalMilliseconds > MaxTtlMilliseconds || (long)value.TotalMilliseconds < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(ttl), ttl,
                    string.Create(CultureInfo.InvariantCulture, $"CreateMode.{mode} needs a TTL of at least 1 ms and at most {MaxTtlMilliseconds} ms."));
            }
        }
        else if (ttl is not null)
        {
            throw new ArgumentException($"A TTL is only allowed with CreateMode.PersistentWithTtl or PersistentSequentialWithTtl, not {mode}.", nameof(ttl));
        }

        if (acl is { Count: 0 })
        {
            throw new ArgumentException("The ACL must not be empty (ZooKeeper rejects it with InvalidACL); pass null for world:anyone.", nameof(acl));
        }
    }

    public static void WriteCreateBody(ref JuteWriter writer, string? chroot, string path, ReadOnlySpan<byte> data,
        CreateMode mode, IReadOnlyList<ZooKeeperAcl>? acl, TimeSpan? ttl)
    {
        writer.WritePath(chroot, path);
        writer.WriteBuffer(data);
        writer.WriteAcls(acl ?? ZooKeeperAcl.OpenUnsafe);
        writer.WriteInt32((int)mode);
        if (mode is CreateMode.PersistentWithTtl or CreateMode.PersistentSequentialWithTtl)
        {
            writer.WriteInt64((long)ttl!.Value.TotalMilliseconds);
        }
    }
}

internal sealed class CreateRequest(string path, ReadOnlyMemory<byte> data, CreateMode mode, IReadOnlyList<ZooKeeperAcl>? acl, TimeSpan? ttl)
    : ZkRequest<ZooKeeperCreateResult>(Requests.CreateOpCode(mode), path)
{
    public override void WriteBody(ref JuteWriter writer, string? chroot) =>
        Requests.WriteCreateBody(ref writer, chroot, Path!, data.Span, mode, acl, ttl);

    protected override ZooKeeperCreateResult ReadResponse(ref JuteReader body, IReplyContext context)
    {
        var created = context.StripChroot(body.ReadRequiredString());
        var stat = body.ReadStat();
        return new ZooKeeperCreateResult(created, stat);
    }
}

internal sealed class DeleteRequest(string path, int version) : ZkRequest<bool>(OpCode.Delete, path)
{
    public override void WriteBody(ref JuteWriter writer, string? chroot)
    {
        writer.WritePath(chroot, Path!);
        writer.WriteInt32(version);
    }

    protected override bool ReadResponse(ref JuteReader body, IReplyContext context) => true;
}

internal sealed class ExistsRequest(string path, Action<ZooKeeperWatchEvent>? watcher) : ZkRequest<ZooKeeperStat?>(OpCode.Exists, path)
{
    public override void WriteBody(ref JuteWriter writer, string? chroot)
    {
        writer.WritePath(chroot, Path!);
        writer.WriteBool(watcher is not null);
    }

    protected override ZooKeeperStat? ReadResponse(ref JuteReader body, IReplyContext context)
    {
        var stat = body.ReadStat();
        if (watcher is not null)
        {
            context.Watches.Add(WatchKind.Data, Path!, watcher);
        }

        return stat;
    }

    protected override void OnError(ZooKeeperErrorCode error, IReplyContext context)
    {
        if (error != ZooKeeperErrorCode.NoNode)
        {
            base.OnError(error, context);
            return;
        }

        // NoNode still sets the watch on the server: an exist watch (fires on NodeCreated).
        if (IsCompleted)
        {
            return;
        }

        if (watcher is not null)
        {
            context.Watches.Add(WatchKind.Exist, Path!, watcher);
        }

        Complete(null);
    }
}

internal sealed class GetDataRequest(string path, Action<ZooKeeperWatchEvent>? watcher) : ZkRequest<ZooKeeperNodeData>(OpCode.GetData, path)
{
    public override void WriteBody(ref JuteWriter writer, string? chroot)
    {
        writer.WritePath(chroot, Path!);
        writer.WriteBool(watcher is not null);
    }

    protected override ZooKeeperNodeData ReadResponse(ref JuteReader body, IReplyContext context)
    {
        var data = body.ReadBuffer();
        var stat = body.ReadStat();
        if (watcher is not null)
        {
            context.Watches.Add(WatchKind.Data, Path!, watcher);
        }

        return new ZooKeeperNodeData(data, stat);
    }
}

internal sealed class SetDataRequest(string path, ReadOnlyMemory<byte> data, int version) : ZkRequest<ZooKeeperStat>(OpCode.SetData, path)
{
    public override void WriteBody(ref JuteWriter writer, string? chroot)
    {
        writer.WritePath(chroot, Path!);
        writer.WriteBuffer(data.Span);
        writer.WriteInt32(version);
    }

    protected override ZooKeeperStat ReadResponse(ref JuteReader body, IReplyContext context) => body.ReadStat();
}

internal sealed class GetChildrenRequest(string path, Action<ZooKeeperWatchEvent>? watcher) : ZkRequest<IReadOnlyList<string>>(OpCode.GetChildren, path)
{
    public override void WriteBody(ref JuteWriter writer, string? chroot)
    {
        writer.WritePath(chroot, Path!);
        writer.WriteBool(watcher is not null);
    }

    protected override IReadOnlyList<string> ReadResponse(ref JuteReader body, IReplyContext context)
    {
        var children = body.ReadStringList();
        if (watcher is not null)
        {
            context.Watches.Add(WatchKind.Child, Path!, watcher);
        }

        return children;
    }
}

internal sealed class GetChildren2Request(string path, Action<ZooKeeperWatchEvent>? watcher) : ZkRequest<ZooKeeperChildren>(OpCode.GetChildren2, path)
{
    public override void WriteBody(ref JuteWriter writer, string? chroot)
    {
        writer.WritePath(chroot, Path!);
        writer.WriteBool(watcher is not null);
    }

    protected override ZooKeeperChildren ReadResponse(ref JuteReader body, IReplyContext context)
    {
        var children = body.ReadStringList();
        var stat = body.ReadStat();
        if (watcher is not null)
        {
            context.Watches.Add(WatchKind.Child, Path!, watcher);
        }

        return new ZooKeeperChildren(children, stat);
    }
}

internal sealed class SyncRequest(string path) : ZkRequest<string>(OpCode.Sync, path)
{
    public override void WriteBody(ref JuteWriter writer, string? chroot) => writer.WritePath(chroot, Path!);

    protected override string ReadResponse(ref JuteReader body, IReplyContext context) =>
        context.StripChroot(body.ReadRequiredString());
}

internal sealed class GetAclRequest(string path) : ZkRequest<ZooKeeperAclResult>(OpCode.GetAcl, path)
{
    public override void WriteBody(ref JuteWriter writer, string? chroot) => writer.WritePath(chroot, Path!);

    protected override ZooKeeperAclResult ReadResponse(ref JuteReader body, IReplyContext context)
    {
        var acl = body.ReadAcls();
        var stat = body.ReadStat();
        return new ZooKeeperAclResult(acl, stat);
    }
}

internal sealed class SetAclRequest(string path, IReadOnlyList<ZooKeeperAcl> acl, int version) : ZkRequest<ZooKeeperStat>(OpCode.SetAcl, path)
{
    public override void WriteBody(ref JuteWriter writer, string? chroot)
    {
        writer.WritePath(chroot, Path!);
        writer.WriteAcls(acl);
        writer.WriteInt32(version);
    }

    protected override ZooKeeperStat ReadResponse(ref JuteReader body, IReplyContext context) => body.ReadStat();
}

internal sealed class AddWatchRequest(string path, AddWatchMode mode, Action<ZooKeeperWatchEvent> watcher) : ZkRequest<bool>(OpCode.AddWatch, path)
{
    public override void WriteBody(ref JuteWriter writer, string? chroot)
    {
        writer.WritePath(chroot, Path!);
        writer.WriteInt32((int)mode);
    }

    protected override bool ReadResponse(ref JuteReader body, IReplyContext context)
    {
        // The reply body is an ErrorResponse{err}; older servers may omit it.
        if (body.Remaining >= 4)
        {
            _ = body.ReadInt32();
        }

        context.Watches.Add(mode == AddWatchMode.Persistent ? WatchKind.Persistent : WatchKind.PersistentRecursive, Path!, watcher);
        return true;
    }
}

internal sealed class RemoveWatchesRequest(string path, ZooKeeperWatcherType type) : ZkRequest<bool>(OpCode.RemoveWatches, path)
{
    public override void WriteBody(ref JuteWriter writer, string? chroot)
    {
        writer.WritePath(chroot, Path!);
        writer.WriteInt32((int)type);
    }

    protected override bool ReadResponse(ref JuteReader body, IReplyContext context)
    {
        context.Watches.Remove(Path!, type);
        return true;
    }
}

internal sealed class GetEphemeralsRequest(string prefix) : ZkRequest<IReadOnlyList<string>>(OpCode.GetEphemerals, prefix)
{
    public override void WriteBody(ref JuteWriter writer, string? chroot)
    {
        // A plain string prefix, not a path: "/" means everything under the chroot.
        if (chroot is null)
        {
            writer.WriteString(Path!);
        }
        else
        {
            writer.WriteString(Path == "/" ? chroot + "/" : chroot + Path);
        }
    }

    protected override IReadOnlyList<string> ReadResponse(ref JuteReader body, IReplyContext context)
    {
        var list = body.ReadStringList();
        if (context.Chroot is null)
        {
            return list;
        }

        var result = new List<string>(list.Count);
        foreach (var item in list)
        {
            if (item.StartsWith(context.Chroot, StringComparison.Ordinal))
            {
                result.Add(context.StripChroot(item));
            }
        }

        return result;
    }
}

internal sealed class GetAllChildrenNumberRequest(string path) : ZkRequest<int>(OpCode.GetAllChildrenNumber, path)
{
    public override void WriteBody(ref JuteWriter writer, string? chroot) => writer.WritePath(chroot, Path!);

    protected override int ReadResponse(ref JuteReader body, IReplyContext context) => body.ReadInt32();
}

internal sealed class WhoAmIRequest() : ZkRequest<IReadOnlyList<ZooKeeperClientIdentity>>(OpCode.WhoAmI, null)
{
    public override void WriteBody(ref JuteWriter writer, string? chroot)
    {
    }

    protected override IReadOnlyList<ZooKeeperClientIdentity> ReadResponse(ref JuteReader body, IReplyContext context)
    {
        var count = body.ReadInt32();
        if (count < 0)
        {
            return [];
        }

        if (count > body.Remaining / 8)
        {
            throw new ZkProtocolException($"whoAmI count {count} exceeds the frame.");
        }

        var list = new List<ZooKeeperClientIdentity>(count);
        for (var i = 0; i < count; i++)
        {
            var scheme = body.ReadString() ?? "";
            var user = body.ReadString() ?? "";
            list.Add(new ZooKeeperClientIdentity(scheme, user));
        }

        return list;
    }
}

internal sealed class CloseSessionRequest() : ZkRequest<bool>(OpCode.CloseSession, null)
{
    public override void WriteBody(ref JuteWriter writer, string? chroot)
    {
    }

    protected override bool ReadResponse(ref JuteReader body, IReplyContext context) => true;
}

/// <summary>A sentinel queued to ask the writer for a ping (xid -2); never in the pending queue.</summary>
internal sealed class PingRequest() : ZkRequest<bool>(OpCode.Ping, null)
{
    public override void WriteBody(ref JuteWriter writer, string? chroot)
    {
    }

    protected override bool ReadResponse(ref JuteReader body, IReplyContext context) => true;
}

internal sealed class MultiRequest(IReadOnlyList<ZooKeeperOp> ops) : ZkRequest<IReadOnlyList<ZooKeeperOpResult>>(OpCode.Multi, null)
{
    public IReadOnlyList<ZooKeeperOp> Operations => ops;

    public override void WriteBody(ref JuteWriter writer, string? chroot)
    {
        foreach (var op in ops)
        {
            writer.WriteInt32((int)op.OpCode);
            writer.WriteBool(false);
            writer.WriteInt32(-1);
            op.WriteBody(ref writer, chroot);
        }

        writer.WriteInt32(-1);
        writer.WriteBool(true);
        writer.WriteInt32(-1);
    }

    protected override IReadOnlyList<ZooKeeperOpResult> ReadResponse(ref JuteReader body, IReplyContext context)
    {
        var results = new List<ZooKeeperOpResult>(ops.Count);
        var failedIndex = -1;
        var failedCode = ZooKeeperErrorCode.Ok;
        while (true)
        {
            var type = (OpCode)body.ReadInt32();
            var done = body.ReadBool();
            var err = body.ReadInt32();
            if (done)
            {
                break;
            }

            if (results.Count >= ops.Count)
            {
                throw new ZkProtocolException($"multi reply has more results than the {ops.Count} operations sent.");
            }

            switch (type)
            {
                case OpCode.Create:
                    results.Add(new ZooKeeperOpResult(ZooKeeperErrorCode.Ok, context.StripChroot(body.ReadRequiredString()), null));
                    break;
                case OpCode.Create2 or OpCode.CreateContainer or OpCode.CreateTtl:
                    {
                        var path = context.StripChroot(body.ReadRequiredString());
                        var stat = body.ReadStat();
                        results.Add(new ZooKeeperOpResult(ZooKeeperErrorCode.Ok, path, stat));
                        break;
                    }

                case OpCode.Delete or OpCode.Check:
                    results.Add(new ZooKeeperOpResult(ZooKeeperErrorCode.Ok, null, null));
                    break;
                case OpCode.SetData:
                    results.Add(new ZooKeeperOpResult(ZooKeeperErrorCode.Ok, null, body.ReadStat()));
                    break;
                case OpCode.Error:
                    {
                        var code = (ZooKeeperErrorCode)body.ReadInt32();
                        if (failedIndex < 0 && code != ZooKeeperErrorCode.Ok && code != ZooKeeperErrorCode.RuntimeInconsistency)
                        {
                            failedIndex = results.Count;
                            failedCode = code;
                        }

                        results.Add(new ZooKeeperOpResult(code, null, null));
                        break;
                    }

                default:
                    throw new ZkProtocolException($"Unexpected result type {(int)type} in a multi reply (err {err}).");
            }
        }

        if (failedIndex < 0)
        {
            foreach (var r in results)
            {
                if (r.ErrorCode != ZooKeeperErrorCode.Ok)
                {
                    failedIndex = results.IndexOf(r);
                    failedCode = r.ErrorCode;
                    break;
                }
            }
        }

        if (failedIndex >= 0)
        {
            var op = ops[failedIndex];
            throw new MultiFailedException(new ZooKeeperException(failedCode, op.Path,
                string.Create(CultureInfo.InvariantCulture, $"multi failed at operation {failedIndex} ({op.OpCode} '{op.Path}'): {failedCode} ({(int)failedCode}). Nothing was applied."))
            {
                FailedOperationIndex = failedIndex,
                OperationResults = results,
            });
        }

        return results;
    }

    public override void OnReply(ZooKeeperErrorCode error, ref JuteReader body, IReplyContext context)
    {
        try
        {
            base.OnReply(error, ref body, context);
        }
        catch (MultiFailedException failed)
        {
            Fail(failed.Failure);
        }
    }

    private sealed class MultiFailedException(ZooKeeperException failure) : Exception
    {
        public ZooKeeperException Failure { get; } = failure;
    }
}
