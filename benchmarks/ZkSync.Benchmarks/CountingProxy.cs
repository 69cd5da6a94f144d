using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace ZkSync.Benchmarks;

/// <summary>
/// Counts what every library sends and receives the same way: a TCP forwarder per ensemble member on 127.0.0.1
/// (each library's sessions connect through it) that counts bytes in both directions and the requests the
/// clients send, by ZooKeeper operation code (it reads each client frame's length and request header).
/// </summary>
/// <remarks>
/// The proxies run in the benchmark process, so they add the same hop and the same CPU work for every library.
/// </remarks>
internal sealed class CountingProxy : IAsyncDisposable
{
    private readonly List<Member> _members;

    private CountingProxy(List<Member> members)
    {
        _members = members;
        ConnectionString = string.Join(',', members.Select(m => "127.0.0.1:" + m.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>The proxies' endpoints, in the order of the ensemble's connection string.</summary>
    public string ConnectionString { get; }

    /// <summary>Starts one proxy for each member of <paramref name="connectionString"/> (no chroot).</summary>
    public static CountingProxy Start(string connectionString)
    {
        var members = new List<Member>();
        foreach (var hostPort in connectionString.Split('/')[0].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = hostPort.LastIndexOf(':');
            members.Add(new Member(hostPort[..colon], int.Parse(hostPort[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture)));
        }

        return new CountingProxy(members);
    }

    /// <summary>The traffic so far, summed over the members.</summary>
    public Traffic Snapshot()
    {
        long toServer = 0, toClient = 0;
        var requests = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var member in _members)
        {
            toServer += Interlocked.Read(ref member.ClientToServerBytes);
            toClient += Interlocked.Read(ref member.ServerToClientBytes);
            for (var op = 0; op < member.Requests.Length; op++)
            {
                var count = Interlocked.Read(ref member.Requests[op]);
                if (count > 0)
                {
                    var name = OperationName(op - OpOffset);
                    requests[name] = requests.GetValueOrDefault(name) + count;
                }
            }
        }

        return new Traffic(toServer, toClient, requests);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var member in _members)
        {
            await member.DisposeAsync();
        }
    }

    /// <summary>Bytes each way and requests by operation (pings and the connect handshake not included).</summary>
    public sealed record Traffic(long ClientToServerBytes, long ServerToClientBytes, IReadOnlyDictionary<string, long> Requests)
    {
        public long RequestCount => Requests.Values.Sum();

        public Traffic Minus(Traffic earlier) => new(
            ClientToServerBytes - earlier.ClientToServerBytes,
            ServerToClientBytes - earlier.ServerToClientBytes,
            Requests.ToDictionary(p => p.Key, p => p.Value - earlier.Requests.GetValueOrDefault(p.Key), StringComparer.Ordinal));
    }

    // Operation codes from -11 (closeSession) to 107 (whoAmI) index Member.Requests at code + OpOffset.
    private const int OpOffset = 16;
    private const int PingOp = 11;

    private static string OperationName(int op) => op switch
    {
        1 => "create",
        2 => "delete",
        3 => "exists",
        4 => "getData",
        5 => "setData",
        6 => "getACL",
        7 => "setACL",
        8 => "getChildren",
        9 => "sync",
        12 => "getChildren2",
        13 => "check",
        14 => "multi",
        15 => "create2",
        17 => "checkWatches",
        18 => "removeWatches",
        19 => "createContainer",
        21 => "createTTL",
        22 => "multiRead",
        100 => "auth",
        101 => "setWatches",
        103 => "getEphemerals",
        104 => "getAllChildrenNumber",
        105 => "setWatches2",
        106 => "addWatch",
        107 => "whoAmI",
        -11 => "closeSession",
        _ => "op" + op.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private sealed class Member : IAsyncDisposable
    {
        public long ClientToServerBytes;
        public long ServerToClientBytes;
        public readonly long[] Requests = new long[128];

        private readonly string _host;
        private readonly int _targetPort;
        private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        private readonly CancellationTokenSource _stopping = new();
        private readonly Task _acceptLoop;
        private readonly List<Socket> _sockets = [];
        private readonly List<Task> _pumps = [];

        public Member(string host, int targetPort)
        {
            _host = host;
            _targetPort = targetPort;
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(1024);
            Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
            _acceptLoop = AcceptAsync();
        }

        public int Port { get; }

        private async Task AcceptAsync()
        {
            while (!_stopping.IsCancellationRequested)
            {
                Socket client;
                try
                {
                    client = await _listener.AcceptAsync(_stopping.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    return;
                }

                var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                client.NoDelay = true;
                try
                {
                    await server.ConnectAsync(_host, _targetPort, _stopping.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException)
                {
                    client.Dispose();
                    server.Dispose();
                    continue;
                }

                lock (_sockets)
                {
                    _sockets.Add(client);
                    _sockets.Add(server);
                    _pumps.Add(PumpAsync(client, server, toServer: true));
                    _pumps.Add(PumpAsync(server, client, toServer: false));
                }
            }
        }

        private async Task PumpAsync(Socket from, Socket to, bool toServer)
        {
            var buffer = new byte[64 * 1024];
            var frames = toServer ? new FrameReader(this) : null;
            try
            {
                while (true)
                {
                    var read = await from.ReceiveAsync(buffer, SocketFlags.None);
                    if (read == 0)
                    {
                        to.Shutdown(SocketShutdown.Send);
                        return;
                    }

                    if (toServer)
                    {
                        Interlocked.Add(ref ClientToServerBytes, read);
                        frames!.Read(buffer.AsSpan(0, read));
                    }
                    else
                    {
                        Interlocked.Add(ref ServerToClientBytes, read);
                    }

                    var sent = 0;
                    while (sent < read)
                    {
                        sent += await to.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None);
                    }
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                from.Dispose();
                to.Dispose();
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stopping.CancelAsync();
            _listener.Dispose();
            await _acceptLoop;
            Task[] pumps;
            lock (_sockets)
            {
                foreach (var socket in _sockets)
                {
                    socket.Dispose();
                }

                pumps = [.. _pumps];
            }

            await Task.WhenAll(pumps);
            _stopping.Dispose();
        }

        /// <summary>
        /// Splits the client's stream into frames (4-byte length, then the body). The first frame of a connection
        /// is the connect request; every later one starts with xid and operation code.
        /// </summary>
        private sealed class FrameReader(Member owner)
        {
            private readonly byte[] _header = new byte[12];
            private int _headerFill;
            private long _bodyLeft;
            private bool _connected;

            public void Read(ReadOnlySpan<byte> data)
            {
                while (!data.IsEmpty)
                {
                    if (_bodyLeft > 0)
                    {
                        var skip = (int)Math.Min(_bodyLeft, data.Length);
                        _bodyLeft -= skip;
                        data = data[skip..];
                        continue;
                    }

                    // Collect length + xid + type (or just the length of the connect request).
                    var want = (_connected ? 12 : 4) - _headerFill;
                    var take = Math.Min(want, data.Length);
                    data[..take].CopyTo(_header.AsSpan(_headerFill));
                    _headerFill += take;
                    data = data[take..];
                    if (_headerFill < (_connected ? 12 : 4))
                    {
                        continue;
                    }

                    var length = BinaryPrimitives.ReadInt32BigEndian(_header);
                    if (_connected)
                    {
                        var op = BinaryPrimitives.ReadInt32BigEndian(_header.AsSpan(8));
                        if (op != PingOp && op + OpOffset is >= 0 and < 128)
                        {
                            Interlocked.Increment(ref owner.Requests[op + OpOffset]);
                        }

                        _bodyLeft = length - 8;
                    }
                    else
                    {
                        _bodyLeft = length;
                        _connected = true;
                    }

                    _headerFill = 0;
                }
            }
        }
    }
}
