using System.Buffers.Binary;
using System.Text;

namespace ZkSync.TestSupport;

/// <summary>
/// A <see cref="FakeZooKeeperServer"/> behaviour that answers like an ensemble member that has not yet applied the
/// creation of one node another session created through the leader (ZooKeeper orders reads after writes only within a
/// session): exists and getData on <paramref name="path"/> answer NoNode until this session sends a sync, which makes the
/// member catch up; from then on the node exists. A real member's lag lasts milliseconds and cannot be produced on demand.
/// Pings and closeSession are answered; every other request NoNode.
/// </summary>
/// <param name="path">The node the member has not applied yet.</param>
public sealed class LaggingMemberServer(string path)
{
    private const int StatLength = 68;
    private int _syncs;
    private int _staleReads;

    /// <summary>Syncs received so far.</summary>
    public int Syncs => Volatile.Read(ref _syncs);

    /// <summary>Reads of the node answered NoNode because no sync had come first.</summary>
    public int StaleReads => Volatile.Read(ref _staleReads);

    /// <summary>The behaviour to pass to <see cref="FakeZooKeeperServer"/>.</summary>
    /// <param name="stream">The connection.</param>
    /// <param name="connection">Its number.</param>
    /// <param name="cancellationToken">Stops serving.</param>
    /// <returns>A task that completes when the connection is to be closed.</returns>
    public async Task ServeAsync(Stream stream, int connection, CancellationToken cancellationToken)
    {
        while (true)
        {
            var frame = await FakeZooKeeperServer.ReadFrameAsync(stream, cancellationToken);
            var xid = BinaryPrimitives.ReadInt32BigEndian(frame);
            var type = BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(4));
            var requestPath = type is 3 or 4 or 9 ? ReadString(frame.AsSpan(8)) : null;
            switch (type)
            {
                case 9: // sync: answered with its path, once the member has caught up
                    Interlocked.Increment(ref _syncs);
                    var name = Encoding.UTF8.GetBytes(requestPath!);
                    var body = new byte[4 + name.Length];
                    BinaryPrimitives.WriteInt32BigEndian(body, name.Length);
                    name.CopyTo(body, 4);
                    await FakeZooKeeperServer.WriteReplyAsync(stream, xid, 0, body, cancellationToken);
                    break;
                case 3 or 4 when requestPath == path && Syncs > 0: // exists: a stat; getData: empty data, a stat
                    await FakeZooKeeperServer.WriteReplyAsync(stream, xid, 0, new byte[(type == 4 ? 4 : 0) + StatLength], cancellationToken);
                    break;
                case 3 or 4 when requestPath == path:
                    Interlocked.Increment(ref _staleReads);
                    await FakeZooKeeperServer.WriteReplyHeaderAsync(stream, xid, -101, cancellationToken);
                    break;
                case -11: // closeSession
                    await FakeZooKeeperServer.WriteReplyHeaderAsync(stream, xid, 0, cancellationToken);
                    return;
                default:
                    await FakeZooKeeperServer.WriteReplyHeaderAsync(stream, xid, xid == -2 ? 0 : -101, cancellationToken);
                    break;
            }
        }
    }

    private static string ReadString(ReadOnlySpan<byte> span) =>
        Encoding.UTF8.GetString(span.Slice(4, BinaryPrimitives.ReadInt32BigEndian(span)));
}
