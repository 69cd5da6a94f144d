using Microsoft.Extensions.Logging.Abstractions;
using ZkSync.Client;
using ZkSync.Internal.Recipes;

namespace ZkSync.Recipes.Tests.Locks;

/// <summary>
/// Finding our node after a create reply was lost (Curator protected mode), against a real ZooKeeper. The lost reply
/// is staged: the node is created as the lost create would have created it, then the recovery step runs.
/// </summary>
public sealed class ProtectedCreateTests
{
    [Fact]
    public async Task RecoverAsync_NodeOfCurrentSession_IsAdopted()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var (client, _) = await env.NewContenderAsync();
        var queue = NewQueue(env, client);
        var protection = ProtectedNodeName.GetProtection(Guid.NewGuid());
        await SequentialNodeQueue.EnsureContainerAsync(client, queue.ParentPath, null, CancellationToken.None);
        var lost = await client.CreateAsync(queue.ParentPath + "/" + protection + "lock-", ReadOnlyMemory<byte>.Empty, CreateMode.EphemeralSequential);

        var recovered = await queue.RecoverAsync(protection, CancellationToken.None, CancellationToken.None);

        Assert.NotNull(recovered);
        Assert.Equal(lost.Path, recovered.Entry.Path);
        Assert.Equal(lost.Stat.Czxid, recovered.Entry.Stat.Czxid);
        Assert.Equal(client.Session.SessionId, recovered.Entry.SessionId);
        Assert.Contains(recovered.Entry.Name, recovered.Children!);
    }

    [Fact]
    public async Task RecoverAsync_NodeOfAnotherSession_IsDeletedNotAdopted()
    {
        // CURATOR-498: the create went through on a session that has since ended on our side.
        await using var env = await LockTestEnvironment.CreateAsync();
        var (client, _) = await env.NewContenderAsync();
        var (oldSession, _) = await env.NewContenderAsync();
        var queue = NewQueue(env, client);
        var protection = ProtectedNodeName.GetProtection(Guid.NewGuid());
        await SequentialNodeQueue.EnsureContainerAsync(client, queue.ParentPath, null, CancellationToken.None);
        var stale = await oldSession.CreateAsync(queue.ParentPath + "/" + protection + "lock-", ReadOnlyMemory<byte>.Empty, CreateMode.EphemeralSequential);

        var recovered = await queue.RecoverAsync(protection, CancellationToken.None, CancellationToken.None);

        Assert.Null(recovered);
        Assert.Null(await env.ExistsAsync(stale.Path));
    }

    [Fact]
    public async Task RecoverAsync_NoNodeCreated_ReturnsNull()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var (client, _) = await env.NewContenderAsync();
        var queue = NewQueue(env, client);

        var recovered = await queue.RecoverAsync(ProtectedNodeName.GetProtection(Guid.NewGuid()), CancellationToken.None, CancellationToken.None);

        Assert.Null(recovered);
    }

    [Fact]
    public async Task EnterAsync_ParentsMissing_CreatesContainersAndListsInOneGo()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var (client, _) = await env.NewContenderAsync();
        var queue = NewQueue(env, client, "/a/b/c");

        var entered = await queue.EnterAsync("latch-", "id-1"u8.ToArray(), createParent: false, CancellationToken.None);

        Assert.StartsWith(env.Root + "/a/b/c/_c_", entered.Entry.Path, StringComparison.Ordinal);
        Assert.EndsWith("-latch-0000000000", entered.Entry.Path, StringComparison.Ordinal);
        Assert.Equal([entered.Entry.Name], entered.Children);
        Assert.Equal(0, (await env.ExistsAsync(env.Root + "/a"))!.EphemeralOwner);
    }

    private static SequentialNodeQueue NewQueue(LockTestEnvironment env, ZooKeeperClient client, string suffix = "/queue") =>
        new(client, env.Root + suffix, null, new NodeCleaner(client, NullLogger.Instance), NullLogger.Instance);
}
