using ZkSync.Client;
using ZkSync.Locks;

namespace ZkSync.Recipes.Tests.Locks;

/// <summary>Clients on the real ensemble and a unique lock root per test, deleted afterwards.</summary>
public abstract class LockTestBase : IAsyncLifetime
{
    protected static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly List<ZooKeeperClient> _clients = [];

    protected string Root { get; } = "/zksync-tests/locks-" + Guid.NewGuid().ToString("N")[..12];

    protected static string ConnectionString =>
        Environment.GetEnvironmentVariable("ZKSYNC_TEST_CONNECTION") is { Length: > 0 } value
            ? value
            : "127.0.0.1:42181,127.0.0.1:42182,127.0.0.1:42183";

    protected async Task<ZooKeeperClient> ConnectAsync(TimeSpan? sessionTimeout = null)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var client = await ZooKeeperClient.ConnectAsync(
            new ZooKeeperClientOptions { ConnectionString = ConnectionString, SessionTimeout = sessionTimeout ?? TimeSpan.FromSeconds(10) },
            cancellationToken: cts.Token);
        _clients.Add(client);
        return client;
    }

    protected async Task<ZooKeeperLockProvider> ProviderAsync(LockReentrancy reentrancy = LockReentrancy.Reentrant) =>
        new(await ConnectAsync(), new ZooKeeperLockOptions { RootPath = Root, Reentrancy = reentrancy });

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }

        await using var cleaner = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectionString = ConnectionString });
        await DeleteRecursiveAsync(cleaner, Root);
        GC.SuppressFinalize(this);
    }

    protected static async Task DeleteRecursiveAsync(ZooKeeperClient client, string path)
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

    /// <summary>Lists the contenders of a lock; empty when the (container) lock node is gone.</summary>
    protected static async Task<IReadOnlyList<string>> ContendersAsync(ZooKeeperClient client, string lockPath)
    {
        try
        {
            return await client.GetChildrenAsync(lockPath);
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
        {
            return [];
        }
    }
}
