using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace ZkSync.TestSupport;

/// <summary>
/// Bounded waits for tests. Tests wait for the event or task that signals what they expect, never for
/// a fixed time: a sleep is either too short on a loaded CI machine or wastes time everywhere else.
/// </summary>
/// <remarks>
/// Prefer, in this order: awaiting the operation's own task with <see cref="WithTimeout(Task, TimeSpan?, string?)"/>;
/// <see cref="WaitForEventAsync{TEventArgs}"/> for .NET events; a counter or
/// <see cref="TaskCompletionSource"/> set by the code under test. <see cref="WaitUntilAsync(Func{Task{bool}}, TimeSpan?, CancellationToken, string?)"/>
/// polls and is the last resort for state that raises no event (such as a ZooKeeper server's mode).
/// </remarks>
public static class WaitHelper
{
    /// <summary>
    /// The default bound of every wait: 30 seconds, generous for a busy two-core CI machine; infinite
    /// while a debugger is attached.
    /// </summary>
    public static TimeSpan DefaultTimeout { get; } =
        Debugger.IsAttached ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(30);

    /// <summary>The pause between two checks of <see cref="WaitUntilAsync(Func{bool}, TimeSpan?, CancellationToken, string?)"/>.</summary>
    public static TimeSpan PollInterval { get; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Waits for <paramref name="task"/> for at most <paramref name="timeout"/> (default <see cref="DefaultTimeout"/>).
    /// </summary>
    /// <exception cref="TimeoutException">The task did not complete in time; the message names the awaited expression.</exception>
    public static async Task WithTimeout(
        this Task task,
        TimeSpan? timeout = null,
        [CallerArgumentExpression(nameof(task))] string? expression = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        var limit = timeout ?? DefaultTimeout;
        try
        {
            await task.WaitAsync(limit).ConfigureAwait(false);
        }
        catch (TimeoutException) when (!task.IsCompleted)
        {
            throw new TimeoutException($"'{expression}' did not complete within {Describe(limit)}.");
        }
    }

    /// <summary>
    /// Waits for <paramref name="task"/> for at most <paramref name="timeout"/> (default <see cref="DefaultTimeout"/>)
    /// and returns its result.
    /// </summary>
    /// <exception cref="TimeoutException">The task did not complete in time; the message names the awaited expression.</exception>
    public static async Task<T> WithTimeout<T>(
        this Task<T> task,
        TimeSpan? timeout = null,
        [CallerArgumentExpression(nameof(task))] string? expression = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        var limit = timeout ?? DefaultTimeout;
        try
        {
            return await task.WaitAsync(limit).ConfigureAwait(false);
        }
        catch (TimeoutException) when (!task.IsCompleted)
        {
            throw new TimeoutException($"'{expression}' did not complete within {Describe(limit)}.");
        }
    }

    /// <inheritdoc cref="WithTimeout(Task, TimeSpan?, string?)"/>
    public static Task WithTimeout(
        this ValueTask task,
        TimeSpan? timeout = null,
        [CallerArgumentExpression(nameof(task))] string? expression = null)
        => task.AsTask().WithTimeout(timeout, expression);

    /// <inheritdoc cref="WithTimeout{T}(Task{T}, TimeSpan?, string?)"/>
    public static Task<T> WithTimeout<T>(
        this ValueTask<T> task,
        TimeSpan? timeout = null,
        [CallerArgumentExpression(nameof(task))] string? expression = null)
        => task.AsTask().WithTimeout(timeout, expression);

    /// <summary>
    /// Subscribes to an event and waits until it is raised with arguments that satisfy <paramref name="match"/>
    /// (any arguments when it is null); unsubscribes in every case.
    /// </summary>
    /// <example>
    /// <code>
    /// var args = await WaitHelper.WaitForEventAsync&lt;MyEventArgs&gt;(
    ///     h =&gt; source.Changed += h, h =&gt; source.Changed -= h, e =&gt; e.Value == 3);
    /// </code>
    /// </example>
    /// <returns>The arguments of the first matching event.</returns>
    /// <exception cref="TimeoutException">No matching event within the timeout.</exception>
    public static async Task<TEventArgs> WaitForEventAsync<TEventArgs>(
        Action<EventHandler<TEventArgs>> subscribe,
        Action<EventHandler<TEventArgs>> unsubscribe,
        Func<TEventArgs, bool>? match = null,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subscribe);
        ArgumentNullException.ThrowIfNull(unsubscribe);
        var limit = timeout ?? DefaultTimeout;
        var raised = new TaskCompletionSource<TEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Handler(object? sender, TEventArgs args)
        {
            try
            {
                if (match is null || match(args))
                {
                    raised.TrySetResult(args);
                }
            }
            catch (Exception exception)
            {
                raised.TrySetException(exception);
            }
        }

        subscribe(Handler);
        try
        {
            return await raised.Task.WaitAsync(limit, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException) when (!raised.Task.IsCompleted)
        {
            throw new TimeoutException(
                $"No {typeof(TEventArgs).Name} event{(match is null ? "" : " matching the condition")} within {Describe(limit)}.");
        }
        finally
        {
            unsubscribe(Handler);
        }
    }

    /// <summary>
    /// Last resort: checks <paramref name="condition"/> every <see cref="PollInterval"/> until it holds.
    /// Use it only for state that raises no event or task to await, such as a ZooKeeper server's mode.
    /// </summary>
    /// <exception cref="TimeoutException">The condition still did not hold after the timeout; the message names it.</exception>
    public static async Task WaitUntilAsync(
        Func<Task<bool>> condition,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default,
        [CallerArgumentExpression(nameof(condition))] string? expression = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var limit = timeout ?? DefaultTimeout;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(limit);
        try
        {
            while (!await condition().ConfigureAwait(false))
            {
                await Task.Delay(PollInterval, deadline.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"'{expression}' did not become true within {Describe(limit)}.");
        }
    }

    /// <inheritdoc cref="WaitUntilAsync(Func{Task{bool}}, TimeSpan?, CancellationToken, string?)"/>
    public static Task WaitUntilAsync(
        Func<bool> condition,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default,
        [CallerArgumentExpression(nameof(condition))] string? expression = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return WaitUntilAsync(() => Task.FromResult(condition()), timeout, cancellationToken, expression);
    }

    private static string Describe(TimeSpan timeout)
        => timeout == Timeout.InfiniteTimeSpan ? "an infinite timeout" : $"{timeout.TotalSeconds:0.###} s";
}
