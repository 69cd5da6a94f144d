namespace ZkSync.Client;

/// <summary>Settings of a <see cref="ZooKeeperClient"/>.</summary>
public sealed class ZooKeeperClientOptions
{
    /// <summary>
    /// Required. <c>host:port[,host:port…][/chroot]</c>, e.g. <c>zk1:2181,zk2:2181,zk3:2181/apps/orders</c>.
    /// Hosts are tried in a random order; a missing port means 2181.
    /// </summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>
    /// The session timeout to request. The server clamps it to [2, 20] × its tickTime and the client uses the negotiated
    /// value. Default 20 s: long enough to ride out a leader election, short enough that a crashed replica's locks pass on
    /// quickly.
    /// </summary>
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// The time allowed for one connection attempt to one server (TCP connect plus session handshake). Default 5 s.
    /// </summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The time a request may wait for its reply, including time queued while the client reconnects. A request that
    /// runs out fails with <see cref="ZooKeeperErrorCode.RequestTimeout"/> (its outcome is unknown if it was sent).
    /// Default 30 s; <see cref="Timeout.InfiniteTimeSpan"/> disables it.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The largest reply frame accepted, in bytes. A larger frame fails the connection (the client reconnects). Default
    /// 4 MiB (the server's own request limit, <c>jute.maxbuffer</c>, is 1 MiB by default; large child lists can exceed it).
    /// </summary>
    public int MaxFrameSize { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// The largest request sent, in bytes as the server counts them against its <c>jute.maxbuffer</c> (the serialized
    /// request: header, path, data, ACL, every operation of a multi). A larger request fails on its own with
    /// <see cref="ZooKeeperErrorCode.BadArguments"/> naming the path, its size and this limit, and is never sent: the
    /// server would close the connection, and with it every lock and leadership of the client. Default 1 MiB minus 1 KiB
    /// (<see cref="DefaultMaxRequestSize"/>), below the server's default <c>jute.maxbuffer</c> of 1 MiB − 1; raise it
    /// only together with the servers' <c>jute.maxbuffer</c>.
    /// </summary>
    public int MaxRequestSize { get; set; } = DefaultMaxRequestSize;

    /// <summary>The default of <see cref="MaxRequestSize"/>: 1 MiB − 1 KiB (1,047,552 bytes).</summary>
    public const int DefaultMaxRequestSize = 1024 * 1024 - 1024;

    /// <summary>TLS settings; off by default.</summary>
    public ZooKeeperTlsOptions Tls { get; set; } = new();

    /// <summary>Credentials sent (in order) on every new connection, before any request.</summary>
    public IList<ZooKeeperAuthInfo> AuthInfo { get; } = new List<ZooKeeperAuthInfo>();

    /// <summary>
    /// Whether the client starts a new session by itself after its session expired. Default true: a long-lived
    /// application client keeps working; recipes observe <see cref="ZooKeeperSessionState.Expired"/> and react.
    /// </summary>
    public bool RenewExpiredSession { get; set; } = true;

    /// <summary>Checks the options and throws <see cref="ArgumentException"/> naming the bad option.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new ArgumentException("ConnectionString is required: 'host:port[,host:port…][/chroot]'.", nameof(ConnectionString));
        }

        _ = Internal.ConnectionString.Parse(ConnectionString);
        if (SessionTimeout < TimeSpan.FromMilliseconds(1000) || SessionTimeout > TimeSpan.FromHours(1))
        {
            throw new ArgumentException($"SessionTimeout must be between 1 s and 1 h (was {SessionTimeout}).", nameof(SessionTimeout));
        }

        if (ConnectTimeout <= TimeSpan.Zero || ConnectTimeout > TimeSpan.FromMinutes(10))
        {
            throw new ArgumentException($"ConnectTimeout must be positive and at most 10 min (was {ConnectTimeout}).", nameof(ConnectTimeout));
        }

        if (RequestTimeout != Timeout.InfiniteTimeSpan && (RequestTimeout <= TimeSpan.Zero || RequestTimeout > TimeSpan.FromDays(1)))
        {
            throw new ArgumentException($"RequestTimeout must be positive and at most 1 day, or infinite (was {RequestTimeout}).", nameof(RequestTimeout));
        }

        if (MaxFrameSize < 1024)
        {
            throw new ArgumentException($"MaxFrameSize must be at least 1024 bytes (was {MaxFrameSize}).", nameof(MaxFrameSize));
        }

        if (MaxRequestSize < 1024)
        {
            throw new ArgumentException($"MaxRequestSize must be at least 1024 bytes, and no larger than the servers' jute.maxbuffer (was {MaxRequestSize}).", nameof(MaxRequestSize));
        }
    }
}
