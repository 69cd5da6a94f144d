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
        var measurements = new ConcurrentBag<(string Instrument, string? Operation, string? Outcome)>();
        using var meterListener = new MeterListener();
        meterListener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == ZkSyncDiagnostics.SourceName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        meterListener.SetMeasurementEventCallback<long>((instrument, _, tags, _) => measurements.Add((instrument.Name, Tag(tags, "zookeeper.operation"), Tag(tags, "zookeeper.outcome"))));
        meterListener.SetMeasurementEventCallback<double>((instrument, _, tags, _) => measurements.Add((instrument.Name, Tag(tags, "zookeeper.operation"), Tag(tags, "zookeeper.outcome"))));
        meterListener.Start();
        var activities = new ConcurrentBag<Activity>();
        using var activityListener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == ZkSyncDiagnostics.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activities.Add,
        };
        ActivitySource.AddActivityListener(activityListener);
        await using var client = await TestClients.ConnectAsync();
        var path = "/zksync-diag-" + Guid.NewGuid().ToString("N");

        await Assert.ThrowsAsync<ZooKeeperException>(() => client.GetDataAsync(path));

        Assert.Contains(("zksync.client.requests", "getData", "NoNode"), measurements);
        Assert.Contains(("zksync.client.request.duration", "getData", "NoNode"), measurements);
        var activity = Assert.Single(activities, a => a.GetTagItem("zookeeper.path") as string == path);
        Assert.Equal("zookeeper getData", activity.DisplayName);
        Assert.Equal(ActivityStatusCode.Error, activity.Status);
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
