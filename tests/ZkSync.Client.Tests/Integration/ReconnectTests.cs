using System.Threading.Channels;
using ZkSync.Client;
using ZkSync.TestSupport;

namespace ZkSync.Client.Tests.Integration;

public sealed class ReconnectTests
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task ConnectionDropped_SameSessionResumes_WatchesAndEphemeralsSurvive()
    {
        await using var client = await TestClients.ConnectAsync(TimeSpan.FromSeconds(10));
        await using var other = await TestClients.ConnectAsync();
        await using var root = await TestClients.CreateRootAsync(other, "reconnect");
        await client.CreateAsync(root["eph"], ReadOnlyMemory<byte>.Empty, CreateMode.Ephemeral);
        await other.CreateAsync(root["watched"], ReadOnlyMemory<byte>.Empty);
        var states = Channel.CreateUnbounded<ZooKeeperSessionState>();
        client.StateChanged += (_, e) => states.Writer.TryWrite(e.State);
        var dataChanged = new TaskCompletionSource<ZooKeeperWatchEvent>();
        var childChanged = new TaskCompletionSource<ZooKeeperWatchEvent>();
        // Another session created the root and the node, perhaps through another member: sync first, so that this
        // client's member has them before it reads (ZooKeeper orders reads after writes only within one session).
        await client.SyncAsync(root.Path);
        await client.GetDataAsync(root["watched"], e => dataChanged.TrySetResult(e));
        await client.GetChildrenAsync(root.Path, e => childChanged.TrySetResult(e));
        var sessionId = client.Session.SessionId;
        var lost = client.ConnectionLostToken;

        await SessionKiller.DropConnectionAsync(client, TestContext.Current.CancellationToken);
        await WaitForStateAsync(states, ZooKeeperSessionState.Suspended);
        Assert.True(lost.IsCancellationRequested);
        await WaitForStateAsync(states, ZooKeeperSessionState.Reconnected);
        await other.SetDataAsync(root["watched"], "changed"u8.ToArray());
        await other.CreateAsync(root["child"], ReadOnlyMemory<byte>.Empty);

        Assert.Equal(sessionId, client.Session.SessionId);
        Assert.False(client.ConnectionLostToken.IsCancellationRequested);
        Assert.Equal(ZooKeeperEventType.NodeDataChanged, (await dataChanged.Task.WaitAsync(EventTimeout)).Type);
        Assert.Equal(ZooKeeperEventType.NodeChildrenChanged, (await childChanged.Task.WaitAsync(EventTimeout)).Type);
        var eph = await other.ExistsAsync(root["eph"]);
        Assert.Equal(sessionId, eph!.EphemeralOwner);
    }

    [Fact]
    public async Task ConnectionDropped_WatchesInSeveralSetWatchesBatches_EachFiresExactlyOnce()
    {
        // The reconnect storm benchmark relies on this: every watch is re-registered after a reconnect and fires once.
        // 300 nodes with 450-character names, a data and an exists watch on each: about 270 KB of paths, so SetWatches
        // goes out in three batches.
        const int Nodes = 300;
        await using var client = await TestClients.ConnectAsync(TimeSpan.FromSeconds(10));
        await using var other = await TestClients.ConnectAsync();
        await using var root = await TestClients.CreateRootAsync(other, "reconnect-many");
        var paths = Enumerable.Range(0, Nodes).Select(i => root[$"n{i:D3}-{new string('x', 450)}"]).ToArray();
        await Task.WhenAll(paths.Select(path => other.CreateAsync(path, ReadOnlyMemory<byte>.Empty)));
        await client.SyncAsync(root.Path);
        var dataFires = new int[Nodes];
        var existsFires = new int[Nodes];
        var childFires = 0;
        var others = 0;
        var allFired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pending = (2 * Nodes) + 1;
        void Fired(ref int counter, ZooKeeperWatchEvent e, ZooKeeperEventType expected)
        {
            if (e.Type != expected)
            {
                Interlocked.Increment(ref others);
            }
            else if (Interlocked.Increment(ref counter) == 1 && Interlocked.Decrement(ref pending) == 0)
            {
                allFired.TrySetResult();
            }
        }

        await Task.WhenAll(paths.Select((path, i) => (Task)client.GetDataAsync(path, e => Fired(ref dataFires[i], e, ZooKeeperEventType.NodeDataChanged)))
            .Concat(paths.Select((path, i) => (Task)client.ExistsAsync(path, e => Fired(ref existsFires[i], e, ZooKeeperEventType.NodeDataChanged))))
            .Append(client.GetChildrenAsync(root.Path, e => Fired(ref childFires, e, ZooKeeperEventType.NodeChildrenChanged))));
        var states = Channel.CreateUnbounded<ZooKeeperSessionState>();
        client.StateChanged += (_, e) => states.Writer.TryWrite(e.State);

        await SessionKiller.DropConnectionAsync(client, TestContext.Current.CancellationToken);
        await WaitForStateAsync(states, ZooKeeperSessionState.Suspended);
        await WaitForStateAsync(states, ZooKeeperSessionState.Reconnected);
        await Task.WhenAll(paths.Select(path => other.SetDataAsync(path, "changed"u8.ToArray())));
        await other.CreateAsync(root["child"], ReadOnlyMemory<byte>.Empty);
        await allFired.Task.WaitAsync(EventTimeout);

        // Events are delivered in order: once a later watch fired, a second notification for any of the changes
        // above would have been delivered before it.
        var fence = new TaskCompletionSource<ZooKeeperWatchEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        Assert.Null(await client.ExistsAsync(root["fence"], e => fence.TrySetResult(e)));
        await other.CreateAsync(root["fence"], ReadOnlyMemory<byte>.Empty);
        Assert.Equal(ZooKeeperEventType.NodeCreated, (await fence.Task.WaitAsync(EventTimeout)).Type);
        Assert.All(dataFires, count => Assert.Equal(1, count));
        Assert.All(existsFires, count => Assert.Equal(1, count));
        Assert.Equal(1, childFires);
        Assert.Equal(0, others);
    }

    [Fact]
    public async Task SessionExpired_RenewedSessionLeftIdle_KeepsPingingAndNeverSuspends()
    {
        // F4: a ping queued when a connection died must not stop the next session's pings. With trust timed from
        // acknowledgements, an idle client that stopped pinging would be suspended after 2/3 of the timeout.
        var timeout = TimeSpan.FromSeconds(2);
        await using var client = await TestClients.ConnectAsync(timeout);
        var expired = client.Session.SessionId;
        var states = Channel.CreateUnbounded<ZooKeeperSessionState>();
        client.StateChanged += (_, e) => states.Writer.TryWrite(e.State);

        await SessionKiller.ExpireAsync(client, TestContext.Current.CancellationToken);
        await WaitForStateAsync(states, ZooKeeperSessionState.Expired);
        await WaitForStateAsync(states, ZooKeeperSessionState.Connected);
        var renewed = client.Session.SessionId;
        var lost = client.ConnectionLostToken;

        // Idle for three session timeouts: no state change at all (waited on the event, bounded).
        await Task.WhenAny(states.Reader.WaitToReadAsync(TestContext.Current.CancellationToken).AsTask(), Task.Delay(3 * timeout, TestContext.Current.CancellationToken));
        Assert.False(states.Reader.TryRead(out var unexpected), $"state changed to {unexpected} while idle");
        Assert.False(lost.IsCancellationRequested);
        Assert.NotEqual(expired, renewed);
        Assert.Equal(renewed, client.Session.SessionId);
        Assert.NotNull(await client.ExistsAsync("/"));
    }

    [Fact]
    public async Task ConnectionDropped_NodeDeletedAroundReconnect_WatchStillFires()
    {
        await using var client = await TestClients.ConnectAsync(TimeSpan.FromSeconds(10));
        await using var other = await TestClients.ConnectAsync();
        await using var root = await TestClients.CreateRootAsync(other, "reconnect-missed");
        await other.CreateAsync(root["watched"], ReadOnlyMemory<byte>.Empty);
        var deleted = new TaskCompletionSource<ZooKeeperWatchEvent>();

        // Another session created the node, perhaps through another member: sync first, so that our exists sees it and
        // leaves a data watch (an exists on a lagging member would leave a creation watch instead).
        await client.SyncAsync(root["watched"]);
        Assert.NotNull(await client.ExistsAsync(root["watched"], e => deleted.TrySetResult(e)));
        var states = Channel.CreateUnbounded<ZooKeeperSessionState>();
        client.StateChanged += (_, e) => states.Writer.TryWrite(e.State);

        // The delete races the reconnect: either SetWatches reports it (node gone since our zxid) or the re-armed
        // watch fires; both must deliver exactly this event.
        await SessionKiller.DropConnectionAsync(client, TestContext.Current.CancellationToken);
        await other.DeleteAsync(root["watched"]);
        await WaitForStateAsync(states, ZooKeeperSessionState.Reconnected);

        Assert.Equal(ZooKeeperEventType.NodeDeleted, (await deleted.Task.WaitAsync(EventTimeout)).Type);
    }

    [Fact]
    public async Task ConnectionDropped_RequestsInFlight_EachCompletesOnceOrFailsWithConnectionLoss()
    {
        await using var client = await TestClients.ConnectAsync(TimeSpan.FromSeconds(10));
        await using var root = await TestClients.CreateRootAsync(client, "inflight");
        var requests = new List<Task<ZooKeeperCreateResult>>();

        for (var i = 0; i < 500; i++)
        {
            requests.Add(client.CreateAsync(root["n-"], ReadOnlyMemory<byte>.Empty, CreateMode.PersistentSequential));
            if (i == 100)
            {
                await SessionKiller.DropConnectionAsync(client, TestContext.Current.CancellationToken);
            }
        }

        var created = new List<string>();
        var lost = 0;
        foreach (var request in requests)
        {
            try
            {
                created.Add((await request.WaitAsync(EventTimeout)).Path);
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.ConnectionLoss)
            {
                lost++;
            }
        }

        await client.WaitForConnectedAsync().WaitAsync(EventTimeout);
        var children = await client.GetChildrenAsync(root.Path);
        Assert.Equal(created.Count, created.Distinct().Count());
        Assert.All(created, path => Assert.Contains(ZkPath.GetName(path), children));
        // A request that failed with ConnectionLoss may or may not have been applied; none was applied twice.
        Assert.InRange(children.Count, created.Count, created.Count + lost);
        Assert.Equal(500, created.Count + lost);
    }

    private static async Task WaitForStateAsync(Channel<ZooKeeperSessionState> states, ZooKeeperSessionState wanted)
    {
        while (true)
        {
            var state = await states.Reader.ReadAsync().AsTask().WaitAsync(EventTimeout);
            if (state == wanted)
            {
                return;
            }
        }
    }
}
