namespace ZkSync.TestSupport.Peers;

/// <summary>Parameters of the peer benchmark drivers; each driver uses the ones that apply to it.</summary>
public sealed record PeerBenchmarkOptions
{
    /// <summary>Measured time of each throughput row (default 5 s).</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Unmeasured run before each throughput row (default 1 s; zero skips it).</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Java client: requests kept in flight (default 1000).</summary>
    public int InFlight { get; init; } = 1000;

    /// <summary>Java client: znode value size (default 100 bytes).</summary>
    public int ValueBytes { get; init; } = 100;

    /// <summary>Lock benchmarks: uncontended acquire+release iterations (default 1000).</summary>
    public int Iterations { get; init; } = 1000;

    /// <summary>Lock benchmarks: sessions contending on one lock (default 8).</summary>
    public int Sessions { get; init; } = 8;

    /// <summary>Lock benchmarks: concurrent callers on distinct lock names sharing one session (default 64).</summary>
    public int Callers { get; init; } = 64;
}
