using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using ZkSync.Client;
using ZkSync.Locks;
using ZkSync.TestSupport;

namespace ZkSync.Recipes.Tests.Locks;

/// <summary>Round trips per acquisition (counted from the client's own meter) and connection drops that keep the session.</summary>
public sealed class LockConnectionTests
{
    [Fact]
    public async Task AcquireAsync_Uncontended_CreatesAndListsOnceThenDeletesOnce_NothingElse()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        using var counter = new RequestCounter();
        await using var client = await counter.ConnectAsync();
        var provider = env.NewProvider(client);
        await (await provider.AcquireAsync("warm", TimeSpan.FromSeconds(10))).DisposeAsync(); // parents exist now
        counter.Reset();

        var handle = await provider.AcquireAsync("warm", TimeSpan.FromSeconds(10));
        var acquiring = counter.Snapshot();
        await handle.DisposeAsync();

        Assert.Equal(1, acquiring.GetValueOrDefault("create"));
        Assert.Equal(1, acquiring.GetValueOrDefault("getChildren"));
        Assert.Equal(0, acquiring.GetValueOrDefault("getData"));
        var released = counter.Snapshot();
        Assert.Equal(1, released.GetValueOrDefault("delete"));

        // The listing's child watch guarded the node while it held: no exists of its own.
        Assert.Equal(["create", "delete", "getChildren"], released.Keys.Order());
    }

    [Fact]
    public async Task AcquireAsync_NewName_CreatesItsContainerInTheSameRoundTrip_OnlyTheFirstTime()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        using var counter = new RequestCounter();
        await using var client = await counter.ConnectAsync();
        var provider = env.NewProvider(client);
        await (await provider.AcquireAsync("orders/1", TimeSpan.FromSeconds(10))).DisposeAsync(); // root and orders/ exist now
        counter.Reset();

        // A name never used: its container create goes out ahead of the node's create, so no create fails with NoNode.
        await (await provider.AcquireAsync("orders/2", TimeSpan.FromSeconds(10))).DisposeAsync();
        var first = counter.Snapshot();
        Assert.Equal(1, first.GetValueOrDefault("createContainer"));
        Assert.Equal(1, first.GetValueOrDefault("create"));
        Assert.Equal(1, first.GetValueOrDefault("getChildren"));

        // The same name again: its container is known to exist, nothing extra is sent.
        counter.Reset();
        await (await provider.AcquireAsync("orders/2", TimeSpan.FromSeconds(10))).DisposeAsync();
        Assert.Equal(0, counter.Snapshot().GetValueOrDefault("createContainer"));
    }

    [Fact]
    public async Task AcquireAsync_ContainerReapedSinceItWasLastUsed_RetriesWithTheContainerCreateInOneRoundTrip()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        await using var proxy = new FaultProxy(ZooKeeperEnsemble.GetMemberEndPoint(1));
        var options = new ZooKeeperClientOptions { ConnectionString = proxy.Endpoint, SessionTimeout = TimeSpan.FromSeconds(10) };
        await using var client = await ZooKeeperClient.ConnectAsync(options, cancellationToken: new CancellationTokenSource(LockTestEnvironment.Patience).Token);
        var provider = env.NewProvider(client);
        var lockPath = env.Root + "/orders/7";
        await (await provider.AcquireAsync("orders/7", TimeSpan.FromSeconds(10))).DisposeAsync(); // known to exist now
        await env.Admin.DeleteAsync(lockPath); // what the server's container reaper does to an empty lock node

        // Replies take 100 ms more, so a request sent without waiting for the one before it is sure to be sent before
        // that one's reply is read.
        proxy.Mode = FaultMode.Delay(TimeSpan.FromMilliseconds(50));
        using var spans = new SpanLog(lockPath);
        await (await provider.AcquireAsync("orders/7", TimeSpan.FromSeconds(10))).DisposeAsync();

        // The create finds the lock node gone (a stale hint): the retry sends the container create and the node's
        // create together, instead of waiting for the container create first (one round trip, not two).
        var events = spans.Events;
        var failedCreate = events.IndexOf("stop create NoNode");
        var containerCreated = events.IndexOf("stop createContainer ok");
        var retried = events.IndexOf("start create", failedCreate + 1);
        Assert.True(failedCreate >= 0 && containerCreated > failedCreate && retried > failedCreate, string.Join(", ", events));
        Assert.True(retried < containerCreated, string.Join(", ", events));
        Assert.Equal(1, events.Count(e => e == "stop create ok"));
        Assert.Empty(await env.ChildrenAsync(lockPath));
    }

    [Fact]
    public async Task AcquireAsync_ContainerCreatedButNodeRefused_LeavesNoEmptyContainer()
    {
        // The configured ACL lets the container be created (its parent is open) but refuses the node under it. A container
        // that never had a child is never reaped by ZooKeeper, so the provider must delete it itself.
        await using var env = await LockTestEnvironment.CreateAsync();
        await env.Admin.CreateAsync(env.Root, ReadOnlyMemory<byte>.Empty);
        var (_, provider) = await env.NewContenderAsync(o => o.Acl = [new(ZooKeeperPermissions.Read | ZooKeeperPermissions.Delete | ZooKeeperPermissions.Admin, "world", "anyone")]);

        var refused = await Assert.ThrowsAsync<ZooKeeperException>(() => provider.AcquireAsync("refused", TimeSpan.FromSeconds(10)).AsTask());

        Assert.Equal(ZooKeeperErrorCode.NoAuth, refused.Code);
        await env.WaitForDeletionAsync(env.Root + "/refused", LockTestEnvironment.Patience);
    }

    [Fact]
    public async Task TryAcquireAsync_FoundHeldLastTime_LooksBeforeCreating_AndTakesItOnceFree()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var (_, holderProvider) = await env.NewContenderAsync();
        using var counter = new RequestCounter();
        await using var client = await counter.ConnectAsync();
        var provider = env.NewProvider(client);
        var holder = await holderProvider.AcquireAsync("hot", TimeSpan.FromSeconds(10));
        Assert.Null(await provider.TryAcquireAsync("hot")); // queues a node and deletes it again
        counter.Reset();

        Assert.Null(await provider.TryAcquireAsync("hot"));

        var refused = counter.Snapshot();
        Assert.Equal(0, refused.GetValueOrDefault("create"));
        Assert.Equal(0, refused.GetValueOrDefault("delete"));
        Assert.Equal(1, refused.GetValueOrDefault("getChildren"));
        Assert.Equal(["hot"], (await env.ChildrenAsync(env.Root)).ToArray()); // nothing of ours left behind either
        Assert.Single(await env.ChildrenAsync(holder.LockPath));

        await holder.DisposeAsync();
        await using var taken = await provider.TryAcquireAsync("hot");
        Assert.NotNull(taken);
    }

    [Fact]
    public async Task AcquireAsync_HeadReleased_NextTakesLockWithoutListingAgain()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var (_, holderProvider) = await env.NewContenderAsync();
        using var counter = new RequestCounter();
        await using var client = await counter.ConnectAsync();
        var waiterProvider = env.NewProvider(client);
        var holder = await holderProvider.AcquireAsync("handoff", TimeSpan.FromSeconds(10));
        var watchSet = counter.WhenCountReaches("getData", 1);
        var waiting = waiterProvider.AcquireAsync("handoff", LockTestEnvironment.Patience).AsTask();
        await watchSet.WaitAsync(LockTestEnvironment.Patience); // the waiter watches the head now

        await holder.DisposeAsync();
        await using var handle = await waiting;

        var requests = counter.Snapshot();
        Assert.Equal(1, requests.GetValueOrDefault("create"));
        Assert.Equal(1, requests.GetValueOrDefault("getChildren")); // the pipelined one only
        Assert.Equal(1, requests.GetValueOrDefault("getData"));     // the watch on the head
    }

    [Fact]
    public async Task AcquireAsync_WaiterConnectionDropped_KeepsItsPlaceAndAcquires()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var (_, holderProvider) = await env.NewContenderAsync();
        var (waiterClient, waiterProvider) = await env.NewContenderAsync();
        var holder = await holderProvider.AcquireAsync("job", TimeSpan.FromSeconds(10));
        var waiting = waiterProvider.AcquireAsync("job", LockTestEnvironment.Patience).AsTask();
        var line = await env.WaitForChildrenAsync(holder.LockPath, c => c.Count == 2);
        var session = waiterClient.Session.SessionId;

        await LockTestEnvironment.DropConnectionAsync(waiterClient);
        await waiterClient.WaitForConnectedAsync().WaitAsync(LockTestEnvironment.Patience);
        await holder.DisposeAsync();

        await using var handle = await waiting.WaitAsync(LockTestEnvironment.Patience);
        Assert.Equal(session, waiterClient.Session.SessionId);
        Assert.Contains(handle.NodePath[(handle.LockPath.Length + 1)..], line); // the same node: it kept its place
    }

    [Fact]
    public async Task Lost_HolderConnectionDropped_FiresAndNodeStaysUntilDisposed()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var (holderClient, holderProvider) = await env.NewContenderAsync();
        var holder = await holderProvider.AcquireAsync("job", TimeSpan.FromSeconds(10));

        await LockTestEnvironment.DropConnectionAsync(holderClient);

        await LockTestEnvironment.WhenCancelled(holder.Lost).WaitAsync(LockTestEnvironment.Patience);
        await holderClient.WaitForConnectedAsync().WaitAsync(LockTestEnvironment.Patience);
        Assert.NotNull(await env.ExistsAsync(holder.NodePath)); // the session survived: still in line, first
        Assert.Empty(holderProvider.HeldLocks);
        await holder.DisposeAsync();
        Assert.Null(await env.ExistsAsync(holder.NodePath));
    }

    /// <summary>Counts completed requests by operation, from the meter of clients it connects (only those).</summary>
    /// <summary>
    /// The client's request spans on one path and below it, in the order they started and stopped ("start create",
    /// "stop create NoNode", "stop createContainer ok"…).
    /// </summary>
    private sealed class SpanLog : IDisposable
    {
        private readonly string _path;
        private readonly ActivityListener _listener;
        private readonly List<(bool Started, Activity Activity)> _callbacks = [];

        public SpanLog(string path)
        {
            _path = path;
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == "ZkSync",
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
                ActivityStarted = activity => Add(true, activity), // its tags are set after this callback
                ActivityStopped = activity => Add(false, activity),
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public List<string> Events
        {
            get
            {
                lock (_callbacks)
                {
                    return [.. _callbacks.Where(c => IsOurs(c.Activity)).Select(c => c.Started
                        ? "start " + c.Activity.DisplayName
                        : "stop " + c.Activity.DisplayName + " " + Outcome(c.Activity))];
                }
            }
        }

        public void Dispose() => _listener.Dispose();

        private static string Outcome(Activity activity) =>
            activity.GetTagItem("db.response.status_code") is string code
                ? ((ZooKeeperErrorCode)int.Parse(code, System.Globalization.CultureInfo.InvariantCulture)).ToString()
                : "ok";

        private bool IsOurs(Activity activity) =>
            activity.GetTagItem("zookeeper.path") is string at && (at == _path || at.StartsWith(_path + "/", StringComparison.Ordinal));

        private void Add(bool started, Activity activity)
        {
            lock (_callbacks)
            {
                _callbacks.Add((started, activity));
            }
        }
    }

    private sealed class RequestCounter : IMeterFactory
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentDictionary<string, long> _counts = new();
        private readonly List<Meter> _meters = [];
        private readonly List<(string Operation, long Count, TaskCompletionSource Reached)> _waiters = [];

        public RequestCounter()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                lock (_meters)
                {
                    if (instrument.Name == "db.client.operation.duration" && _meters.Contains(instrument.Meter))
                    {
                        listener.EnableMeasurementEvents(instrument);
                    }
                }
            };
            _listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "db.operation.name")
                    {
                        var operation = (string)tag.Value!;
                        var count = _counts.AddOrUpdate(operation, 1, (_, old) => old + 1);
                        lock (_waiters)
                        {
                            foreach (var waiter in _waiters.Where(w => w.Operation == operation && count >= w.Count))
                            {
                                waiter.Reached.TrySetResult();
                            }
                        }
                    }
                }
            });
            _listener.Start();
        }

        public Task<ZooKeeperClient> ConnectAsync() => ZooKeeperClient.ConnectAsync(
            new ZooKeeperClientOptions { ConnectionString = LockTestEnvironment.ConnectionString, SessionTimeout = TimeSpan.FromSeconds(10) },
            meterFactory: this, cancellationToken: TestContext.Current.CancellationToken);

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            lock (_meters)
            {
                _meters.Add(meter);
            }

            return meter;
        }

        public void Reset() => _counts.Clear();

        /// <summary>Completes once <paramref name="count"/> requests of <paramref name="operation"/> have completed (replies processed, watches registered).</summary>
        public Task WhenCountReaches(string operation, long count)
        {
            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_waiters)
            {
                _waiters.Add((operation, count, reached));
                if (_counts.GetValueOrDefault(operation) >= count)
                {
                    reached.TrySetResult();
                }
            }

            return reached.Task;
        }

        public Dictionary<string, long> Snapshot() => new(_counts);

        public void Dispose()
        {
            _listener.Dispose();
            lock (_meters)
            {
                foreach (var meter in _meters)
                {
                    meter.Dispose();
                }
            }
        }
    }
}
