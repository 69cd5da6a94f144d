using System.Threading.Channels;
using ZkSync.Client;
using ZkSync.TestSupport;

namespace ZkSync.Client.Tests.Integration;

public sealed class WatchTests
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task GetDataWatch_DataChangedTwice_FiresOnce()
    {
        await using var client = await TestClients.ConnectAsync();
        await using var root = await TestClients.CreateRootAsync(client, "watch-once");
        await client.CreateAsync(root["n"], "a"u8.ToArray());
        var events = Channel.CreateUnbounded<ZooKeeperWatchEvent>();

        await client.GetDataAsync(root["n"], e => events.Writer.TryWrite(e));
        await client.SetDataAsync(root["n"], "b"u8.ToArray());
        await client.SetDataAsync(root["n"], "c"u8.ToArray());
        // A later, unrelated watch proves the dispatcher has delivered everything queued before it.
        var marker = new TaskCompletionSource();
        await client.ExistsAsync(root["marker"], _ => marker.TrySetResult());
        await client.CreateAsync(root["marker"], ReadOnlyMemory<byte>.Empty);
        await marker.Task.WaitAsync(EventTimeout);

        Assert.True(events.Reader.TryRead(out var first));
        Assert.Equal(new ZooKeeperWatchEvent(ZooKeeperEventType.NodeDataChanged, root["n"], ZooKeeperSessionState.Connected), first);
        Assert.False(events.Reader.TryRead(out _));
    }

    [Fact]
    public async Task ExistsWatch_MissingNode_FiresNodeCreated()
    {
        await using var client = await TestClients.ConnectAsync();
        await using var root = await TestClients.CreateRootAsync(client, "watch-exists");
        var fired = new TaskCompletionSource<ZooKeeperWatchEvent>();

        var stat = await client.ExistsAsync(root["n"], e => fired.TrySetResult(e));
        await client.CreateAsync(root["n"], ReadOnlyMemory<byte>.Empty);

        Assert.Null(stat);
        var e = await fired.Task.WaitAsync(EventTimeout);
        Assert.Equal(ZooKeeperEventType.NodeCreated, e.Type);
        Assert.Equal(root["n"], e.Path);
    }

    [Fact]
    public async Task ChildWatch_ChildAdded_FiresNodeChildrenChanged()
    {
        await using var client = await TestClients.ConnectAsync();
        await using var root = await TestClients.CreateRootAsync(client, "watch-child");
        var fired = new TaskCompletionSource<ZooKeeperWatchEvent>();

        await client.GetChildrenAsync(root.Path, e => fired.TrySetResult(e));
        await client.CreateAsync(root["c"], ReadOnlyMemory<byte>.Empty);

        var e = await fired.Task.WaitAsync(EventTimeout);
        Assert.Equal(ZooKeeperEventType.NodeChildrenChanged, e.Type);
        Assert.Equal(root.Path, e.Path);
    }

    [Fact]
    public async Task PersistentRecursiveWatch_ChangesBelow_KeepsFiring()
    {
        await using var client = await TestClients.ConnectAsync();
        await using var root = await TestClients.CreateRootAsync(client, "watch-recursive");
        var events = Channel.CreateUnbounded<ZooKeeperWatchEvent>();

        await client.AddWatchAsync(root.Path, AddWatchMode.PersistentRecursive, e => events.Writer.TryWrite(e));
        await client.CreateAsync(root["a"], ReadOnlyMemory<byte>.Empty);
        await client.CreateAsync(root["a"] + "/b", ReadOnlyMemory<byte>.Empty);
        await client.SetDataAsync(root["a"] + "/b", "x"u8.ToArray());
        await client.DeleteAsync(root["a"] + "/b");

        var expected = new[]
        {
            (ZooKeeperEventType.NodeCreated, root["a"]),
            (ZooKeeperEventType.NodeCreated, root["a"] + "/b"),
            (ZooKeeperEventType.NodeDataChanged, root["a"] + "/b"),
            (ZooKeeperEventType.NodeDeleted, root["a"] + "/b"),
        };
        foreach (var (type, path) in expected)
        {
            var e = await events.Reader.ReadAsync().AsTask().WaitAsync(EventTimeout);
            Assert.Equal((type, path), (e.Type, e.Path));
        }

        await client.RemoveWatchesAsync(root.Path, ZooKeeperWatcherType.Any);
        Assert.Equal(0, client.WatchCount);
    }

    [Fact]
    public async Task PersistentWatch_ChildrenChanged_FiresEachTime()
    {
        await using var client = await TestClients.ConnectAsync();
        await using var root = await TestClients.CreateRootAsync(client, "watch-persistent");
        var events = Channel.CreateUnbounded<ZooKeeperWatchEvent>();

        await client.AddWatchAsync(root.Path, AddWatchMode.Persistent, e => events.Writer.TryWrite(e));
        await client.CreateAsync(root["a"], ReadOnlyMemory<byte>.Empty);
        await client.CreateAsync(root["b"], ReadOnlyMemory<byte>.Empty);

        for (var i = 0; i < 2; i++)
        {
            var e = await events.Reader.ReadAsync().AsTask().WaitAsync(EventTimeout);
            Assert.Equal(ZooKeeperEventType.NodeChildrenChanged, e.Type);
        }
    }

    [Fact]
    public async Task RemoveWatches_NoWatch_ThrowsNoWatcher()
    {
        await using var client = await TestClients.ConnectAsync();
        await using var root = await TestClients.CreateRootAsync(client, "watch-none");

        var ex = await Assert.ThrowsAsync<ZooKeeperException>(() => client.RemoveWatchesAsync(root.Path, ZooKeeperWatcherType.Any));

        Assert.Equal(ZooKeeperErrorCode.NoWatcher, ex.Code);
    }

    [Fact]
    public async Task Expiry_PendingWatch_EndsWithExpiredEventAndNewSessionFollows()
    {
        await using var client = await TestClients.ConnectAsync(TimeSpan.FromSeconds(4));
        await using var observer = await TestClients.ConnectAsync();
        await using var root = await TestClients.CreateRootAsync(observer, "expiry");
        var states = Channel.CreateUnbounded<ZooKeeperSessionState>();
        client.StateChanged += (_, e) => states.Writer.TryWrite(e.State);
        var oldSession = client.Session.SessionId;
        await client.CreateAsync(root["eph"], ReadOnlyMemory<byte>.Empty, CreateMode.Ephemeral);
        var watchEnded = new TaskCompletionSource<ZooKeeperWatchEvent>();
        await client.ExistsAsync(root["never"], e => watchEnded.TrySetResult(e));
        var lost = client.ConnectionLostToken;

        await SessionKiller.ExpireAsync(client, TestContext.Current.CancellationToken);

        var ended = await watchEnded.Task.WaitAsync(EventTimeout);
        Assert.Equal(ZooKeeperEventType.None, ended.Type);
        Assert.Equal(ZooKeeperSessionState.Expired, ended.SessionState);
        Assert.True(lost.IsCancellationRequested);
        await WaitForStateAsync(states, ZooKeeperSessionState.Expired);
        await WaitForStateAsync(states, ZooKeeperSessionState.Connected);
        Assert.NotEqual(oldSession, client.Session.SessionId);
        await observer.SyncAsync(root["eph"]);
        Assert.Null(await observer.ExistsAsync(root["eph"]));
    }

    [Fact]
    public async Task Dispose_EphemeralNodes_VanishAtOnce()
    {
        await using var observer = await TestClients.ConnectAsync();
        await using var root = await TestClients.CreateRootAsync(observer, "close");
        var client = await TestClients.ConnectAsync(TimeSpan.FromSeconds(30));
        await client.CreateAsync(root["eph"], ReadOnlyMemory<byte>.Empty, CreateMode.Ephemeral);
        var deleted = new TaskCompletionSource<ZooKeeperWatchEvent>();
        await observer.SyncAsync(root["eph"]);
        Assert.NotNull(await observer.ExistsAsync(root["eph"], e => deleted.TrySetResult(e)));

        await client.DisposeAsync();

        // The session timeout is 30 s: seeing the delete within 15 s proves closeSession, not expiry, removed it.
        Assert.Equal(ZooKeeperEventType.NodeDeleted, (await deleted.Task.WaitAsync(EventTimeout)).Type);
        Assert.Equal(ZooKeeperSessionState.Closed, client.State);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.ExistsAsync("/"));
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
