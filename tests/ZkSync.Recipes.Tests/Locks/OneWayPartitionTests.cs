using System.Diagnostics;
using Xunit;
using ZkSync.Client;
using ZkSync.Leadership;
using ZkSync.Locks;
using ZkSync.Semaphores;
using ZkSync.TestSupport;

namespace ZkSync.Recipes.Tests.Locks;

/// <summary>
/// The safety promise under one-way partitions (issue #14): a holder that honours Lost never overlaps with the next
/// holder, also when the client's packets are dropped while the server's still arrive. The cut client talks to one
/// member through a <see cref="FaultProxy"/>; everyone else talks to the ensemble directly. Times are compared on one
/// monotonic clock (<see cref="Stopwatch"/>), in this process.
/// </summary>
/// <remarks>
/// Each scenario makes the cut client send a request right before the cut, so the server's last receipt of the session
/// is the cut, and then lets a notification reach it late in the session (0.6·T): a client that timed its trust from
/// what it received (instead of what the server acknowledged) would trust the connection until 0.6·T + 2/3·T, past the
/// server's expiry at T plus at most one tick.
/// </remarks>
public sealed class OneWayPartitionTests
{
    private static readonly TimeSpan SessionTimeout = TimeSpan.FromSeconds(6);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(40);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Lock_WaiterCutBeforeHandoff_LostBeforeSuccessorOrNeverHolds()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        await using var proxy = new FaultProxy(ZooKeeperEnsemble.GetMemberEndPoint(1));
        await using var waiterClient = await ConnectThroughAsync(proxy);
        var (_, holderProvider) = await env.NewContenderAsync();
        var (_, thirdProvider) = await env.NewContenderAsync();
        var waiterProvider = env.NewProvider(waiterClient);
        var record = new FencedRecord();
        var holder = await holderProvider.AcquireAsync("orders/42", TimeSpan.FromSeconds(10), Ct);

        var waiter = Contender.Start("waiter", record, async ct => Wrap(await waiterProvider.AcquireAsync("orders/42", 3 * SessionTimeout, ct)));
        await env.WaitForChildrenAsync(holder.LockPath, c => c.Count == 2);
        var third = Contender.Start("third", record, async ct => Wrap(await thirdProvider.AcquireAsync("orders/42", Patience, ct)));
        await env.WaitForChildrenAsync(holder.LockPath, c => c.Count == 3);

        var cutAt = await CutAsync(proxy, waiterClient);
        await Task.Delay(0.6 * SessionTimeout, Ct); // the fault schedule: the head releases late in the waiter's session
        await holder.DisposeAsync();

