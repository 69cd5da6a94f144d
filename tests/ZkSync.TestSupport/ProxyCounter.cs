namespace ZkSync.TestSupport;

/// <summary>
/// A monotonically increasing count kept by a <see cref="FaultProxy"/> (bytes, connections) that tests
/// can await instead of sleeping: <c>await proxy.ServerToClient.Dropped.WaitForAsync(1)</c>.
/// </summary>
public sealed class ProxyCounter
{
    private readonly Lock _gate = new();
    private readonly List<(long Threshold, TaskCompletionSource Reached)> _waiters = [];
    private long _value;

    /// <summary>The current count.</summary>
    public long Value => Volatile.Read(ref _value);

    /// <summary>Completes once the count is at least <paramref name="atLeast"/>.</summary>
    public async Task WaitForAsync(long atLeast, CancellationToken cancellationToken = default)
    {
        TaskCompletionSource reached;
        lock (_gate)
        {
            if (_value >= atLeast)
            {
                return;
            }

            reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((atLeast, reached));
        }

        try
        {
            await reached.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (!reached.Task.IsCompleted)
            {
                lock (_gate)
                {
                    _waiters.RemoveAll(waiter => waiter.Reached == reached);
                }
            }
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    internal void Add(long amount)
    {
        List<TaskCompletionSource>? reached = null;
        lock (_gate)
        {
            Volatile.Write(ref _value, _value + amount);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Threshold <= _value)
                {
                    (reached ??= []).Add(_waiters[i].Reached);
                    _waiters.RemoveAt(i);
                }
            }
        }

        if (reached is not null)
        {
            foreach (var waiter in reached)
            {
                waiter.TrySetResult();
            }
        }
    }
}
