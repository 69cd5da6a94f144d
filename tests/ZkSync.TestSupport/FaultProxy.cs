using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace ZkSync.TestSupport;

/// <summary>
/// A TCP proxy on 127.0.0.1 that forwards to one target (usually a ZooKeeper member) and injects
/// network faults on demand: see <see cref="Mode"/> and <see cref="ResetAllConnections"/>.
/// </summary>
/// <remarks>
/// <para>
/// Point the client at <see cref="Endpoint"/> instead of the server. Each accepted connection gets its own
/// connection to the target; the proxy copies bytes with asynchronous socket calls (no thread per connection).
/// </para>
/// <para>
/// The counters (<see cref="AcceptedConnections"/>, <see cref="ClientToServer"/>, <see cref="ServerToClient"/>)
/// let a test await what the proxy did, for example that a reply was swallowed before it resets the
/// connection, instead of sleeping.
/// </para>
/// <para>
/// <see cref="DisposeAsync"/> resets every connection, waits for all of the proxy's work to finish and
/// rethrows any unexpected failure of the proxy itself.
/// </para>
/// </remarks>
public sealed partial class FaultProxy : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly TimeProvider _timeProvider;
    private readonly CancellationTokenSource _disposing = new();
    private readonly ConcurrentDictionary<Connection, byte> _open = new();
    private readonly ConcurrentDictionary<Connection, byte> _running = new();
    private readonly ConcurrentQueue<Exception> _faults = new();
    private readonly Task _acceptLoop;
    private FaultMode _mode = FaultMode.Pass;
    private int _disposed;

    /// <summary>Starts a proxy to <paramref name="targetHost"/>:<paramref name="targetPort"/>.</summary>
    /// <param name="targetHost">The host to forward to.</param>
    /// <param name="targetPort">The port to forward to.</param>
    /// <param name="timeProvider">The clock for <see cref="FaultMode.Delay"/>; the system clock when null.</param>
    public FaultProxy(string targetHost, int targetPort, TimeProvider? timeProvider = null)
        : this(new DnsEndPoint(targetHost, targetPort), timeProvider)
    {
    }

    /// <summary>Starts a proxy to <paramref name="target"/>, e.g. <c>ZooKeeperEnsemble.GetMemberEndPoint(1)</c>.</summary>
    /// <param name="target">The endpoint to forward to.</param>
    /// <param name="timeProvider">The clock for <see cref="FaultMode.Delay"/>; the system clock when null.</param>
    public FaultProxy(DnsEndPoint target, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        Target = target;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(128);
        }
        catch
        {
            _listener.Dispose();
            throw;
        }

        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        _acceptLoop = AcceptLoopAsync(_disposing.Token);
    }

    /// <summary>The endpoint the proxy forwards to.</summary>
    public DnsEndPoint Target { get; }

    /// <summary>The ephemeral port the proxy listens on (on 127.0.0.1).</summary>
    public int Port { get; }

    /// <summary>Where clients connect: <c>127.0.0.1:&lt;port&gt;</c>, usable as a ZooKeeper connection string.</summary>
    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>The fault applied from now on, to every open and future connection; <see cref="FaultMode.Pass"/> at first.</summary>
    public FaultMode Mode
    {
        get => Volatile.Read(ref _mode);
        set => Volatile.Write(ref _mode, value ?? throw new ArgumentNullException(nameof(value)));
    }

    /// <summary>The number of proxied connection pairs open right now.</summary>
    public int ConnectionCount => _open.Count;

    /// <summary>The number of client connections accepted so far.</summary>
    public ProxyCounter AcceptedConnections { get; } = new();

    /// <summary>Byte counts from clients to the target.</summary>
    public FaultProxyTraffic ClientToServer { get; } = new();

    /// <summary>Byte counts from the target to clients.</summary>
    public FaultProxyTraffic ServerToClient { get; } = new();

    /// <summary>
    /// Closes every open connection pair abortively: both the client and the target see a TCP reset
    /// (ECONNRESET). Bytes still held by <see cref="FaultMode.Delay"/> are lost. New connections are
    /// still accepted.
    /// </summary>
    /// <returns>The number of connection pairs reset.</returns>
    public int ResetAllConnections()
    {
        var reset = 0;
        foreach (var connection in _open.Keys)
        {
            if (connection.Abort())
            {
                reset++;
            }
        }

        return reset;
    }

    /// <summary>
    /// Stops listening, resets every open connection and waits until all the proxy's work has finished.
    /// </summary>
    /// <exception cref="AggregateException">The proxy itself failed unexpectedly while it ran.</exception>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _acceptLoop.ConfigureAwait(false);

        // The accept loop has ended, so no connection can be added any more.
        ResetAllConnections();
        await Task.WhenAll(_running.Keys.Select(connection => connection.Completion)).ConfigureAwait(false);
        _disposing.Dispose();

        if (!_faults.IsEmpty)
        {
            throw new AggregateException($"The fault proxy to {Target} failed.", _faults);
        }
    }

    /// <inheritdoc/>
    public override string ToString()
        => $"FaultProxy {Endpoint} -> {Target.Host}:{Target.Port} ({Mode}, {ConnectionCount} open)";

    private static bool IsExpectedSocketFailure(Exception exception)
        => exception is SocketException or ObjectDisposedException or OperationCanceledException;

    private async Task AcceptLoopAsync(CancellationToken cancellationToken)
    {
        // Leave the constructor before the first accept completes.
        await Task.Yield();
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (IsExpectedSocketFailure(exception) && cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException exception) when (exception.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset)
            {
                // The client gave up before the connection was accepted.
                continue;
            }
            catch (Exception exception)
            {
                _faults.Enqueue(exception);
                return;
            }

            AcceptedConnections.Add(1);
            var connection = new Connection(this, client);
            _open.TryAdd(connection, 0);
            _running.TryAdd(connection, 0);
            connection.Start();
        }
    }

    private void OnConnectionFinished(Connection connection)
    {
        _open.TryRemove(connection, out _);
        _running.TryRemove(connection, out _);
    }
}
