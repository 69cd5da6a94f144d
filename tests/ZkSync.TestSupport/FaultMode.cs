namespace ZkSync.TestSupport;

/// <summary>The kinds of fault a <see cref="FaultProxy"/> can inject.</summary>
public enum FaultKind
{
    /// <summary>Bytes flow both ways unchanged.</summary>
    Pass,

    /// <summary>Both connections stay open, and every byte in either direction is silently discarded: a network partition.</summary>
    Blackhole,

    /// <summary>Requests reach the server, replies are silently discarded.</summary>
    DropServerToClient,

    /// <summary>
    /// A one-way partition the other way: the client's bytes (requests, pings, end-of-stream, resets) are silently
    /// discarded while the server's replies and notifications are still delivered. The server's end-of-stream and
    /// resets are held back: on a real network its FIN waits behind data whose acknowledgements never arrive.
    /// </summary>
    DropClientToServer,

    /// <summary>Every chunk is forwarded <see cref="FaultMode.Latency"/> after the proxy received it, in order.</summary>
    Delay,
}

/// <summary>
/// How a <see cref="FaultProxy"/> treats the bytes it receives, in both directions; set
/// <see cref="FaultProxy.Mode"/> at any time. A mode applies to bytes as the proxy reads them, and
/// again as it is about to forward them, so a partition also swallows delayed bytes still in flight.
/// </summary>
public sealed record FaultMode
{
    private FaultMode(FaultKind kind, TimeSpan latency)
    {
        Kind = kind;
        Latency = latency;
    }

    /// <summary>Forward everything unchanged.</summary>
    public static FaultMode Pass { get; } = new(FaultKind.Pass, TimeSpan.Zero);

    /// <summary>Keep the sockets open and drop every byte both ways; end-of-stream and resets do not travel either.</summary>
    public static FaultMode Blackhole { get; } = new(FaultKind.Blackhole, TimeSpan.Zero);

    /// <summary>Forward client to server, drop server to client (the server's replies and its end-of-stream).</summary>
    public static FaultMode DropServerToClient { get; } = new(FaultKind.DropServerToClient, TimeSpan.Zero);

    /// <summary>
    /// Drop client to server (its requests, pings, end-of-stream and resets), keep forwarding server to client: an
    /// asymmetric route, a half-dead NIC, a firewall that drops one direction. Both connections stay open.
    /// </summary>
    public static FaultMode DropClientToServer { get; } = new(FaultKind.DropClientToServer, TimeSpan.Zero);

    /// <summary>The kind of fault.</summary>
    public FaultKind Kind { get; }

    /// <summary>How long each chunk is held before it is forwarded; zero except for <see cref="Delay"/>.</summary>
    public TimeSpan Latency { get; }

    /// <summary>Forward both ways, each chunk <paramref name="latency"/> after it arrived, keeping the order.</summary>
    public static FaultMode Delay(TimeSpan latency)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(latency, TimeSpan.Zero);
        return new FaultMode(FaultKind.Delay, latency);
    }

    /// <inheritdoc/>
    public override string ToString() => Kind == FaultKind.Delay ? $"Delay({Latency})" : Kind.ToString();

    /// <summary>Whether an end-of-stream or a reset read in this direction travels on.</summary>
    internal bool ForwardsEnd(bool clientToServer) => Kind switch
    {
        FaultKind.Pass or FaultKind.Delay => true,
        FaultKind.DropServerToClient => clientToServer,
        _ => false,
    };

    internal bool Forwards(bool clientToServer) => Kind switch
    {
        FaultKind.Pass or FaultKind.Delay => true,
        FaultKind.DropServerToClient => clientToServer,
        FaultKind.DropClientToServer => !clientToServer,
        _ => false,
    };
}
