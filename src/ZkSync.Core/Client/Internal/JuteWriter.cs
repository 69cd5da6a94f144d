using System.Buffers.Binary;
using System.Text;

namespace ZkSync.Client.Internal;

/// <summary>Writes jute records (big-endian, length-prefixed) into a <see cref="PooledBufferWriter"/>.</summary>
internal readonly ref struct JuteWriter
{
    private readonly PooledBufferWriter _output;

    public JuteWriter(PooledBufferWriter output)
    {
        _output = output;
    }

    /// <summary>Starts a frame: reserves its 4-byte length prefix and returns its offset.</summary>
    public int BeginFrame()
    {
        var start = _output.WrittenCount;
        WriteInt32(0);
        return start;
    }

    /// <summary>Patches the length prefix of the frame started at <paramref name="start"/>.</summary>
    public void EndFrame(int start)
    {
        var length = _output.WrittenCount - start - 4;
        BinaryPrimitives.WriteInt32BigEndian(_output.WrittenSpanForPatch.Slice(start, 4), length);
    }

    public void WriteInt32(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(_output.GetSpan(4), value);
        _output.Advance(4);
    }

    public void WriteInt64(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(_output.GetSpan(8), value);
        _output.Advance(8);
    }

    public void WriteBool(bool value)
    {
        _output.GetSpan(1)[0] = value ? (byte)1 : (byte)0;
        _output.Advance(1);
    }

    public void WriteBuffer(ReadOnlySpan<byte> value)
    {
        WriteInt32(value.Length);
        if (!value.IsEmpty)
        {
            value.CopyTo(_output.GetSpan(value.Length));
            _output.Advance(value.Length);
        }
    }

    public void WriteNullBuffer() => WriteInt32(-1);

    public void WriteString(string? value)
    {
        if (value is null)
        {
            WriteInt32(-1);
            return;
        }

        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        var span = _output.GetSpan(4 + max);
        var count = Encoding.UTF8.GetBytes(value, span[4..]);
        BinaryPrimitives.WriteInt32BigEndian(span, count);
        _output.Advance(4 + count);
    }

    /// <summary>Writes a client path with the chroot prepended (client <c>/</c> is the chroot itself).</summary>
    public void WritePath(string? chroot, string path)
    {
        if (chroot is null)
        {
            WriteString(path);
            return;
        }

        if (path == "/")
        {
            WriteString(chroot);
            return;
        }

        var max = Encoding.UTF8.GetMaxByteCount(chroot.Length + path.Length);
        var span = _output.GetSpan(4 + max);
        var count = Encoding.UTF8.GetBytes(chroot, span[4..]);
        count += Encoding.UTF8.GetBytes(path, span[(4 + count)..]);
        BinaryPrimitives.WriteInt32BigEndian(span, count);
        _output.Advance(4 + count);
    }

    public void WriteAcls(IReadOnlyList<ZooKeeperAcl> acls)
    {
        WriteInt32(acls.Count);
        for (var i = 0; i < acls.Count; i++)
        {
            var acl = acls[i];
            WriteInt32((int)acl.Permissions);
            WriteString(acl.Scheme);
            WriteString(acl.Id);
        }
    }
}