        await AssertNoOverlapAsync(cutAt, record, cutHolder: waiter, successor: third);
    }

    [Fact]
    public async Task Lock_HolderCutThenNotified_LostBeforeSuccessor()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        await using var proxy = new FaultProxy(ZooKeeperEnsemble.GetMemberEndPoint(1));
        await using var holderClient = await ConnectThroughAsync(proxy);
        var (_, nextProvider) = await env.NewContenderAsync();
        var holderProvider = env.NewProvider(holderClient);
        var record = new FencedRecord();

        // Uncontended: guarded by its listing's child watch, which the successor's create fires during the cut.
        var holder = Contender.Start("holder", record, async ct => Wrap(await holderProvider.AcquireAsync("orders/42", TimeSpan.FromSeconds(10), ct)));
        await holder.Acquired.WaitAsync(Patience, Ct);

        var cutAt = await CutAsync(proxy, holderClient);
        await Task.Delay(0.6 * SessionTimeout, Ct);
        var successor = Contender.Start("successor", record, async ct => Wrap(await nextProvider.AcquireAsync("orders/42", Patience, ct)));

        await AssertNoOverlapAsync(cutAt, record, cutHolder: holder, successor: successor);
    }

    [Fact]
    public async Task LeaderLatch_LeaderCutThenNotified_RevokedBeforeNextLeader()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        await using var proxy = new FaultProxy(ZooKeeperEnsemble.GetMemberEndPoint(1));
        await using var leaderClient = await ConnectThroughAsync(proxy);
        var (nextClient, _) = await env.NewContenderAsync();
        var options = new ZooKeeperLeaderElectionOptions { RootPath = env.Root };
        await using var leaderElection = new ZooKeeperLeaderElection(leaderClient, "nightly", options);
        await using var nextElection = new ZooKeeperLeaderElection(nextClient, "nightly", options);
        var record = new FencedRecord();
        var leader = Contender.Start("leader", record, async ct => Wrap(await leaderElection.ElectAsync(TimeSpan.FromSeconds(10), ct)));
        await leader.Acquired.WaitAsync(Patience, Ct);

        var cutAt = await CutAsync(proxy, leaderClient);
        await Task.Delay(0.6 * SessionTimeout, Ct);
        var next = Contender.Start("next", record, async ct => Wrap(await nextElection.ElectAsync(Patience, ct)));

        await AssertNoOverlapAsync(cutAt, record, cutHolder: leader, successor: next);
    }

    [Fact]
    public async Task Semaphore_LeaseHolderCutThenNotified_LostBeforeNextLease()
    {
        await using var env = await LockTestEnvironment.CreateAsync();
        await using var proxy = new FaultProxy(ZooKeeperEnsemble.GetMemberEndPoint(1));
        await using var holderClient = await ConnectThroughAsync(proxy);
        var (nextClient, _) = await env.NewContenderAsync();
        var options = new ZooKeeperSemaphoreOptions { RootPath = env.Root };
        var holderSemaphore = new ZooKeeperSemaphore(holderClient, "exports", 1, options);
        var nextSemaphore = new ZooKeeperSemaphore(nextClient, "exports", 1, options);
        var record = new FencedRecord();
        var holder = Contender.Start("holder", record, async ct => Wrap(await holderSemaphore.AcquireAsync(TimeSpan.FromSeconds(10), ct)));
        await holder.Acquired.WaitAsync(Patience, Ct);

        var cutAt = await CutAsync(proxy, holderClient);
        await Task.Delay(0.6 * SessionTimeout, Ct);
        var next = Contender.Start("next", record, async ct => Wrap(await nextSemaphore.AcquireAsync(Patience, ct)));

        await AssertNoOverlapAsync(cutAt, record, cutHolder: holder, successor: next);
    }

    private static async Task<ZooKeeperClient> ConnectThroughAsync(FaultProxy proxy)
    {
        using var cts = new CancellationTokenSource(LockTestEnvironment.Patience);
        return await ZooKeeperClient.ConnectAsync(
            new ZooKeeperClientOptions { ConnectionString = proxy.Endpoint, SessionTimeout = SessionTimeout, ConnectTimeout = TimeSpan.FromSeconds(2) },
            cancellationToken: cts.Token);
    }

    /// <summary>
    /// One round trip, then the cut: the server's last receipt of the session is about now, so it expires the session
    /// at about now + T (plus at most one tick).
    /// </summary>
    private static async Task<long> CutAsync(FaultProxy proxy, ZooKeeperClient client)
    {
        await client.ExistsAsync("/", cancellationToken: Ct);
        proxy.Mode = FaultMode.DropClientToServer;
        return Stopwatch.GetTimestamp();
    }

    private static async Task AssertNoOverlapAsync(long cutAt, FencedRecord record, Contender cutHolder, Contender successor)
    {
        var successorAcquired = await successor.Acquired.WaitAsync(Patience, Ct);
        await successor.StopAsync();
        await cutHolder.StopAsync();

        var output = TestContext.Current.TestOutputHelper;
        output?.WriteLine($"successor acquired {Ms(cutAt, successorAcquired)} ms after the cut; cut side acquired at {Ms(cutAt, cutHolder.AcquiredAt)} ms, lost at {Ms(cutAt, cutHolder.LostAt)} ms");
        if (cutHolder.AcquiredAt is not null)
        {
            Assert.True(cutHolder.LostAt is { } lost && lost < successorAcquired,
                $"the cut {cutHolder.Name} saw Lost at {Ms(cutAt, cutHolder.LostAt)} ms after the cut, the {successor.Name} acquired at {Ms(cutAt, successorAcquired)} ms");
        }

        var late = record.Writes.Where(w => w.Writer == cutHolder.Name && w.At >= successorAcquired).ToList();
        Assert.True(late.Count == 0, $"the cut {cutHolder.Name} wrote {late.Count} times after the {successor.Name} acquired (first {Ms(cutAt, late.FirstOrDefault().At)} ms after the cut)");
        Assert.Contains(record.Writes, w => w.Writer == successor.Name && w.Accepted);
    }

    private static string Ms(long from, long? to) => to is { } t ? ((long)Stopwatch.GetElapsedTime(from, t).TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture) : "never";

    private static Held Wrap(ZooKeeperLockHandle handle) => new(handle.FencingToken, handle, handle.Lost);

    private static Held Wrap(ZooKeeperLeadership leadership) => new(leadership.FencingToken, leadership, leadership.Revoked);

    private static Held Wrap(ZooKeeperSemaphoreLease lease) => new(lease.FencingToken, lease, lease.Lost);

    private sealed record Held(long FencingToken, IAsyncDisposable Release, CancellationToken Lost);

    /// <summary>A resource that accepts a write only with the highest fencing token it has seen; records every write.</summary>
    private sealed class FencedRecord
    {
        private readonly Lock _gate = new();
        private readonly List<Write> _writes = [];
        private long _highest;

        public IReadOnlyList<Write> Writes
        {
            get
            {
                lock (_gate)
                {
                    return [.. _writes];
                }
            }
        }

        public void Write(string writer, long token)
        {
            lock (_gate)
            {
                var accepted = token >= _highest;
                _highest = Math.Max(_highest, token);
                _writes.Add(new Write(writer, token, Stopwatch.GetTimestamp(), accepted));
            }
        }
    }

    private readonly record struct Write(string Writer, long Token, long At, bool Accepted);

    /// <summary>
    /// Acquires, then writes to the record as a holder that honours Lost does: it checks Lost right before every write
    /// and stops at once when it fired. Acquisition and Lost are stamped on the monotonic clock.
    /// </summary>
    private sealed class Contender
    {
        private readonly TaskCompletionSource<long> _acquired = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationTokenSource _stop = new();
        private long _lostAt;
        private Task _run = Task.CompletedTask;

        private Contender(string name) => Name = name;

        public string Name { get; }

        public Task<long> Acquired => _acquired.Task;

        public long? AcquiredAt => _acquired.Task.IsCompletedSuccessfully ? _acquired.Task.Result : null;

        public long? LostAt => Interlocked.Read(ref _lostAt) is var at and not 0 ? at : null;

        public static Contender Start(string name, FencedRecord record, Func<CancellationToken, Task<Held>> acquire)
        {
            var contender = new Contender(name);
            contender._run = contender.RunAsync(record, acquire);
            return contender;
        }

        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await _run.WaitAsync(Patience, Ct);
        }

        private async Task RunAsync(FencedRecord record, Func<CancellationToken, Task<Held>> acquire)
        {
            Held held;
            try
            {
                held = await acquire(_stop.Token);
            }
            catch (Exception ex) when (ex is TimeoutException or ZooKeeperException or OperationCanceledException)
            {
                _acquired.TrySetException(ex); // never held: the safe outcome for a cut contender
                _ = _acquired.Task.Exception;
                return;
            }

            // Lost is stamped when its flag is set, seen by a thread of its own (a callback would run on the thread pool,
            // which a loaded machine may run late, stamping a Lost that was on time as late).
            var watcher = new Thread(() =>
            {
                // Stop first: the release after a stop also sets Lost, which is not the Lost being measured.
                while (!_stop.IsCancellationRequested)
                {
                    if (held.Lost.IsCancellationRequested)
                    {
                        Interlocked.CompareExchange(ref _lostAt, Stopwatch.GetTimestamp(), 0);
                        break;
                    }

                    Thread.Sleep(1);
                }
            })
            { IsBackground = true, Name = "Lost watcher " + Name };
            watcher.Start();
            _acquired.TrySetResult(Stopwatch.GetTimestamp());
            try
            {
                // At least one write unless Lost already fired: a stop right after the acquisition must not leave the
                // holder without a write to check.
                while (!held.Lost.IsCancellationRequested)
                {
                    record.Write(Name, held.FencingToken);
                    if (_stop.IsCancellationRequested)
                    {
                        break;
                    }

                    await Task.Delay(5, CancellationToken.None); // the workload's pace, not a synchronisation
                }
            }
            finally
            {
                await held.Release.DisposeAsync();
                watcher.Join();
            }
        }
    }
}
