using ZkSync.Client;

namespace ZkSync.AspNetCore.Internal;

/// <summary>Remembers when the shared client's session state last changed (for the health check).</summary>
internal sealed class ZkSyncSessionTracker : IDisposable
{
    private readonly ZooKeeperClient _client;
    private readonly TimeProvider _time;
    private long _sinceTicks;

    public ZkSyncSessionTracker(ZooKeeperClient client, TimeProvider? time = null)
    {
        _client = client;
        _time = time ?? TimeProvider.System;
        _sinceTicks = _time.GetUtcNow().UtcTicks;
        client.StateChanged += OnStateChanged;
    }

    /// <summary>When the current state began (or when tracking began).</summary>
    public DateTimeOffset StateSince => new(Interlocked.Read(ref _sinceTicks), TimeSpan.Zero);

    public void Dispose() => _client.StateChanged -= OnStateChanged;

    private void OnStateChanged(object? sender, ZooKeeperSessionStateChangedEventArgs e) =>
        Interlocked.Exchange(ref _sinceTicks, _time.GetUtcNow().UtcTicks);
}
