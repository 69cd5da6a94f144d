using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ZkSync.Client;
using ZkSync.Internal.Recipes;
using ZkSync.Locks;

namespace ZkSync.Leadership;

/// <summary>
/// One participant in a leader election, compatible with Apache Curator's <c>LeaderLatch</c>: Curator participants and
/// ZkSync participants on the same path elect exactly one leader between them.
/// </summary>
/// <remarks>
/// <para>
/// <b>Protocol.</b> Each participant creates an ephemeral sequential node <c>_c_&lt;uuid&gt;-latch-&lt;seq&gt;</c> under
/// the election's znode (a container, created on demand); the lowest sequence leads; every other participant watches
/// only its predecessor. A participant leads only after confirming that its node belongs to its current session (a node
/// left by an earlier session never makes it leader, CURATOR-696). The node's data is a small UTF-8 JSON document with
/// the participant id and <see cref="ZooKeeperLeaderElectionOptions.Metadata"/>; Curator shows it as the id.
/// </para>
/// <para>
/// <b>Revocation.</b> Leadership is revoked (<see cref="ZooKeeperLeadership.Revoked"/>) when the connection is suspended,
/// the session expires, or the node is deleted. Standing again is the caller's choice: call <see cref="ElectAsync"/>
/// again (it first withdraws a revoked leadership's node, if it survived).
/// </para>
/// <para>
/// A waiting <see cref="ElectAsync"/> that times out or is cancelled deletes its node, also one whose create reply was
/// lost to a connection drop. One <see cref="ElectAsync"/> at a time per object.
/// </para>
/// </remarks>
public sealed class ZooKeeperLeaderElection : IAsyncDisposable
{
    private readonly ZooKeeperClient _client;
    private readonly ILogger _logger;
    private readonly LockMetrics _metrics;
    private readonly NodeCleaner _cleaner;
    private readonly LockAcquisition _acquisition;
    private readonly byte[] _payload;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _disposing = new();
    private ZooKeeperLeadership? _current;
    private bool _standing;
    private bool _disposed;

    /// <summary>Creates a participant; it does not stand until <see cref="ElectAsync"/>.</summary>
    /// <param name="client">The client (not disposed by the election).</param>
    /// <param name="name">The election's name, a relative path such as <c>jobs/nightly</c>.</param>
    /// <param name="options">The options; null for defaults.</param>
    /// <param name="loggerFactory">Logging; null for none.</param>
    /// <param name="meterFactory">Metrics (<c>zksync.leader.*</c>); null for a process-wide meter.</param>
    /// <exception cref="ArgumentException">The name or an option is invalid (the message names the rule).</exception>
    public ZooKeeperLeaderElection(ZooKeeperClient client, string name, ZooKeeperLeaderElectionOptions? options = null,
        ILoggerFactory? loggerFactory = null, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        options ??= new ZooKeeperLeaderElectionOptions();
        var root = RecipeNames.ValidateRoot(options.RootPath, nameof(ZooKeeperLeaderElectionOptions.RootPath));
        ElectionPath = RecipeNames.GetPath(root, name);
        Name = name;
        if (options.ParticipantId is { } id && string.IsNullOrWhiteSpace(id))
        {
            throw new ArgumentException("ParticipantId must not be empty or white space; use null for the default.", nameof(options));
        }

        ParticipantId = options.ParticipantId
            ?? string.Create(CultureInfo.InvariantCulture, $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}");
        _payload = Encode(ParticipantId, options.Metadata, DateTimeOffset.UtcNow);
        _client = client;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("ZkSync.Leadership.ZooKeeperLeaderElection");
        _metrics = LockMetrics.Create(meterFactory, LockMetrics.Leaders);
        _cleaner = new NodeCleaner(client, _logger);
        _acquisition = new LockAcquisition(client, acl: null, _cleaner, _metrics, _logger);
    }

    /// <summary>The election's name, e.g. <c>jobs/nightly</c>.</summary>
    public string Name { get; }

    /// <summary>The election's znode, e.g. <c>/zksync/leaders/jobs/nightly</c>.</summary>
    public string ElectionPath { get; }

    /// <summary>This participant's id.</summary>
    public string ParticipantId { get; }

    /// <summary>Where this participant stands now.</summary>
    public ZooKeeperLeaderStatus Status
    {
        get
        {
            lock (_gate)
            {
                return _current is { Revoked.IsCancellationRequested: false } ? ZooKeeperLeaderStatus.Leader
                    : _standing ? ZooKeeperLeaderStatus.Candidate : ZooKeeperLeaderStatus.Idle;
            }
        }
    }

