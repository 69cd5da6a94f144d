using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ZkSync.Client;

namespace ZkSync.AspNetCore.Internal;

/// <summary>
/// Starts the shared <see cref="ZooKeeperClient"/> with the host (it connects in the background; startup never waits for
/// ZooKeeper) and says so in the logs when the first session is late. The container owns the client: disposing it when
/// the host shuts down closes the session, so this instance's ephemeral nodes (locks) disappear at once.
/// </summary>
internal sealed class ZkSyncClientService(
    ZooKeeperClient client,
    ZkSyncSessionTracker tracker,
    IOptions<ZkSyncOptions> options,
    ILoggerFactory loggerFactory) : IHostedService
{
    private readonly ILogger _logger = loggerFactory.CreateLogger("ZkSync.AspNetCore.ZkSyncClientService");
    private readonly CancellationTokenSource _stopping = new();
    private Task _watch = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = tracker; // injected so that it records state changes from the start
        var settings = options.Value;
        Log.ClientStarting(_logger, settings.ConnectionString, settings.SessionTimeout);
        _watch = WatchFirstConnectionAsync(settings, _stopping.Token);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Hosts may stop twice, also after disposing their services (WebApplicationFactory): stopping is idempotent, and
        // _stopping (no timer, no wait handle) is never disposed.
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _watch.ConfigureAwait(false);
    }

    private async Task WatchFirstConnectionAsync(ZkSyncOptions settings, CancellationToken stopping)
    {
        var patience = settings.ConnectTimeout;
        var started = TimeProvider.System.GetTimestamp();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            timeout.CancelAfter(patience);
            try
            {
                await client.WaitForConnectedAsync(timeout.Token).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
            {
                Log.ClientNotConnected(_logger, TimeProvider.System.GetElapsedTime(started), client.State, settings.Locks.UnavailableStatusCode);
            }

            await client.WaitForConnectedAsync(stopping).ConfigureAwait(false);
            var session = client.Session;
            Log.ClientConnectedLate(_logger, session.SessionId, session.ConnectedServer, TimeProvider.System.GetElapsedTime(started));
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is ZooKeeperException or ObjectDisposedException)
        {
            // AuthFailed (the client logged it) or closed during shutdown: the health check reports the state.
        }
    }
}
