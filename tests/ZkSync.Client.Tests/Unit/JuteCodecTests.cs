using System.Buffers;
using ZkSync.Client;
using ZkSync.Client.Internal;

namespace ZkSync.Client.Tests.Unit;

public sealed class JuteCodecTests
{
    [Fact]
    public void WriteThenRead_AllTypes_RoundTrip()
    {
        using var buffer = new PooledBufferWriter(8);
        var writer = new JuteWriter(buffer);
        writer.WriteInt32(-5);
        writer.WriteInt64(long.MaxValue);
        writer.WriteBool(true);
        writer.WriteBuffer([1, 2, 3]);
        writer.WriteNullBuffer();
        writer.WriteString("päth/ü");
        writer.WriteString(null);
        writer.WritePath("/chroot", "/a");
        writer.WritePath("/chroot", "/");
        writer.WriteAcls([new ZooKeeperAcl(ZooKeeperPermissions.Read | ZooKeeperPermissions.Write, "digest", "u:h")]);

        var reader = new JuteReader(buffer.WrittenMemory.Span);
        Assert.Equal(-5, reader.ReadInt32());
        Assert.Equal(long.MaxValue, reader.ReadInt64());
        Assert.True(reader.ReadBool());
        Assert.Equal([1, 2, 3], reader.ReadBuffer());
        Assert.Empty(reader.ReadBuffer());
        Assert.Equal("päth/ü", reader.ReadString());
        Assert.Null(reader.ReadString());
        Assert.Equal("/chroot/a", reader.ReadString());
        Assert.Equal("/chroot", reader.ReadString());
        Assert.Equal([new ZooKeeperAcl(ZooKeeperPermissions.Read | ZooKeeperPermissions.Write, "digest", "u:h")], reader.ReadAcls());
        Assert.Equal(0, reader.Remaining);
    }

    [Fact]
    public void Frame_LengthPrefix_IsPatched()
    {
        using var buffer = new PooledBufferWriter(4);
        var writer = new JuteWriter(buffer);
        var start = writer.BeginFrame();
        writer.WriteInt64(1);
        writer.WriteString("abc");
        writer.EndFrame(start);

        var sequence = new ReadOnlySequence<byte>(buffer.WrittenMemory);
        Assert.True(ZkConnection.TryReadFrame(ref sequence, 1024, out var frame));
        Assert.Equal(15, frame.Length);
        Assert.Equal(0, sequence.Length);
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 0, 5, 1, 2 })]
    [InlineData(new byte[] { 0, 0 })]
    public void TryReadFrame_Incomplete_ReturnsFalse(byte[] bytes)
    {
        var sequence = new ReadOnlySequence<byte>(bytes);

        Assert.False(ZkConnection.TryReadFrame(ref sequence, 1024, out _));
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF })]
    [InlineData(new byte[] { 0, 0, 8, 1 })]
    public void TryReadFrame_LengthOutOfRange_Throws(byte[] bytes)
    {
        var sequence = new ReadOnlySequence<byte>(bytes);

        var ex = Assert.Throws<ZkProtocolException>(() => ZkConnection.TryReadFrame(ref sequence, 2048, out _));
        Assert.Contains("MaxFrameSize", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 0, 9, 1 })]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xF0 })]
    [InlineData(new byte[] { 0, 0 })]
    public void ReadString_Malformed_ThrowsProtocolException(byte[] bytes)
    {
        Assert.Throws<ZkProtocolException>(() =>
        {
            var reader = new JuteReader(bytes);
            reader.ReadString();
        });
    }

    [Fact]
    public void ReadStringList_CountLargerThanFrame_ThrowsBeforeAllocating()
    {
        Assert.Throws<ZkProtocolException>(() =>
        {
            var reader = new JuteReader(new byte[] { 0x7F, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0 });
            reader.ReadStringList();
        });
    }
}
