using ZkSync.Client;

namespace ZkSync.Internal.Recipes;

/// <summary>
/// The one-shot child watch a queue listing leaves on its parent, for a handler that is chosen only after the listing
/// was read (<see cref="OwnNodeMonitor.StartAfterListing"/>). An event that fires before <see cref="Attach"/> is kept and
/// handed over then; one that fires after runs the handler at once, on the client's event dispatcher (no extra hop).
/// </summary>
internal sealed class ListingWatch
{
    private readonly Lock _gate = new();
    private ZooKeeperWatchEvent? _fired;
    private Action<ZooKeeperWatchEvent>? _handler;

    /// <summary>The watcher to pass to the listing.</summary>
    public void OnEvent(ZooKeeperWatchEvent watchEvent)
    {
        Action<ZooKeeperWatchEvent>? handler;
        lock (_gate)
        {
            handler = _handler;
            if (handler is null)
            {
                _fired ??= watchEvent;
                return;
            }
        }

        handler(watchEvent);
    }

    /// <summary>Sets the handler (once); runs it now if the watch has fired already.</summary>
    /// <param name="handler">Must not block: it may run on the client's event dispatcher.</param>
    public void Attach(Action<ZooKeeperWatchEvent> handler)
    {
        ZooKeeperWatchEvent? fired;
        lock (_gate)
        {
            if (_handler is not null)
            {
                throw new InvalidOperationException("The listing watch already has a handler.");
            }

            _handler = handler;
            fired = _fired;
        }

        if (fired is not null)
        {
            handler(fired);
        }
    }
}
