using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ZkSync.Barriers;
using ZkSync.Client;
using ZkSync.Internal.Recipes;

namespace ZkSync.AspNetCore.Internal;

/// <summary>What a startup barrier knows about its znode.</summary>
internal enum StartupBarrierState
{
    /// <summary>Not checked yet (or ZooKeeper unreachable since start).</summary>
    Unknown,

    /// <summary>The barrier node exists: hold back.</summary>
    Set,

    /// <summary>The barrier node does not exist.</summary>
    Clear,
}

/// <summary>
/// One startup barrier (<c>AddStartupBarrier</c>): in <see cref="StartupBarrierMode.WaitBeforeStart"/> it holds host start
/// until the barrier is removed; in <see cref="StartupBarrierMode.ReadinessOnly"/> it keeps watching the node and the
/// health check reports Unhealthy while it is set (start waits up to <see cref="FirstLookPatience"/> for the first look,
/// so that a replica is ready at once when the barrier is not set).
/// </summary>
internal sealed class StartupBarrierService(string path, StartupBarrierOptions options, ZooKeeperClient client, ILogger logger) : IHostedService
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _watch = Task.CompletedTask;
    private volatile StartupBarrierState _state = StartupBarrierState.Unknown;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _firstLook = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>ReadinessOnly: how long start waits for the first look at the barrier, so that readiness is right from the start when ZooKeeper is up.</summary>
    internal static readonly TimeSpan FirstLookPatience = TimeSpan.FromSeconds(2);

    public string Path { get; } = path;

    public StartupBarrierMode Mode { get; } = options.Mode;

    public StartupBarrierState State => _state;

    /// <summary>When <see cref="State"/> last changed.</summary>
    public DateTimeOffset Since { get; private set; } = DateTimeOffset.UtcNow;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (Mode == StartupBarrierMode.ReadinessOnly)
        {
            Log.StartupBarrierWatching(logger, Path);
            _watch = WatchAsync(_stopping.Token);
            using var first = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            first.CancelAfter(FirstLookPatience);
            try
            {
                await _firstLook.Task.WaitAsync(first.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // ZooKeeper is not reachable yet: start anyway; readiness fails until the barrier has been seen clear.
            }

            return;
        }

        Log.StartupBarrierWaiting(logger, Path, options.Timeout);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.Timeout);
        try
        {
            await client.WaitForConnectedAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new InvalidOperationException(
                $"Startup barrier '{Path}': ZooKeeper was not reachable within {options.Timeout} (state {client.State}), so the application did not start. " +
                "Check ZkSync:ConnectionString, or use StartupBarrierMode.ReadinessOnly to start and report not-ready instead.");
        }

        var barrier = new ZooKeeperBarrier(client, Path);
        if (await barrier.IsSetAsync(cancellationToken).ConfigureAwait(false))
        {
            SetState(StartupBarrierState.Set);
        }

        if (!await barrier.WaitAsync(options.Timeout, cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException(
                $"Startup barrier '{Path}' was still set after {options.Timeout}, so the application did not start. " +
                $"Remove the znode '{Path}' when the work it guards is done (or raise the barrier's Timeout).");
        }

        SetState(StartupBarrierState.Clear);
        Log.StartupBarrierPassed(logger, Path);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _watch.ConfigureAwait(false);
    }

    /// <summary>Completes when <see cref="State"/> is <paramref name="state"/> (for tests and diagnostics).</summary>
    internal async Task WhenStateAsync(StartupBarrierState state, CancellationToken cancellationToken)
    {
        while (true)
        {
            var changed = Volatile.Read(ref _changed).Task;
            if (State == state)
            {
                return;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Adds this barrier to the health report; in readiness mode, anything but Clear is Unhealthy.</summary>
    public StartupBarrierStatus Report(ZkSyncStatusReport report)
    {
        var state = State;
        if (Mode == StartupBarrierMode.ReadinessOnly && state != StartupBarrierState.Clear)
        {
            report.Report(HealthStatus.Unhealthy, state == StartupBarrierState.Set
                ? $"Startup barrier '{Path}' is set: not ready until it is removed."
                : $"Startup barrier '{Path}' has not been checked yet: not ready until ZooKeeper says it is not set.");
        }

        return new StartupBarrierStatus(Path, Mode.ToString(), state.ToString(), Since);
    }

    private async Task WatchAsync(CancellationToken stopping)
    {
        var failures = 0;
        try
        {
            while (true)
            {
                var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                try
                {
                    await client.WaitForConnectedAsync(stopping).ConfigureAwait(false);

                    // The first look syncs first: this client's member may not have applied a set made by another
                    // session (the migration's) through the leader. Later looks follow this member's own events.
                    var stat = _firstLook.Task.IsCompleted
                        ? await client.ExistsAsync(Path, _ => changed.TrySetResult(), stopping).ConfigureAwait(false)
                        : await client.AfterSyncAsync(Path, () => client.ExistsAsync(Path, _ => changed.TrySetResult(), stopping), stopping).ConfigureAwait(false);
                    failures = 0;
                    SetState(stat is null ? StartupBarrierState.Clear : StartupBarrierState.Set);
                    _firstLook.TrySetResult();
                }
                catch (ZooKeeperException ex) when (ex.IsTransient || ex.Code == ZooKeeperErrorCode.SessionExpired)
                {
                    // Look again once connected; back off while requests fail on a live connection (Throttled).
                    await TransientRetry.WaitAsync(client, ++failures, stopping).ConfigureAwait(false);
                    continue;
                }

                // Any event (created, deleted, or the session's end) means: look again.
                await changed.Task.WaitAsync(stopping).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is ZooKeeperException or ObjectDisposedException)
        {
            // AuthFailed, NoAuth or a closed client: the state stays as last seen; the session check reports the cause.
            Log.StartupBarrierWatchEnded(logger, Path, ex.Message);
        }
    }

    private void SetState(StartupBarrierState state)
    {
        if (_state == state)
        {
            return;
        }

        _state = state;
        Since = DateTimeOffset.UtcNow;
        Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        if (Mode == StartupBarrierMode.ReadinessOnly)
        {
            Log.StartupBarrierChanged(logger, Path, state.ToString());
        }
    }
}

/// <summary>Reports every startup barrier.</summary>
internal sealed class StartupBarrierStatusContributor(IEnumerable<IHostedService> hostedServices) : IZkSyncStatusContributor
{
    private readonly StartupBarrierService[] _barriers = [.. hostedServices.OfType<StartupBarrierService>()];

    public void Contribute(ZkSyncStatusReport status) =>
        status.Data["startupBarriers"] = _barriers.Select(barrier => barrier.Report(status)).ToArray();
}

/// <summary>One startup barrier as shown by the health check.</summary>
internal sealed record StartupBarrierStatus(string Path, string Mode, string State, DateTimeOffset Since);
