using System.Collections.Concurrent;
using ZkSync.Locks;

namespace ZkSync.Recipes.Tests.Locks;

/// <summary>Shared/exclusive locks against a real ZooKeeper, in both exclusive node formats.</summary>
public sealed class ReadWriteLockTests
{
    private static readonly ZooKeeperLockRequest Shared = new() { Mode = ZooKeeperLockMode.Shared };
    private static readonly ZooKeeperLockRequest Exclusive = new() { Mode = ZooKeeperLockMode.Exclusive };

    public static TheoryData<ExclusiveLockNodeFormat> Formats => [ExclusiveLockNodeFormat.Mutex, ExclusiveLockNodeFormat.WriteLock];

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task TryAcquireAsync_ReadWriteMatrix_SharedWithSharedOnly(ExclusiveLockNodeFormat format)
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var (c1, _) = await env.NewContenderAsync();
        var (c2, _) = await env.NewContenderAsync();
        var one = env.NewProvider(c1, o => o.ExclusiveNodeFormat = format);
        var two = env.NewProvider(c2, o => o.ExclusiveNodeFormat = format);

        // Shared + shared: both granted.
        var r1 = await one.TryAcquireAsync("m", Shared);
        var r2 = await two.TryAcquireAsync("m", Shared);
        Assert.NotNull(r1);
        Assert.NotNull(r2);

        // Shared held: exclusive refused.
        Assert.Null(await two.TryAcquireAsync("m", Exclusive));
        await r1.DisposeAsync();
        Assert.Null(await one.TryAcquireAsync("m", Exclusive));
        await r2.DisposeAsync();

        // Exclusive held: shared and exclusive refused.
        var w = await one.TryAcquireAsync("m", Exclusive);
        Assert.NotNull(w);
        Assert.Null(await two.TryAcquireAsync("m", Shared));
        Assert.Null(await two.TryAcquireAsync("m", Exclusive));
        await w.DisposeAsync();

        Assert.Empty(await env.ChildrenAsync(env.Root + "/m"));
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task AcquireAsync_ZkGemOrder_GrantsExactlyTheDocumentedSets(ExclusiveLockNodeFormat format)
    {
        // Arrange: nodes created in the order [ex00, sh01, sh02, sh03, ex04, ex05, sh06, sh07], from two sessions.
        await using var env = await LockTestEnvironment.CreateAsync();
        var (c1, _) = await env.NewContenderAsync();
        var (c2, _) = await env.NewContenderAsync();
        ZooKeeperLockProvider[] providers = [env.NewProvider(c1, o => o.ExclusiveNodeFormat = format), env.NewProvider(c2, o => o.ExclusiveNodeFormat = format)];
        string[] names = ["ex00", "sh01", "sh02", "sh03", "ex04", "ex05", "sh06", "sh07"];
        var log = new ConcurrentQueue<string>();
        var handles = new Task<ZooKeeperLockHandle>[names.Length];
        var lockPath = env.Root + "/gem";
        for (var i = 0; i < names.Length; i++)
        {
            var request = names[i].StartsWith("sh", StringComparison.Ordinal) ? Shared : Exclusive;
            handles[i] = AcquireAndLogAsync(providers[i % 2], request, names[i], log);
            var created = i + 1;
            await env.WaitForChildrenAsync(lockPath, c => c.Count == created);
        }

        string[][] sets = [["ex00"], ["sh01", "sh02", "sh03"], ["ex04"], ["ex05"], ["sh06", "sh07"]];

        // Act and assert, set by set: the set is granted; then it is released.
        var released = 0;
        foreach (var set in sets)
        {
            var granted = await Task.WhenAll(set.Select(n => handles[Array.IndexOf(names, n)])).WaitAsync(LockTestEnvironment.Patience);
            var grantedTooEarly = handles.Skip(released + set.Length).Where(h => h.IsCompleted).ToArray();
            Assert.Empty(grantedTooEarly);
            foreach (var handle in granted)
            {
                log.Enqueue("release " + handle.OwnerId);
                await handle.DisposeAsync();
            }

            released += set.Length;
        }

        // Every grant came after every release of the sets before it (checked on the full history, not only at the checkpoints).
        var history = log.ToArray();
        for (var s = 1; s < sets.Length; s++)
        {
            foreach (var name in sets[s])
            {
                var grantedAt = Array.IndexOf(history, "acquire " + name);
                foreach (var earlier in sets[s - 1])
                {
                    Assert.True(Array.IndexOf(history, "release " + earlier) < grantedAt, $"{name} granted before {earlier} released: {string.Join(", ", history)}");
                }
            }
        }

        Assert.Empty(await env.ChildrenAsync(lockPath));
    }

    [Fact]
    public async Task AcquireAsync_WriterQueuedBehindReaders_LaterReaderWaitsForTheWriter()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        var (_, readers) = await env.NewContenderAsync();
        var (_, writers) = await env.NewContenderAsync();
        var r1 = await readers.AcquireAsync("doc", Shared, TimeSpan.FromSeconds(10));
        var writing = writers.AcquireAsync("doc", Exclusive, LockTestEnvironment.Patience).AsTask();
        await env.WaitForChildrenAsync(r1.LockPath, c => c.Count == 2);

        // Readers never starve writers: a reader arriving after the queued writer does not join r1.
        Assert.Null(await readers.TryAcquireAsync("doc", Shared, TimeSpan.FromMilliseconds(200)));
        var lateReader = readers.AcquireAsync("doc", Shared, LockTestEnvironment.Patience).AsTask();
        await env.WaitForChildrenAsync(r1.LockPath, c => c.Count == 3);
        await r1.DisposeAsync();

        var writer = await writing.WaitAsync(LockTestEnvironment.Patience);
        Assert.False(lateReader.IsCompleted);
        await writer.DisposeAsync();
        await using var reader = await lateReader.WaitAsync(LockTestEnvironment.Patience);
    }

    private static async Task<ZooKeeperLockHandle> AcquireAndLogAsync(ZooKeeperLockProvider provider, ZooKeeperLockRequest mode, string name, ConcurrentQueue<string> log)
    {
        var request = new ZooKeeperLockRequest { Mode = mode.Mode, OwnerId = name };
        var handle = await provider.AcquireAsync("gem", request, LockTestEnvironment.Patience);
        log.Enqueue("acquire " + name);
        return handle;
    }
}
