using System.Diagnostics;

namespace ZkSync.Client.Internal;

/// <summary>What a request needs from the session while its reply is handled (on the read loop).</summary>
internal interface IReplyContext
{
    string? Chroot { get; }

    WatchRegistry Watches { get; }

    string StripChroot(string serverPath);
}

/// <summary>
/// One request in flight. Written by the connection's single writer (which assigns the xid), matched to its reply
/// strictly in order by the read loop, completed exactly once (reply, failure, cancellation or timeout).
/// </summary>
internal abstract class ZkRequest
{
    protected ZkRequest(OpCode opCode, string? path)
    {
        OpCode = opCode;
        Path = path;
    }

    public OpCode OpCode { get; }

    /// <summary>The client-visible path, for errors and watch registration.</summary>
    public string? Path { get; }

    public int Xid { get; set; }

    /// <summary>Environment.TickCount64 deadline; long.MaxValue for none.</summary>
    public long Deadline { get; set; } = long.MaxValue;

    public long StartTimestamp { get; set; }

    /// <summary>Stopwatch timestamp taken by the writer just before the batch holding this request was written.</summary>
    public long SentAt { get; set; }

    /// <summary>The connection the request was written to (null until written), for the span's server attributes.</summary>
    public ZkConnection? SentTo { get; set; }

    public Activity? Activity { get; set; }

    public CancellationTokenRegistration CancellationRegistration { get; set; }

    public RequestTracker? Tracker { get; set; }

    public abstract bool IsCompleted { get; }

    public abstract void WriteBody(ref JuteWriter writer, string? chroot);

    /// <summary>Handles the reply; <paramref name="error"/> is the header's err.</summary>
    public abstract void OnReply(ZooKeeperErrorCode error, ref JuteReader body, IReplyContext context);

    public abstract void Fail(Exception exception);

    public abstract void Cancel(CancellationToken cancellationToken);
}

/// <summary>A request whose caller awaits a <typeparamref name="T"/>.</summary>
/// <remarks>
/// Completion is claimed first, then recorded (its span stopped, its metrics written), and only then is the task
/// completed: the caller's continuation never runs before the request's span has ended, so a parent span never ends
/// before its ZooKeeper child.
/// </remarks>
internal abstract class ZkRequest<T> : ZkRequest
{
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _claimed;

    protected ZkRequest(OpCode opCode, string? path) : base(opCode, path)
    {
    }

    public Task<T> Task => _completion.Task;

    public override bool IsCompleted => Volatile.Read(ref _claimed) != 0;

    public override void OnReply(ZooKeeperErrorCode error, ref JuteReader body, IReplyContext context)
    {
        if (error != ZooKeeperErrorCode.Ok)
        {
            OnError(error, context);
            return;
        }

        if (IsCompleted)
        {
            // Cancelled or timed out after it was sent: the reply is discarded, nothing is registered.
            return;
        }

        Complete(ReadResponse(ref body, context));
    }

    protected virtual void OnError(ZooKeeperErrorCode error, IReplyContext context) =>
        Fail(error == ZooKeeperErrorCode.Unimplemented && ServerFeatures.RequiredVersion(OpCode) is not null
            ? ServerFeatures.Unsupported(OpCode, Path)
            : new ZooKeeperException(error, Path));

    protected abstract T ReadResponse(ref JuteReader body, IReplyContext context);

    protected void Complete(T value)
    {
        if (Claim())
        {
            try
            {
                Tracker?.Completed(this, null);
            }
            finally
            {
                _completion.SetResult(value);
            }
        }
    }

    public override void Fail(Exception exception)
    {
        if (Claim())
        {
            try
            {
                Tracker?.Completed(this, exception);
            }
            finally
            {
                _completion.SetException(exception);
            }
        }
    }

    public override void Cancel(CancellationToken cancellationToken)
    {
        if (Claim())
        {
            try
            {
                Tracker?.Completed(this, new OperationCanceledException(cancellationToken));
            }
            finally
            {
                _completion.SetCanceled(cancellationToken);
            }
        }
    }

    private bool Claim() => Interlocked.Exchange(ref _claimed, 1) == 0;
}

/// <summary>Records completion of requests (metrics, tracing, cleanup).</summary>
internal abstract class RequestTracker
{
    public abstract void Completed(ZkRequest request, Exception? exception);
}
