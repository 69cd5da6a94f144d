using System.Collections.Concurrent;
using System.Diagnostics;

namespace ZkSync.AspNetCore.Tests.Support;

/// <summary>
/// A shared record of when each request entered and left its locked section, per lock, across all apps of a test:
/// proof (or disproof) that holders of one lock never overlapped.
/// </summary>
public sealed class LockRecorder
{
    private readonly ConcurrentDictionary<string, int> _active = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<Interval> _intervals = new();
    private int _maxConcurrent;

    public IReadOnlyList<Interval> Intervals => [.. _intervals];

    /// <summary>The most requests seen inside one lock's section at the same time.</summary>
    public int MaxConcurrent => Volatile.Read(ref _maxConcurrent);

    public long Enter(string lockName)
    {
        var now = Stopwatch.GetTimestamp();
        var active = _active.AddOrUpdate(lockName, 1, (_, count) => count + 1);
        ZkSync.TestSupport.ConcurrencyMeter.RaiseTo(ref _maxConcurrent, active);
        return now;
    }

    public void Exit(string lockName, string app, long entered)
    {
        _active.AddOrUpdate(lockName, 0, (_, count) => count - 1);
        _intervals.Enqueue(new Interval(lockName, app, entered, Stopwatch.GetTimestamp()));
    }

    public sealed record Interval(string Lock, string App, long Entered, long Exited);
}
