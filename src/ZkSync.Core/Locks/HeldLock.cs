using ZkSync.Client;
using ZkSync.Internal.Recipes;

namespace ZkSync.Locks;

/// <summary>One lock node this process holds; shared by the handles of reentrant holds of the same owner.</summary>
internal sealed class HeldLock
{
    private readonly ZooKeeperClient _client;
    private readonly ZooKeeperLockProvider _provider;
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenRegistration _connectionRegistration;
    private int _holds = 1;

    public HeldLock(ZooKeeperClient client, ZooKeeperLockProvider provider, string name, string lockPath,
        SequentialNodeQueue.OwnNode node, ZooKeeperLockMode mode, string? ownerId, CancellationToken connectionLost)
    {
        _client = client;
        _provider = provider;
        Name = name;
        LockPath = lockPath;
        Node = node;
        Mode = mode;
        OwnerId = ownerId;
        AcquiredAt = DateTimeOffset.UtcNow;
        _connectionRegistration = connectionLost.UnsafeRegister(static s => ((HeldLock)s!).MarkLost(), this);
    }

    public string Name { get; }

    public string LockPath { get; }

    public SequentialNodeQueue.OwnNode Node { get; }

    public ZooKeeperLockMode Mode { get; }

    public string? OwnerId { get; }

    public DateTimeOffset AcquiredAt { get; }

    public CancellationToken Lost => _lost.Token;

    public int HoldCount => Volatile.Read(ref _holds);

    /// <summary>Adds a reentrant hold; false once the lock is released or lost.</summary>
    public bool TryAddHold()
    {
        while (true)
        {
            var holds = Volatile.Read(ref _holds);
            if (holds <= 0 || _lost.IsCancellationRequested)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _holds, holds + 1, holds) == holds)
            {
                return true;
            }
        }
    }

    /// <summary>Watches our own node: its deletion, or the end of the session, means the lock is lost.</summary>
    public async Task WatchOwnNodeAsync()
    {
        while (!_lost.IsCancellationRequested)
        {
            var fired = new TaskCompletionSource<ZooKeeperWatchEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
            try
            {
                var stat = await _client.ExistsAsync(Node.Path, e => fired.TrySetResult(e)).ConfigureAwait(false);
                if (stat is null || stat.EphemeralOwner != Node.Stat.EphemeralOwner)
                {
                    MarkLost();
                    return;
                }
            }
#pragma warning disable CA1031 // Any failure to confirm the node means it can no longer be trusted.
            catch (Exception)
#pragma warning restore CA1031
            {
                MarkLost();
                return;
            }

            var e = await fired.Task.ConfigureAwait(false);
            if (e.Type is ZooKeeperEventType.NodeDeleted or ZooKeeperEventType.None)
            {
                MarkLost();
                return;
            }
        }
    }

    public void MarkLost()
    {
        try
        {
            _lost.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public async ValueTask ReleaseOneAsync()
    {
        if (Interlocked.Decrement(ref _holds) > 0)
        {
            return;
        }

        _provider.Forget(this);
        MarkLost();
        await _connectionRegistration.DisposeAsync().ConfigureAwait(false);
        await SequentialNodeQueue.DeleteAsync(_client, Node.Path, Node.Stat.EphemeralOwner, CancellationToken.None).ConfigureAwait(false);
    }
}
