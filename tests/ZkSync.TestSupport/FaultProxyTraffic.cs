namespace ZkSync.TestSupport;

/// <summary>
/// Byte counts of one direction of a <see cref="FaultProxy"/>, over all its connections. Every byte
/// received is eventually either forwarded or dropped, unless its connection is reset first.
/// </summary>
public sealed class FaultProxyTraffic
{
    internal FaultProxyTraffic()
    {
    }

    /// <summary>Bytes the proxy read from the sending side.</summary>
    public ProxyCounter Received { get; } = new();

    /// <summary>Bytes the proxy wrote to the receiving side.</summary>
    public ProxyCounter Forwarded { get; } = new();

    /// <summary>
    /// Bytes whose hold under <see cref="FaultMode.Delay"/> has begun (its timer is running). With a fake
    /// <see cref="TimeProvider"/>, await this before advancing the clock.
    /// </summary>
    public ProxyCounter Delayed { get; } = new();

    /// <summary>Bytes the proxy discarded because the mode did not forward this direction.</summary>
    public ProxyCounter Dropped { get; } = new();

    /// <inheritdoc/>
    public override string ToString() => $"received {Received}, delayed {Delayed}, forwarded {Forwarded}, dropped {Dropped}";
}
