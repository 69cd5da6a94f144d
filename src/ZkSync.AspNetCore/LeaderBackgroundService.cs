using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ZkSync.AspNetCore.Internal;
using ZkSync.Client;
using ZkSync.Leadership;

namespace ZkSync.AspNetCore;

/// <summary>
/// A background service that runs on one replica at a time: the one that leads its ZooKeeper election. Override
/// <see cref="ExecuteAsLeaderAsync"/> and register the service with
/// <c>builder.Services.AddZkSync(builder.Configuration).AddLeaderService&lt;MyJob&gt;("jobs/nightly")</c>.
/// </summary>
/// <remarks>
/// <para>
/// Every replica stands for election (Curator <c>LeaderLatch</c> layout under <see cref="ZkSyncLeaderOptions.RootPath"/>);
/// the leader runs <see cref="ExecuteAsLeaderAsync"/>. Its token fires when the leadership is revoked (connection
/// suspended, session expired, node deleted) or the host stops: stop the work then, and pass
/// <see cref="ZooKeeperLeadership.FencingToken"/> (from <see cref="Leadership"/>) to the resources you write to.
/// </para>
/// <para>
/// The service never stops standing while the host runs: after a revocation it stands again at once; after
/// <see cref="ExecuteAsLeaderAsync"/> returns or throws (logged as an error), it resigns, waits
/// <see cref="ZkSyncLeaderOptions.RestartDelay"/> and stands again (so a job that finished lets another replica run
/// the next round; loop inside <see cref="ExecuteAsLeaderAsync"/> to keep leading). When the host stops, the leadership
/// is resigned at once and the next replica takes over without waiting for a session timeout.
/// </para>
/// </remarks>
public abstract class LeaderBackgroundService : BackgroundService
{
    private LeaderServiceRuntime? _runtime;
    private int _terms;

    /// <summary>The election's name, e.g. <c>jobs/nightly</c>.</summary>
    public string ElectionName => Runtime.Election.Name;

    /// <summary>This replica's participant id.</summary>
    public string ParticipantId => Runtime.Election.ParticipantId;

    /// <summary>Where this replica stands: idle, candidate or leader.</summary>
    public ZooKeeperLeaderStatus Status => _runtime?.Election.Status ?? ZooKeeperLeaderStatus.Idle;

    /// <summary>The current leadership while this replica leads; null otherwise.</summary>
    public ZooKeeperLeadership? Leadership => _runtime?.Election.Leadership;

    /// <summary>How many times this replica has led since it started.</summary>
    public int Terms => Volatile.Read(ref _terms);

    /// <summary>The last failure of <see cref="ExecuteAsLeaderAsync"/> or of standing for election, if any (message only).</summary>
    public string? LastError { get; private set; }

    internal LeaderServiceRuntime Runtime => _runtime ?? throw new InvalidOperationException(
        $"{GetType().Name} derives from LeaderBackgroundService: register it with builder.Services.AddZkSync(...).AddLeaderService<{GetType().Name}>(\"<election name>\"), not AddHostedService.");

    /// <summary>Who leads the election now (any replica, or a Curator participant); null when nobody stands.</summary>
    /// <param name="cancellationToken">Abandons the wait.</param>
    /// <returns>The leader, or null.</returns>
    public Task<ZooKeeperLeaderInfo?> GetLeaderAsync(CancellationToken cancellationToken = default) => Runtime.Election.GetLeaderAsync(cancellationToken);

    internal void Attach(LeaderServiceRuntime runtime) =>
        _runtime = Interlocked.CompareExchange(ref _runtime, runtime, null) is null
            ? runtime
            : throw new InvalidOperationException($"{GetType().Name} is registered twice.");

    /// <summary>The work only the leader does.</summary>
    /// <param name="stoppingToken">Fires when the leadership is revoked or the host stops.</param>
    /// <returns>A task that completes when the work is done (then the service resigns and stands again later).</returns>
    protected abstract Task ExecuteAsLeaderAsync(CancellationToken stoppingToken);

    /// <summary>Stands for election until the host stops, and runs <see cref="ExecuteAsLeaderAsync"/> whenever elected.</summary>
    /// <param name="stoppingToken">Fires when the host stops.</param>
    /// <returns>A task that completes when the host stops.</returns>
    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var runtime = Runtime;
        var election = runtime.Election;
        await Task.Yield();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                ZooKeeperLeadership leadership;
                try
                {
                    leadership = await election.ElectAsync(null, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    break;
                }
                catch (ObjectDisposedException)
                {
                    break; // The client or the election is gone: the host is shutting down.
                }
                catch (ZooKeeperException ex)
                {
                    LastError = ex.Message;
                    Log.LeaderStandFailed(runtime.Logger, election.Name, runtime.RestartDelay, ex);
                    await DelayAsync(runtime, stoppingToken).ConfigureAwait(false);
                    continue;
                }

                if (!await LeadAsync(runtime, leadership, stoppingToken).ConfigureAwait(false))
                {
                    await DelayAsync(runtime, stoppingToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            await election.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Runs one term; true when it ended by revocation (stand again at once).</summary>
    private async Task<bool> LeadAsync(LeaderServiceRuntime runtime, ZooKeeperLeadership leadership, CancellationToken stoppingToken)
    {
        var name = runtime.Election.Name;
        Interlocked.Increment(ref _terms);
        Log.LeaderServiceLeading(runtime.Logger, GetType().Name, name, leadership.FencingToken);
        // Revoked is set into the job's token on the client's watchdog thread, together with Revoked itself (a linked
        // token source would follow through a callback that a starved thread pool runs late).
        using var leading = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        leadership.Hold.AddDependent(leading);

        // One span per term: the leader's work is traced under it, and its outcome says how the term ended.
        using var term = ZkSyncDiagnostics.ActivitySource.StartActivity("zksync.leader.term");
        term?.SetTag("zksync.leader.election", leadership.ElectionPath);
        term?.SetTag("zksync.leader.service", GetType().Name);
        term?.SetTag("zksync.lock.fencing_token", leadership.FencingToken);
        try
        {
            await ExecuteAsLeaderAsync(leading.Token).ConfigureAwait(false);
            Log.LeaderServiceReturned(runtime.Logger, GetType().Name, name, runtime.RestartDelay);
            term?.SetTag("zksync.leader.term.outcome", "returned");
            return stoppingToken.IsCancellationRequested || leadership.Revoked.IsCancellationRequested;
        }
        catch (OperationCanceledException) when (leading.IsCancellationRequested)
        {
            if (!stoppingToken.IsCancellationRequested)
            {
                Log.LeaderServiceRevoked(runtime.Logger, GetType().Name, name);
            }

            term?.SetTag("zksync.leader.term.outcome", stoppingToken.IsCancellationRequested ? "stopped" : "revoked");
            return true;
        }
        catch (Exception ex)
        {
            LastError = ex.Message;
            Log.LeaderServiceFailed(runtime.Logger, GetType().Name, name, runtime.RestartDelay, ex);
            term?.SetTag("zksync.leader.term.outcome", "failed");
            term?.SetTag("error.type", ex.GetType().FullName);
            term?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, ex.Message);
            return false;
        }
        finally
        {
            leadership.Hold.RemoveDependent(leading);
            await leadership.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task DelayAsync(LeaderServiceRuntime runtime, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(runtime.RestartDelay, runtime.TimeProvider, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the loop ends.
        }
    }
}
