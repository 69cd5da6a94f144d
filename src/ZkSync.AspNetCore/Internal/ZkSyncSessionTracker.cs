using ZkSync.Client;

namespace ZkSync.AspNetCore.Internal;

/// <summary>
/// Remembers when the shared client's session state last changed and who the server says the session is (<c>whoAmI</c>,
/// ZooKeeper 3.7+), for the health check. The identities are asked for once (again only after a failure that may pass):
/// a server before 3.7 answers Unimplemented and closes the connection, and the client never sends whoAmI to it again.
/// </summary>
internal sealed class ZkSyncSessionTracker : IDisposable
{
    private readonly ZooKeeperClient _client;
    private readonly TimeProvider _time;
    private long _sinceTicks;
    private volatile IReadOnlyList<string>? _identities;
    private readonly TaskCompletionSource _identitiesKnown = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // 0: ask on the next connection; 1: asking; 2: done (known, or the server does not support whoAmI).
    private int _asking;

    public ZkSyncSessionTracker(ZooKeeperClient client, TimeProvider? time = null)
    {
        _client = client;
        _time = time ?? TimeProvider.System;
        _sinceTicks = _time.GetUtcNow().UtcTicks;
        client.StateChanged += OnStateChanged;
        if (client.Session.IsConnected)
        {
            AskIdentitiesOnce(); // created after the client connected (resolved lazily): no state change would ask
        }
    }

    /// <summary>When the current state began (or when tracking began).</summary>
    public DateTimeOffset StateSince => new(Interlocked.Read(ref _sinceTicks), TimeSpan.Zero);

    /// <summary>
    /// The session's identities as the server reports them (<c>digest:alice</c>, <c>ip:127.0.0.1</c>); null until known,
    /// or when the server does not support whoAmI. They never include a secret: the server reports the user, not the digest.
    /// </summary>
    public IReadOnlyList<string>? Identities => _identities;

    /// <summary>Completes once <see cref="Identities"/> is known (for tests and diagnostics).</summary>
    internal Task IdentitiesKnown => _identitiesKnown.Task;

    public void Dispose() => _client.StateChanged -= OnStateChanged;

    private void OnStateChanged(object? sender, ZooKeeperSessionStateChangedEventArgs e)
    {
        Interlocked.Exchange(ref _sinceTicks, _time.GetUtcNow().UtcTicks);
        if (e.Session.IsConnected)
        {
            AskIdentitiesOnce();
        }
    }

    private void AskIdentitiesOnce()
    {
        if (Interlocked.CompareExchange(ref _asking, 1, 0) == 0)
        {
            // Not on the client's event loop: the reply comes through it.
            _ = Task.Run(AskIdentitiesAsync);
        }
    }

    private async Task AskIdentitiesAsync()
    {
        var next = 0;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var identities = await _client.WhoAmIAsync(timeout.Token).ConfigureAwait(false);
            _identities = identities.Select(i => i.Scheme + ":" + i.User).ToArray();
            _identitiesKnown.TrySetResult();
            next = 2;
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.Unimplemented)
        {
            next = 2; // A server before 3.7: never asked again.
        }
        catch (Exception ex) when (ex is ZooKeeperException or OperationCanceledException or ObjectDisposedException)
        {
            // The connection went away again: ask on the next one.
        }
        finally
        {
            Volatile.Write(ref _asking, next);
        }
    }
}
