using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using ZkSync.Client;

namespace ZkSync.Client.Tests.Integration;

public sealed class DiagnosticsTests
{
    [Fact]
    public async Task Requests_AreCountedTimedAndTraced()
    {
        var measurements = new ConcurrentBag<(string Instrument, string? Operation, string? Status, string? ErrorType)>();
        using var meterListener = new MeterListener();
        meterListener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == ZkSyncDiagnostics.SourceName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        meterListener.SetMeasurementEventCallback<double>((instrument, _, tags, _) =>
            measurements.Add((instrument.Name, Tag(tags, "db.operation.name"), Tag(tags, "db.response.status_code"), Tag(tags, "error.type"))));
        meterListener.Start();
        var activities = new ConcurrentBag<Activity>();
        using var activityListener = ListenToSpans(activities);
        await using var client = await TestClients.ConnectAsync();
        var path = "/zksync-diag-" + Guid.NewGuid().ToString("N");

        await Assert.ThrowsAsync<ZooKeeperException>(() => client.GetDataAsync(path));

        // NoNode answers the question asked: a status code, not an error.
        Assert.Contains(("db.client.operation.duration", "getData", "-101", (string?)null), measurements);
        var activity = Assert.Single(activities, a => a.GetTagItem("zookeeper.path") as string == path);
        Assert.Equal("getData", activity.DisplayName);
        Assert.Equal(ActivityKind.Client, activity.Kind);
        Assert.Equal(ActivityStatusCode.Unset, activity.Status);
        Assert.Equal("zookeeper", activity.GetTagItem("db.system.name"));
        Assert.Equal("getData", activity.GetTagItem("db.operation.name"));
        Assert.Equal("-101", activity.GetTagItem("db.response.status_code"));
        Assert.NotNull(activity.GetTagItem("server.address"));
        Assert.IsType<int>(activity.GetTagItem("server.port"));
        Assert.Null(activity.GetTagItem("error.type"));
    }

    [Fact]
    public async Task FailedRequest_IsAnErrorWithItsType()
    {
        var activities = new ConcurrentBag<Activity>();
        using var activityListener = ListenToSpans(activities);
        await using var client = await TestClients.ConnectAsync();
        var path = "/zksync-diag-" + Guid.NewGuid().ToString("N");

        // "auth" ACLs need an authenticated identity, which this session does not have: the server answers InvalidACL.
        var denied = await Assert.ThrowsAsync<ZooKeeperException>(() => client.CreateAsync(path, ReadOnlyMemory<byte>.Empty, CreateMode.Persistent, ZooKeeperAcl.CreatorAll));

        var activity = Assert.Single(activities, a => a.GetTagItem("zookeeper.path") as string == path);
        Assert.Equal(ActivityStatusCode.Error, activity.Status);
        Assert.Equal(denied.Code.ToString(), activity.GetTagItem("error.type"));
    }

    [Fact]
    public async Task SessionsGauge_CountsNoClientOnceDisposed_AlsoAfterAuthFailed()
    {
        using var meters = new TestMeterFactory();
        var sums = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (meters.Owns(instrument.Meter) && instrument.Name == "zksync.client.sessions")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            sums.AddOrUpdate(Tag(tags, "zksync.session.state") ?? "?", value, (_, old) => old + value));
        listener.Start();
        var options = new ZooKeeperClientOptions { ConnectionString = TestClients.ConnectionString, SessionTimeout = TimeSpan.FromSeconds(10) };
        options.AuthInfo.Add(new ZooKeeperAuthInfo("no-such-scheme", "x:y"u8.ToArray()));
        var client = new ZooKeeperClient(options, meterFactory: meters);
        var failed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.StateChanged += (_, e) =>
        {
            if (e.State == ZooKeeperSessionState.AuthFailed)
            {
                failed.TrySetResult();
            }
        };
        if (client.State == ZooKeeperSessionState.AuthFailed)
        {
            failed.TrySetResult();
        }

        await failed.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(1, sums.GetValueOrDefault("auth_failed"));

        await client.DisposeAsync();

        Assert.All(sums, sum => Assert.True(sum.Value == 0, $"{sum.Key}: {sum.Value}"));
    }

    /// <summary>Meters of one test only, so that other tests' clients do not count.</summary>
    private sealed class TestMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public bool Owns(Meter meter)
        {
            lock (_meters)
            {
                return _meters.Contains(meter);
            }
        }

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            lock (_meters)
            {
                _meters.Add(meter);
            }

            return meter;
        }

        public void Dispose()
        {
            lock (_meters)
            {
                _meters.ForEach(m => m.Dispose());
            }
        }
    }

    private static ActivityListener ListenToSpans(ConcurrentBag<Activity> stopped)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == ZkSyncDiagnostics.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Add,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }

    private static string? Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string name)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == name)
            {
                return tag.Value as string;
            }
        }

        return null;
    }
}
