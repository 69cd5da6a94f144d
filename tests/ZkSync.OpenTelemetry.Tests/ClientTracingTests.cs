using System.Diagnostics;
using ZkSync.Client;

namespace ZkSync.OpenTelemetry.Tests;

public sealed class ClientTracingTests
{
    [Fact]
    public async Task ActivityCurrent_IsUnchanged_AfterAwaitedClientCalls()
    {
        using var capture = new TraceCapture();
        await using var client = await TestClients.ConnectAsync();
        var root = TestClients.UniqueRoot("current");

        using (var operation = TraceCapture.TestSource.StartActivity("user-operation"))
        {
            Assert.NotNull(operation);
            await client.ExistsAsync(root);
            Assert.Same(operation, Activity.Current);
            await client.CreateAsync(root, ReadOnlyMemory<byte>.Empty);
            Assert.Same(operation, Activity.Current);
            await Assert.ThrowsAsync<ZooKeeperException>(() => client.GetDataAsync(root + "/missing"));
            Assert.Same(operation, Activity.Current);
            await client.DeleteAsync(root);
            Assert.Same(operation, Activity.Current);

            // The caller's next span is a sibling of the ZooKeeper spans, not a child of a stopped one.
            using var next = TraceCapture.TestSource.StartActivity("next-step");
            Assert.Equal(operation.SpanId, next!.ParentSpanId);
        }

        // Without a caller span, none is left current either.
        Assert.Null(Activity.Current);
        await client.ExistsAsync(root);
        Assert.Null(Activity.Current);
    }

    [Fact]
    public async Task PipelinedRequests_AreSiblingsUnderTheCallersSpan()
    {
        using var capture = new TraceCapture();
        await using var client = await TestClients.ConnectAsync();
        var root = TestClients.UniqueRoot("siblings");
        Activity operation;
        using (operation = TraceCapture.TestSource.StartActivity("user-operation")!)
        {
            // Submitted from one flow without awaiting in between: pipelined on the connection.
            var first = client.ExistsAsync(root + "/a");
            var second = client.ExistsAsync(root + "/b");
            var third = client.GetChildrenAsync("/");
            await Task.WhenAll(first, second, third);
        }

        var trace = capture.TraceOf(operation);
        var zookeeper = trace.Where(s => s.Source.Name == ZkSyncDiagnostics.SourceName).ToList();
        Assert.Equal(3, zookeeper.Count);
        Assert.All(zookeeper, span =>
        {
            Assert.Equal(operation.SpanId, span.ParentSpanId);
            Assert.Equal(ActivityKind.Client, span.Kind);
            Assert.True(span.StartTimeUtc + span.Duration <= operation.StartTimeUtc + operation.Duration, $"{span.DisplayName} ended after its parent");
        });
    }
}
