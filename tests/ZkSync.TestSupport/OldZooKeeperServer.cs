using System.Buffers.Binary;

namespace ZkSync.TestSupport;

/// <summary>
/// A <see cref="FakeZooKeeperServer"/> behaviour that answers like a ZooKeeper release older than the suite's servers
/// (3.5: newest opcode 102; 3.6: newest opcode 106, no whoAmI): its <c>UnimplementedRequestProcessor</c> answers a
/// request it does not know at once with Unimplemented (-6) and then closes the connection; the session survives.
/// Pings are answered; every other request is answered NoNode, or not at all.
/// </summary>
/// <param name="newestOpCode">The highest opcode the release knows: 102 for 3.5, 106 for 3.6.</param>
/// <param name="answerKnown">False to leave known requests unanswered (so that a refusal overtakes them).</param>
public sealed class OldZooKeeperServer(int newestOpCode, bool answerKnown = true)
{
    private readonly TaskCompletionSource _pingedAfterReconnect = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _refused;

    /// <summary>ZooKeeper 3.5's newest opcode (sasl).</summary>
    public const int ZooKeeper35 = 102;

    /// <summary>ZooKeeper 3.6's newest opcode (addWatch).</summary>
    public const int ZooKeeper36 = 106;

    /// <summary>Requests refused as Unimplemented so far (each cost its connection).</summary>
    public int Refused => Volatile.Read(ref _refused);

    /// <summary>
    /// Completes once a connection after the first has carried a ping: it lived a third of the session timeout, so the
    /// client has stopped reconnecting.
    /// </summary>
    public Task PingedAfterReconnect => _pingedAfterReconnect.Task;

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
            if (BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(4)) > newestOpCode)
            {
                Interlocked.Increment(ref _refused);
                await FakeZooKeeperServer.WriteReplyHeaderAsync(stream, xid, -6, cancellationToken);
                return; // sendCloseSession: the connection closes
            }

            if (xid == -2)
            {
                await FakeZooKeeperServer.WriteReplyHeaderAsync(stream, xid, 0, cancellationToken);
                if (connection > 1)
                {
                    _pingedAfterReconnect.TrySetResult();
                }
            }
            else if (answerKnown)
            {
                await FakeZooKeeperServer.WriteReplyHeaderAsync(stream, xid, -101, cancellationToken); // NoNode
            }
        }
    }
}
