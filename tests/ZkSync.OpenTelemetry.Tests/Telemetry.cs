using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Trace;
using ZkSync.Client;
using ZkSync.TestSupport;

namespace ZkSync.OpenTelemetry.Tests;

/// <summary>An OpenTelemetry tracer provider with ZkSync's instrumentation and an in-memory exporter.</summary>
internal sealed class TraceCapture : IDisposable
{
    /// <summary>The test's own source, for the parent spans a caller would have (a request, a job).</summary>
    public static readonly ActivitySource TestSource = new("ZkSync.OpenTelemetry.Tests");

    private readonly List<Activity> _exported = [];
    private readonly TracerProvider _provider;

    public TraceCapture()
    {
        _provider = Sdk.CreateTracerProviderBuilder()
            .AddSource(TestSource.Name)
            .AddZkSyncInstrumentation()
            .SetSampler(new AlwaysOnSampler())
            .AddInMemoryExporter(_exported)
            .Build();
    }

    /// <summary>The spans exported so far (a span is exported when it stops).</summary>
    public IReadOnlyList<Activity> Spans
    {
        get
        {
            lock (_exported)
            {
                return [.. _exported];
            }
        }
    }

    /// <summary>The spans of one trace.</summary>
    public IReadOnlyList<Activity> TraceOf(Activity root) => [.. Spans.Where(s => s.TraceId == root.TraceId)];

    public void Dispose() => _provider.Dispose();
}

internal static class TestClients
{
    public static TimeSpan Timeout { get; } = TimeSpan.FromSeconds(30);

    public static Task<ZooKeeperClient> ConnectAsync()
    {
        using var cts = new CancellationTokenSource(Timeout);
        return ZooKeeperClient.ConnectAsync(
            new ZooKeeperClientOptions { ConnectionString = ZooKeeperEnsemble.ConnectionString, SessionTimeout = TimeSpan.FromSeconds(10) },
            cancellationToken: cts.Token);
    }

    /// <summary>A unique top-level path for a test (not created).</summary>
    public static string UniqueRoot(string name) => "/zksync-otel-" + name + "-" + Guid.NewGuid().ToString("N")[..12];

    public static async Task DeleteRecursiveAsync(ZooKeeperClient client, string path)
    {
        IReadOnlyList<string> children;
        try
        {
            children = await client.GetChildrenAsync(path);
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
        {
            return;
        }

        foreach (var child in children)
        {
            await DeleteRecursiveAsync(client, ZkPath.Combine(path, child));
        }

        try
        {
            await client.DeleteAsync(path);
        }
        catch (ZooKeeperException ex) when (ex.Code is ZooKeeperErrorCode.NoNode or ZooKeeperErrorCode.NotEmpty)
        {
        }
    }
}
