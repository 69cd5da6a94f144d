using ZkSync.Internal.Recipes;

namespace ZkSync.Leadership;

/// <summary>
/// Leadership won by <see cref="ZooKeeperLeaderElection.ElectAsync"/>. Dispose it (or call <see cref="ResignAsync"/>) to
/// step down: the participant's znode is deleted and the next participant leads.
/// </summary>
/// <remarks>
/// <see cref="Revoked"/> fires as soon as the leadership can no longer be trusted: the connection is suspended (the
/// session may be expiring on the server and another participant about to lead), the session expires, the node is
/// deleted, or this leadership is resigned. Work done as leader should stop when it fires and pass
/// <see cref="FencingToken"/> to the resources it writes to. After a revocation, dispose the leadership (a node that
/// survived a suspension is then deleted) and stand again if wanted.
/// </remarks>
public sealed class ZooKeeperLeadership : IAsyncDisposable
{
    private readonly LockHold _hold;

    internal ZooKeeperLeadership(LockHold hold, string participantId)
    {
        _hold = hold;
        ParticipantId = participantId;
    }

    internal LockHold Hold => _hold;

    /// <summary>The election's znode, e.g. <c>/zksync/leaders/jobs/nightly</c>.</summary>
    public string ElectionPath => _hold.LockPath;

    /// <summary>The leader's znode (<c>_c_&lt;uuid&gt;-latch-&lt;seq&gt;</c>).</summary>
    public string NodePath => _hold.NodePath;

    /// <summary>This participant's id.</summary>
    public string ParticipantId { get; }

    /// <summary>When this participant became leader (local clock).</summary>
    public DateTimeOffset ElectedAt => _hold.AcquiredAt;

    /// <summary>The leader node's creation zxid: it grows with every new leadership of the election.</summary>
    public long FencingToken => _hold.FencingToken;

    /// <summary>Fires when the leadership is revoked or resigned. Callbacks run on the thread pool.</summary>
    public CancellationToken Revoked => _hold.LostToken;

    internal bool IsEnded => _hold.IsEnded;

    /// <summary>Steps down: <see cref="Revoked"/> fires, then the node is deleted. Idempotent; never throws.</summary>
    /// <param name="cancellationToken">Checked before resigning; the deletion itself is not abandoned (while
    /// disconnected it continues in the background until the session ends).</param>
    /// <returns>A task that completes when resigned.</returns>
    public async Task ResignAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await _hold.ReleaseHandleAsync().ConfigureAwait(false);
    }

    /// <summary>Same as <see cref="ResignAsync"/>.</summary>
    /// <returns>A task that completes when resigned.</returns>
    public ValueTask DisposeAsync() => _hold.ReleaseHandleAsync();
}
