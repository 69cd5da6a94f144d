using System.Buffers.Binary;
using ZkSync.Barriers;
using ZkSync.TestSupport;

namespace ZkSync.Client.Tests.Unit;

/// <summary>
/// A server under load answers requests with <c>Throttled</c> (-127, the request throttler of 3.6+) while the connection
/// stays up, which a real server cannot be made to do on demand. The recipes' retry loops must back off rather than
/// re-send at once (correctness review F12).
/// </summary>
public sealed class RecipeBackOffTests
{
    // With a back-off of 50 ms more per failure (at most 1 s), 3 s allow about a dozen tries; re-sending at once makes
    // thousands. The bound leaves room for a slow machine and fails only a loop without back-off.
    private const int MaxRequests = 60;

    [Fact]
    public async Task BarrierWaitAsync_ServerThrottlesEveryRequest_BacksOff()
    {
        var requests = 0;
        await using var server = new FakeZooKeeperServer((stream, _, token) => ThrottleAsync(stream, () => Interlocked.Increment(ref requests), token));
        await using var client = await server.ConnectClientAsync(TimeSpan.FromSeconds(10));

        Assert.False(await new ZooKeeperBarrier(client, "/deploy").WaitAsync(TimeSpan.FromSeconds(3)).WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.InRange(Volatile.Read(ref requests), 2, MaxRequests);
        Assert.Equal(1, server.ConnectionCount);
    }

    [Fact]
    public async Task DoubleBarrierEnterAsync_ServerThrottlesEveryRequest_BacksOffAndHonoursItsTimeout()
    {
        var requests = 0;
        await using var server = new FakeZooKeeperServer((stream, _, token) => ThrottleAsync(stream, () => Interlocked.Increment(ref requests), token));
        await using var client = await server.ConnectClientAsync(TimeSpan.FromSeconds(10));

        var entered = new ZooKeeperDoubleBarrier(client, "/group", 2).EnterAsync(TimeSpan.FromSeconds(3));

        Assert.False(await entered.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.InRange(Volatile.Read(ref requests), 2, MaxRequests);
    }

    /// <summary>Answers pings, and every other request with Throttled.</summary>
    private static async Task ThrottleAsync(Stream stream, Func<int> countRequest, CancellationToken cancellationToken)
    {
        while (true)
        {
            var frame = await FakeZooKeeperServer.ReadFrameAsync(stream, cancellationToken);
            var xid = BinaryPrimitives.ReadInt32BigEndian(frame);
            if (xid != -2)
            {
                countRequest();
            }

            await FakeZooKeeperServer.WriteReplyHeaderAsync(stream, xid, xid == -2 ? 0 : (int)ZooKeeperErrorCode.Throttled, cancellationToken);
        }
    }
}
