using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace ZkSync.Client.Internal;

/// <summary>
/// Delivers watch events and session-state changes in order on one background loop, so a slow handler never stalls
/// the socket. Unbounded: events are never dropped.
/// </summary>
internal sealed class EventDispatcher
{
    private static readonly AsyncLocal<EventDispatcher?> Current = new();
    private readonly Channel<Item> _channel = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ILogger _logger;
    private readonly Task _loop;

    public EventDispatcher(ILogger logger)
    {
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>True when called from a handler this dispatcher is running.</summary>
    public bool IsCurrent => Current.Value == this;

    public void Post(Action<ZooKeeperWatchEvent> watcher, ZooKeeperWatchEvent watchEvent) =>
        _channel.Writer.TryWrite(new Item(watcher, watchEvent, null, null));

    public void Post(Action<object?> callback, object? state) =>
        _channel.Writer.TryWrite(new Item(null, null, callback, state));

    /// <summary>Stops accepting events and waits (bounded) until the queued ones ran.</summary>
    public async Task CompleteAsync(TimeSpan timeout)
    {
        _channel.Writer.TryComplete();
        if (IsCurrent)
        {
            return; // Disposed from a handler: waiting for ourselves would deadlock.
        }

        try
        {
            await _loop.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Log.DispatcherDrainTimedOut(_logger, timeout);
        }
    }

    private async Task RunAsync()
    {
        Current.Value = this;
        var reader = _channel.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var item))
            {
                try
                {
                    if (item.Watcher is not null)
                    {
                        item.Watcher(item.Event!);
                    }
                    else
                    {
                        item.Callback!(item.State);
                    }
                }
#pragma warning disable CA1031 // A user's handler must never kill the dispatcher.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    Log.EventHandlerFailed(_logger, ex);
                }
            }
        }
    }

    private readonly record struct Item(Action<ZooKeeperWatchEvent>? Watcher, ZooKeeperWatchEvent? Event, Action<object?>? Callback, object? State);
}
