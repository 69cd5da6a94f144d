using ZkSync.Client;

namespace ZkSync.Recipes.Tests.Locks;

/// <summary>
/// One request over the server's <c>jute.maxbuffer</c> fails on its own; it never costs the connection and with it every
/// lock of the client (review F11).
/// </summary>
public sealed class OversizedRequestTests
{
    [Fact]
    public async Task SetData_LargerThanServerLimit_FailsAlone_AndTheHeldLockIsNotLost()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var (client, provider) = await env.NewContenderAsync();
        await using var held = await provider.AcquireAsync("job", LockTestEnvironment.Patience);
        var connection = client.ConnectionLostToken;
        var path = env.Root + "-big";
        await client.CreateAsync(path, ReadOnlyMemory<byte>.Empty);
        try
        {
            var failure = await Assert.ThrowsAsync<ZooKeeperException>(
                () => client.SetDataAsync(path, new byte[2 * 1024 * 1024]).WaitAsync(LockTestEnvironment.Patience));

            Assert.Equal(ZooKeeperErrorCode.BadArguments, failure.Code);
            Assert.Equal(path, failure.Path);
            Assert.Contains(path, failure.Message, StringComparison.Ordinal);
            Assert.Contains("MaxRequestSize (1047552 bytes)", failure.Message, StringComparison.Ordinal);
            Assert.Contains("setData", failure.Message, StringComparison.Ordinal);

            // A round trip after the refusal: the connection carried on, and the lock was never in doubt.
            Assert.Equal(0, (await client.ExistsAsync(path).WaitAsync(LockTestEnvironment.Patience))!.DataLength);
            Assert.False(connection.IsCancellationRequested);
            Assert.False(held.Lost.IsCancellationRequested);
            Assert.Contains(held, provider.HeldLocks);
        }
        finally
        {
            await client.DeleteAsync(path);
        }
    }

    [Fact]
    public async Task Multi_LargerThanLimit_FailsNamingItsFirstPath_AndTheConnectionStays()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var client = await LockTestEnvironment.ConnectAsync(TimeSpan.FromSeconds(10));
        await using var _ = client;
        var connection = client.ConnectionLostToken;
        var path = env.Root + "-multi";

        var failure = await Assert.ThrowsAsync<ZooKeeperException>(() => client.MultiAsync(
        [
            ZooKeeperOp.Create(path, new byte[600 * 1024]),
            ZooKeeperOp.SetData(path, new byte[600 * 1024]),
        ]).WaitAsync(LockTestEnvironment.Patience));

        Assert.Equal(ZooKeeperErrorCode.BadArguments, failure.Code);
        Assert.Contains($"multi of 2 operations (first path '{path}')", failure.Message, StringComparison.Ordinal);
        Assert.Null(await client.ExistsAsync(path).WaitAsync(LockTestEnvironment.Patience));
        Assert.False(connection.IsCancellationRequested);
    }
}
