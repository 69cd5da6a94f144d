using System.Buffers.Binary;
using ZkSync.Client;
using ZkSync.TestSupport;

namespace ZkSync.Client.Tests.Unit;

/// <summary>
/// Feeds the client random, truncated and oversized frames from a fake server. Every request must complete (with a
/// result or a <see cref="ZooKeeperException"/>) and the client must keep reconnecting: never a crash, a hang, or an
/// unobserved task exception.
/// </summary>
public sealed class DecoderFuzzTests
{
    [Fact]
    public async Task GarbageFromServer_EveryRequestCompletes_ClientSurvives()
    {
        var seed = Environment.TickCount;
        var unobserved = new System.Collections.Concurrent.ConcurrentBag<string>();
        EventHandler<UnobservedTaskExceptionEventArgs> onUnobserved = (_, e) => unobserved.Add(e.Exception.ToString());
        TaskScheduler.UnobservedTaskException += onUnobserved;
        try
        {
            await using var server = new FakeZooKeeperServer((stream, number, ct) => MisbehaveAsync(stream, new Random(seed + number), ct));
            var options = new ZooKeeperClientOptions
            {
                ConnectionString = server.ConnectionString,
                SessionTimeout = TimeSpan.FromSeconds(4),
                MaxFrameSize = 64 * 1024,
                RequestTimeout = TimeSpan.FromSeconds(20),
            };
            await using var client = new ZooKeeperClient(options);
            var outcomes = new Dictionary<string, int>();

            for (var i = 0; i < 150; i++)
            {
                Task request = (i % 7) switch
                {
                    0 => (Task)client.GetDataAsync("/x"),
                    1 => client.GetChildrenWithStatAsync("/x"),
                    2 => client.MultiAsync([ZooKeeperOp.Check("/x"), ZooKeeperOp.Create("/y", ReadOnlyMemory<byte>.Empty)]),
                    3 => client.GetAclAsync("/x"),
                    4 => client.WhoAmIAsync(),
                    5 => client.CreateAsync("/x", new byte[] { 1 }),
                    _ => client.ExistsAsync("/x", _ => { }),
                };
                var outcome = "ok";
                try
                {
                    await request.WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);
                }
                catch (ZooKeeperException ex)
                {
                    outcome = ex.Code.ToString();
                }

                outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            }

            Assert.True(server.ConnectionCount > 10, $"seed {seed}: the client should have reconnected many times, saw {server.ConnectionCount}");
            Assert.Contains(ZooKeeperErrorCode.ConnectionLoss.ToString(), outcomes.Keys);
            Assert.False(client.State is ZooKeeperSessionState.Closed or ZooKeeperSessionState.AuthFailed, $"seed {seed}");
        }
        finally
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            TaskScheduler.UnobservedTaskException -= onUnobserved;
        }

        Assert.True(unobserved.IsEmpty, string.Join("\n----\n", unobserved));
    }

    private static async Task MisbehaveAsync(Stream stream, Random random, CancellationToken cancellationToken)
    {
        var request = await FakeZooKeeperServer.ReadFrameAsync(stream, cancellationToken);
        var xid = BinaryPrimitives.ReadInt32BigEndian(request);
        byte[] reply;
        switch (random.Next(5))
        {
            case 0:
                // Pure noise.
                reply = new byte[random.Next(1, 300)];
                random.NextBytes(reply);
                break;
            case 1:
                // A frame longer than MaxFrameSize.
                reply = new byte[8];
                BinaryPrimitives.WriteInt32BigEndian(reply, random.Next(64 * 1024 + 1, int.MaxValue));
                break;
            case 2:
                // A declared length, then the connection ends early.
                reply = new byte[10];
                BinaryPrimitives.WriteInt32BigEndian(reply, 500);
                break;
            case 3:
                // The right xid and err 0, then a random body: exercises every reply decoder.
                {
                    var body = new byte[random.Next(0, 120)];
                    random.NextBytes(body);
                    reply = Frame(xid, 0, body);
                    break;
                }

            default:
                // A wrong xid, or a notification with a garbage event.
                {
                    var body = new byte[random.Next(0, 40)];
                    random.NextBytes(body);
                    reply = Frame(random.Next(2) == 0 ? xid + 1 : -1, 0, body);
                    break;
                }
        }

        await stream.WriteAsync(reply, cancellationToken);
        await stream.FlushAsync(cancellationToken);
    }

    private static byte[] Frame(int xid, int error, byte[] body)
    {
        var frame = new byte[4 + 16 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, 16 + body.Length);
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(4), xid);
        BinaryPrimitives.WriteInt64BigEndian(frame.AsSpan(8), 1);
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(16), error);
        body.CopyTo(frame, 20);
        return frame;
    }
}