    /// <summary>The current leadership of this participant, or null when it does not lead.</summary>
    public ZooKeeperLeadership? Leadership
    {
        get
        {
            lock (_gate)
            {
                return _current is { Revoked.IsCancellationRequested: false } current ? current : null;
            }
        }
    }

    /// <summary>Stands for election and completes when this participant leads.</summary>
    /// <param name="timeout">How long to wait; null or <see cref="Timeout.InfiniteTimeSpan"/> waits until elected.</param>
    /// <param name="cancellationToken">Stops waiting (the node is deleted).</param>
    /// <returns>The leadership.</returns>
    /// <exception cref="TimeoutException">Not elected within <paramref name="timeout"/>.</exception>
    /// <exception cref="InvalidOperationException">Another <see cref="ElectAsync"/> of this object is running, or this
    /// participant leads already (resign first).</exception>
    /// <exception cref="ObjectDisposedException">The election object was disposed.</exception>
    /// <exception cref="ZooKeeperException">A non-transient failure (e.g. NoAuth on the election path).</exception>
    public async Task<ZooKeeperLeadership> ElectAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var wait = timeout ?? Timeout.InfiniteTimeSpan;
        if (wait != Timeout.InfiniteTimeSpan && (wait < TimeSpan.Zero || wait.TotalMilliseconds > int.MaxValue))
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout must be zero or positive up to int.MaxValue ms, or null to wait until elected.");
        }

        ZooKeeperLeadership? previous;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_standing)
            {
                throw new InvalidOperationException($"Participant '{ParticipantId}' is already standing in election '{Name}'.");
            }

            if (_current is { Revoked.IsCancellationRequested: false })
            {
                throw new InvalidOperationException($"Participant '{ParticipantId}' already leads election '{Name}'; resign first.");
            }

            previous = _current;
            _current = null;
            _standing = true;
        }

        var start = Stopwatch.GetTimestamp();
        using var activity = ZkSyncDiagnostics.ActivitySource.StartActivity("zksync.leader.elect");
        activity?.SetTag("zksync.leader.election", ElectionPath);
        var outcome = "error";
        try
        {
            if (previous is not null)
            {
                // A revoked leadership whose node survived a suspension: withdraw it before standing again.
                await previous.DisposeAsync().ConfigureAwait(false);
            }

            Log.StandingForElection(_logger, ParticipantId, ElectionPath);
            var attempt = new LockAttempt(Name, ElectionPath, LockNodeKind.Latch, ZooKeeperLockMode.Exclusive, null, null, _payload);
            AcquiredNode? node;
            using (var standing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposing.Token))
            {
                try
                {
                    node = await _acquisition.AcquireAsync(attempt, wait, standing.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (_disposing.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    throw new ObjectDisposedException(nameof(ZooKeeperLeaderElection), $"Election '{Name}' was disposed while participant '{ParticipantId}' was standing.");
                }
            }

            if (node is null)
            {
                outcome = "timeout";
                throw new TimeoutException($"Participant '{ParticipantId}' was not elected leader of '{Name}' ({ElectionPath}) within {wait}.");
            }

            var hold = new LockHold(attempt, node, _cleaner, _metrics, _logger, static _ => { }, "leadership");
            hold.AddFirstHandle();
            var leadership = new ZooKeeperLeadership(hold, ParticipantId);
            bool disposed;
            lock (_gate)
            {
                disposed = _disposed;
                if (!disposed)
                {
                    _current = leadership;
                }
            }

            if (disposed)
            {
                await leadership.DisposeAsync().ConfigureAwait(false);
                throw new ObjectDisposedException(nameof(ZooKeeperLeaderElection), $"Election '{Name}' was disposed while participant '{ParticipantId}' was being elected.");
            }

            outcome = "acquired";
            activity?.SetTag("zksync.leader.node", leadership.NodePath);
            Log.Elected(_logger, ParticipantId, ElectionPath, leadership.NodePath, leadership.FencingToken, (long)Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            return leadership;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            outcome = "canceled";
            throw;
        }
        catch (Exception ex) when (activity is not null)
        {
            activity.SetStatus(ActivityStatusCode.Error, ex.Message);
            throw;
        }
        finally
        {
            lock (_gate)
            {
                _standing = false;
            }

            activity?.SetTag("zksync.leader.outcome", outcome);
            _metrics.RecordAcquire("leader", outcome, start);
        }
    }

    /// <summary>Who leads now: the first participant whose node still exists; null when nobody stands.</summary>
    /// <param name="cancellationToken">Abandons the wait.</param>
    /// <returns>The leader, or null.</returns>
    public async Task<ZooKeeperLeaderInfo?> GetLeaderAsync(CancellationToken cancellationToken = default)
    {
        foreach (var node in await GetSortedAsync(cancellationToken).ConfigureAwait(false))
        {
            var info = await ReadAsync(node.Name, isLeader: true, cancellationToken).ConfigureAwait(false);
            if (info is not null)
            {
                return info;
            }
        }

        return null;
    }

    /// <summary>All participants in line, the leader first.</summary>
    /// <param name="cancellationToken">Abandons the wait.</param>
    /// <returns>The participants (those whose node vanished while reading are left out).</returns>
    public async Task<IReadOnlyList<ZooKeeperLeaderInfo>> GetParticipantsAsync(CancellationToken cancellationToken = default)
    {
        var result = new List<ZooKeeperLeaderInfo>();
        foreach (var node in await GetSortedAsync(cancellationToken).ConfigureAwait(false))
        {
            var info = await ReadAsync(node.Name, isLeader: result.Count == 0, cancellationToken).ConfigureAwait(false);
            if (info is not null)
            {
                result.Add(info);
            }
        }

        return result;
    }

    /// <summary>
    /// Resigns a current leadership and stops standing for good: a waiting <see cref="ElectAsync"/> ends with
    /// <see cref="ObjectDisposedException"/> and its node is deleted.
    /// </summary>
    /// <returns>A task that completes when resigned.</returns>
    public async ValueTask DisposeAsync()
    {
        ZooKeeperLeadership? current;
        bool first;
        lock (_gate)
        {
            first = !_disposed;
            _disposed = true;
            current = _current;
            _current = null;
        }

        if (first)
        {
            // Outside the gate: cancelling runs the standing attempt's clean-up callbacks.
            await _disposing.CancelAsync().ConfigureAwait(false);
        }

        if (current is not null)
        {
            await current.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Decodes a participant node's data: our JSON document, or (Curator) the whole UTF-8 text as the id.</summary>
    internal static (string Id, IReadOnlyDictionary<string, string> Metadata) Decode(ReadOnlySpan<byte> data)
    {
        try
        {
            var reader = new Utf8JsonReader(data);
            if (data.Length > 0 && data[0] == (byte)'{' && JsonDocument.TryParseValue(ref reader, out var document))
            {
                using (document)
                {
                    if (document.RootElement.ValueKind == JsonValueKind.Object
                        && document.RootElement.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String)
                    {
                        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
                        foreach (var property in document.RootElement.EnumerateObject())
                        {
                            if (property.Name != "id" && property.Value.ValueKind == JsonValueKind.String)
                            {
                                metadata[property.Name] = property.Value.GetString()!;
                            }
                        }

                        return (id.GetString()!, metadata);
                    }
                }
            }
        }
        catch (JsonException)
        {
            // Not ours: fall through.
        }

        return (Encoding.UTF8.GetString(data), new Dictionary<string, string>(StringComparer.Ordinal));
    }

    /// <summary>Encodes the participant document <c>{"id":…,"host":…,"startedAt":…,…}</c>.</summary>
    internal static byte[] Encode(string participantId, IEnumerable<KeyValuePair<string, string>> metadata, DateTimeOffset startedAt)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["host"] = Environment.MachineName,
            ["startedAt"] = startedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in metadata)
        {
            if (key == "id")
            {
                throw new ArgumentException("Metadata must not contain the key 'id' (it is the ParticipantId).", nameof(metadata));
            }

            values[key] = value ?? throw new ArgumentException($"Metadata '{key}' must not be null.", nameof(metadata));
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("id", participantId);
            foreach (var (key, value) in values)
            {
                writer.WriteString(key, value);
            }

            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private async Task<List<SequentialNode>> GetSortedAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<string> children;
        try
        {
            children = await _client.GetChildrenAsync(ElectionPath, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
        {
            return [];
        }

        return LockContention.Sort(children, LockNodeKind.Latch);
    }

    private async Task<ZooKeeperLeaderInfo?> ReadAsync(string child, bool isLeader, CancellationToken cancellationToken)
    {
        var path = ZkPath.Combine(ElectionPath, child);
        try
        {
            var data = await _client.GetDataAsync(path, cancellationToken: cancellationToken).ConfigureAwait(false);
            var (id, metadata) = Decode(data.Data);
            return new ZooKeeperLeaderInfo(id, isLeader, path, metadata);
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
        {
            return null;
        }
    }
}
