using System.Buffers.Binary;
using System.Text;

namespace ZkSync.Client.Internal;

/// <summary>Reads jute records from a span; every malformed input throws <see cref="ZkProtocolException"/>.</summary>
internal ref struct JuteReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public JuteReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    public readonly int Remaining => _data.Length - _position;

    public int ReadInt32()
    {
        var value = BinaryPrimitives.ReadInt32BigEndian(Take(4));
        return value;
    }

    public long ReadInt64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    public bool ReadBool() => Take(1)[0] != 0;

    /// <summary>Reads a buffer; a null buffer (length -1) reads as an empty array.</summary>
    public byte[] ReadBuffer()
    {
        var length = ReadLength();
        return length <= 0 ? [] : Take(length).ToArray();
    }

    public string? ReadString()
    {
        var length = ReadLength();
        if (length < 0)
        {
            return null;
        }

        try
        {
            return Encoding.UTF8.GetString(Take(length));
        }
        catch (DecoderFallbackException ex)
        {
            throw new ZkProtocolException("Invalid UTF-8 in a string.", ex);
        }
    }

    public string ReadRequiredString() => ReadString() ?? throw new ZkProtocolException("Unexpected null string.");

    public List<string> ReadStringList()
    {
        var count = ReadLength();
        if (count < 0)
        {
            return [];
        }

        // Each element takes at least 4 bytes: reject counts the frame cannot hold before allocating.
        if (count > Remaining / 4)
        {
            throw new ZkProtocolException($"Vector count {count} exceeds the remaining {Remaining} bytes.");
        }

        var list = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            list.Add(ReadRequiredString());
        }

        return list;
    }

    public ZooKeeperStat ReadStat()
    {
        var span = Take(68);
        return new ZooKeeperStat(
            Czxid: BinaryPrimitives.ReadInt64BigEndian(span),
            Mzxid: BinaryPrimitives.ReadInt64BigEndian(span[8..]),
            Ctime: BinaryPrimitives.ReadInt64BigEndian(span[16..]),
            Mtime: BinaryPrimitives.ReadInt64BigEndian(span[24..]),
            Version: BinaryPrimitives.ReadInt32BigEndian(span[32..]),
            Cversion: BinaryPrimitives.ReadInt32BigEndian(span[36..]),
            Aversion: BinaryPrimitives.ReadInt32BigEndian(span[40..]),
            EphemeralOwner: BinaryPrimitives.ReadInt64BigEndian(span[44..]),
            DataLength: BinaryPrimitives.ReadInt32BigEndian(span[52..]),
            NumChildren: BinaryPrimitives.ReadInt32BigEndian(span[56..]),
            Pzxid: BinaryPrimitives.ReadInt64BigEndian(span[60..]));
    }

    public List<ZooKeeperAcl> ReadAcls()
    {
        var count = ReadLength();
        if (count < 0)
        {
            return [];
        }

        if (count > Remaining / 12)
        {
            throw new ZkProtocolException($"ACL count {count} exceeds the remaining {Remaining} bytes.");
        }

        var list = new List<ZooKeeperAcl>(count);
        for (var i = 0; i < count; i++)
        {
            var perms = (ZooKeeperPermissions)ReadInt32();
            var scheme = ReadRequiredString();
            var id = ReadRequiredString();
            list.Add(new ZooKeeperAcl(perms, scheme, id));
        }

        return list;
    }

    private int ReadLength()
    {
        var length = ReadInt32();
        if (length < -1)
        {
            throw new ZkProtocolException($"Invalid length {length}.");
        }

        return length;
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _data.Length - _position)
        {
            throw new ZkProtocolException($"Truncated record: needed {count} bytes at offset {_position}, {_data.Length - _position} left.");
        }

        var span = _data.Slice(_position, count);
        _position += count;
        return span;
    }
}

/// <summary>The server sent something that is not valid ZooKeeper protocol: the connection is dropped.</summary>
internal sealed class ZkProtocolException : Exception
{
    public ZkProtocolException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
