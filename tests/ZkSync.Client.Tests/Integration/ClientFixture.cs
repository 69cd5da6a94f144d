using ZkSync.Client;
using ZkSync.TestSupport;

namespace ZkSync.Client.Tests.Integration;

/// <summary>Connects test clients to the real ensemble and gives each test its own znode namespace.</summary>
internal static class TestClients
{
    public static string ConnectionString =>
        ZkSync.TestSupport.ZooKeeperEnsemble.ConnectionString;

    public static TimeSpan Timeout { get; } = TimeSpan.FromSeconds(30);

    public static Task<ZooKeeperClient> ConnectAsync(TimeSpan? sessionTimeout = null, string? connectionString = null, Action<ZooKeeperClientOptions>? configure = null)
    {
        var options = new ZooKeeperClientOptions
        {
            ConnectionString = connectionString ?? ConnectionString,
            SessionTimeout = sessionTimeout ?? TimeSpan.FromSeconds(10),
        };
        configure?.Invoke(options);
        using var cts = new CancellationTokenSource(Timeout);
        return ZooKeeperClient.ConnectAsync(options, cancellationToken: cts.Token);
    }

    /// <summary>Creates a unique root for a test and returns a disposable that deletes it recursively.</summary>
    public static async Task<TestRoot> CreateRootAsync(ZooKeeperClient client, string name)
    {
        var path = "/zksync-tests/" + name + "-" + Guid.NewGuid().ToString("N")[..12];
        await EnsurePathAsync(client, "/zksync-tests");
        await client.CreateAsync(path, ReadOnlyMemory<byte>.Empty);
        return new TestRoot(client, path);
    }

    public static async Task EnsurePathAsync(ZooKeeperClient client, string path)
    {
        try
        {
            await client.CreateAsync(path, ReadOnlyMemory<byte>.Empty);
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NodeExists)
        {
        }
    }

    public static Task DeleteRecursiveAsync(ZooKeeperClient client, string path) => ZooKeeperTree.DeleteAsync(client, path);
}

internal sealed class TestRoot(ZooKeeperClient client, string path) : IAsyncDisposable
{
    public string Path { get; } = path;

    public string this[string child] => Path + "/" + child;

    public async ValueTask DisposeAsync()
    {
        // A test that disturbed the connection (a member stopped, a connection dropped) may still be reconnecting: wait
        // for it, and retry a clean-up cut short by another connection loss.
        for (var attempt = 0; attempt < 5 && client.State is not (ZooKeeperSessionState.Closed or ZooKeeperSessionState.AuthFailed); attempt++)
        {
            try
            {
                using var connected = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                await client.WaitForConnectedAsync(connected.Token);
                await TestClients.DeleteRecursiveAsync(client, Path);
                return;
            }
            catch (ZooKeeperException ex) when (ex.IsTransient)
            {
            }
            catch (OperationCanceledException)
            {
                return; // Not connected again within the patience: the test's nodes are ephemeral or left for the next run's clean slate.
            }
        }
    }
}
