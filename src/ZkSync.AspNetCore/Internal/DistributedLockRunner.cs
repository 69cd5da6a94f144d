using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ZkSync.Client;
using ZkSync.Locks;

namespace ZkSync.AspNetCore.Internal;

/// <summary>
/// Takes, holds and releases endpoint locks for the middleware, the endpoint guard and the filters: one implementation of
/// acquisition, rejection (400, 409, 503 as problem details), the fencing-token header, <c>Lost</c> linked into
/// <c>RequestAborted</c>, metrics, logs and release on every path.
/// </summary>
/// <remarks>
/// Whoever opens a <see cref="LockScope"/> (<see cref="RunScopeAsync"/>) runs the rest of the request inside it, so the
/// lock is released only after the response has been written (streamed responses included), whether the request
/// completes, throws or is aborted. The lock itself is taken at once for locks named by the request alone, or by a
/// filter after binding (<see cref="AcquireAfterBindingAsync"/>) for locks that need bound arguments.
/// </remarks>
internal sealed class DistributedLockRunner
{
    private readonly ZooKeeperClient _client;
    private readonly ZooKeeperLockProvider _provider;
    private readonly DistributedLockResolver _resolver;
    private readonly DistributedLockOptions _options;
    private readonly DistributedLockMetrics _metrics;
    private readonly ILogger _logger;
    private readonly string? _retryAfter;

    public DistributedLockRunner(
        ZooKeeperClient client,
        ZooKeeperLockProvider provider,
        DistributedLockResolver resolver,
        IOptions<ZkSyncOptions> options,
        DistributedLockMetrics metrics,
        ILoggerFactory loggerFactory)
    {
        _client = client;
        _provider = provider;
        _resolver = resolver;
        _options = options.Value.Locks;
        _metrics = metrics;
        _logger = loggerFactory.CreateLogger("ZkSync.AspNetCore.DistributedLockMiddleware");
        _retryAfter = _options.RetryAfter > TimeSpan.Zero
            ? Math.Ceiling(_options.RetryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture)
            : null;
    }

    /// <summary>The lock plan of <paramref name="endpoint"/>, or null when it takes no lock.</summary>
    public LockPlan? GetPlan(Endpoint? endpoint) => _resolver.GetPlan(endpoint);

    /// <summary>
    /// Opens a scope for <paramref name="plan"/>'s endpoint, takes the lock unless a filter takes it after binding, runs
    /// <paramref name="next"/>, and releases the lock when it has finished (response written).
    /// </summary>
    public async Task RunScopeAsync(HttpContext context, LockPlan plan, RequestDelegate next)
    {
        if (plan.Errors.Count > 0)
        {
            // Only for endpoints added after startup (a dynamic endpoint data source); the others failed startup.
            throw new InvalidOperationException("ZkSync cannot lock this request: " + string.Join(Environment.NewLine, plan.Errors));
        }

        var outer = context.Features.Get<LockScope>();
        var scope = new LockScope(plan, context.RequestAborted);
        var endpointFeature = context.Features.Get<IEndpointFeature>();
        var watcher = new LockScope.EndpointWatcher(endpointFeature, scope, context);
        outer?.Leave(context);
        context.Features.Set(scope);
        context.Features.Set<IEndpointFeature>(watcher);
        try
        {
            if (!plan.AfterBinding && !await AcquireAsync(context, scope, default).ConfigureAwait(false))
            {
                return;
            }

            await next(context).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (scope.Handle is { } handle && handle.Lost.IsCancellationRequested
            && !scope.OriginalAborted.IsCancellationRequested && !context.Response.HasStarted)
        {
            // The handler stopped because the lock was lost (it observed RequestAborted): answer like an unavailable lock.
            context.Response.Clear();
            SetRejectionHeaders(context, _options.UnavailableStatusCode);
            await WriteProblemAsync(context, _options.UnavailableStatusCode, "The distributed lock was lost.",
                $"The lock '{handle.Name}' was lost while the request ran (ZooKeeper connection suspended or session expired); the request was stopped. Retry later.",
                handle.Name).ConfigureAwait(false);
        }
        finally
        {
            if (ReferenceEquals(context.Features.Get<IEndpointFeature>(), watcher))
            {
                context.Features.Set(endpointFeature);
            }

            context.Features.Set(outer);
            await ReleaseAsync(context, scope).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Takes the lock of the current endpoint's scope after binding, naming it with <paramref name="arguments"/>; false
    /// (the response written: 400, 409 or 503) when it was not taken.
    /// </summary>
    public ValueTask<bool> AcquireAfterBindingAsync(HttpContext context, LockScope scope, LockArguments arguments) =>
        scope.Handle is not null ? ValueTask.FromResult(true) : new ValueTask<bool>(AcquireAsync(context, scope, arguments));

    private async Task<bool> AcquireAsync(HttpContext context, LockScope scope, LockArguments arguments)
    {
        var plan = scope.Plan;
        var endpoint = plan.Endpoint;
        var spec = plan.Lock;
        if (plan.TryGetName(context, arguments, out var name) is { } bindingError)
        {
            Log.InvalidLockRouteValue(_logger, endpoint.DisplayName, bindingError.Placeholder.Text, spec.Template.Text, bindingError.Reason);
            await WriteInvalidValueAsync(context, spec.Template.Text, bindingError).ConfigureAwait(false);
            return false;
        }

        var start = Stopwatch.GetTimestamp();
        var handle = await TryAcquireAsync(context, endpoint, spec, name!, start).ConfigureAwait(false);
        if (handle is null)
        {
            return false;
        }

        var waitMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        _metrics.RecordWait(spec.Template.Text, spec.Mode, "acquired", start);
        Log.LockAcquired(_logger, DistributedLockMetrics.ModeName(handle.Mode), name!, endpoint.DisplayName, waitMs, handle.FencingToken);
        _metrics.HeldChanged(spec.Template.Text, spec.Mode, 1);
        scope.Hold(context, handle);
        if (!string.IsNullOrEmpty(_options.FencingTokenHeader) && !context.Response.HasStarted)
        {
            // Registered after Hold, inside the caller's try whose finally releases the lock (F9).
            context.Response.OnStarting(static state =>
            {
                var (response, header, token) = ((HttpResponse, string, long))state;
                response.Headers[header] = token.ToString(CultureInfo.InvariantCulture);
                return Task.CompletedTask;
            }, (context.Response, _options.FencingTokenHeader, handle.FencingToken));
        }

        return true;
    }

    private async Task ReleaseAsync(HttpContext context, LockScope scope)
    {
        if (scope.Handle is not { } handle)
        {
            return;
        }

        var spec = scope.Plan.Lock;
        if (handle.Lost.IsCancellationRequested)
        {
            Log.LockLost(_logger, handle.Name, handle.FencingToken, scope.Endpoint.DisplayName);
        }

        scope.Detach(context);
        _metrics.HeldChanged(spec.Template.Text, spec.Mode, -1);

        // Never throws; waits for the delete while connected, else it continues in the background.
        await handle.DisposeAsync().ConfigureAwait(false);
        Log.LockReleased(_logger, handle.Name, Stopwatch.GetElapsedTime(scope.HeldSince).TotalMilliseconds, scope.Endpoint.DisplayName);
    }

    /// <summary>Acquires the lock, or answers the request (409, 503, 400) and returns null.</summary>
    private async Task<ZooKeeperLockHandle?> TryAcquireAsync(HttpContext context, Endpoint endpoint, ResolvedLock spec, string name, long start)
    {
        var template = spec.Template.Text;
        var wait = spec.WaitTimeout;
        if (wait == TimeSpan.Zero && _client.State is not (ZooKeeperSessionState.Connected or ZooKeeperSessionState.Reconnected))
        {
            // "Try once" needs one answer from ZooKeeper; without a connection it would wait for the client's request
            // timeout instead of failing fast.
            await RejectUnavailableAsync(context, endpoint, spec, name, start, new ZooKeeperException(ZooKeeperErrorCode.ConnectionLoss, null,
                $"The ZooKeeper client is not connected (state {_client.State}).")).ConfigureAwait(false);
            return null;
        }

        ZooKeeperLockHandle? handle;
        try
        {
            handle = await _provider.TryAcquireAsync(name, spec.CreateRequest(context), wait, context.RequestAborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away: nobody to answer, and the provider left no node behind.
            _metrics.RecordWait(template, spec.Mode, "aborted", start);
            Log.LockWaitAborted(_logger, endpoint.DisplayName, name);
            return null;
        }
        catch (ZooKeeperException ex)
        {
            if (!ex.IsTransient && ex.Code is not (ZooKeeperErrorCode.SessionExpired or ZooKeeperErrorCode.ConnectionLoss))
            {
                Log.LockRefused(_logger, name, endpoint.DisplayName, ex);
            }

            await RejectUnavailableAsync(context, endpoint, spec, name, start, ex).ConfigureAwait(false);
            return null;
        }
        catch (ObjectDisposedException ex)
        {
            // The host is shutting down and the client is closed.
            await RejectUnavailableAsync(context, endpoint, spec, name, start, ex).ConfigureAwait(false);
            return null;
        }
        catch (InvalidOperationException) when (spec.HasOwner)
        {
            // The owner already holds the lock here and reentrancy is off, or it holds it shared and asks for exclusive.
            handle = null;
        }
        catch (ArgumentException ex)
        {
            // The provider's own name rules (a backstop; the template already checked every value).
            Log.InvalidLockRouteValue(_logger, endpoint.DisplayName, spec.Template.Placeholders.FirstOrDefault()?.Text ?? "", template, ex.Message);
            await WriteProblemAsync(context, StatusCodes.Status400BadRequest, "Invalid lock name.", ex.Message, null).ConfigureAwait(false);
            return null;
        }

        if (handle is null)
        {
            var waitMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            _metrics.RecordWait(template, spec.Mode, "contended", start);
            Log.LockContended(_logger, DistributedLockMetrics.ModeName(spec.Mode), name, endpoint.DisplayName, waitMs);
            await RejectAsync(context, spec, name, DistributedLockRejectionReason.Contention, null).ConfigureAwait(false);
        }

        return handle;
    }

    private async Task RejectUnavailableAsync(HttpContext context, Endpoint endpoint, ResolvedLock spec, string name, long start, Exception exception)
    {
        _metrics.RecordWait(spec.Template.Text, spec.Mode, "unavailable", start);
        var state = _client.State;
        // Warning when ZooKeeper refused while connected; Debug during an outage, which the client already reports
        // (rate-limited): one line per rejected request would flood the log for as long as the outage lasts.
        var level = state is ZooKeeperSessionState.Connected or ZooKeeperSessionState.Reconnected ? LogLevel.Warning : LogLevel.Debug;
        Log.LockUnavailable(_logger, level, name, endpoint.DisplayName, state, exception.Message);
        await RejectAsync(context, spec, name, DistributedLockRejectionReason.Unavailable, exception).ConfigureAwait(false);
    }

    private async Task RejectAsync(HttpContext context, ResolvedLock spec, string name, DistributedLockRejectionReason reason, Exception? exception)
    {
        _metrics.Rejected(spec.Template.Text, spec.Mode, reason);
        var status = reason == DistributedLockRejectionReason.Contention ? _options.RejectionStatusCode : _options.UnavailableStatusCode;
        SetRejectionHeaders(context, status);
        if (_options.OnRejected is { } onRejected)
        {
            await onRejected(new DistributedLockRejectedContext(context, name, spec.Template.Text, reason, exception), context.RequestAborted).ConfigureAwait(false);
        }

        if (context.Response.HasStarted)
        {
            return;
        }

        if (reason == DistributedLockRejectionReason.Contention)
        {
            await WriteProblemAsync(context, context.Response.StatusCode, "The resource is locked.",
                $"Another request holds the lock '{name}'. Retry later.", name).ConfigureAwait(false);
        }
        else
        {
            await WriteProblemAsync(context, context.Response.StatusCode, "The distributed lock service is unavailable.",
                $"The lock '{name}' could not be taken because ZooKeeper did not answer in time. Retry later.", name).ConfigureAwait(false);
        }
    }

    private void SetRejectionHeaders(HttpContext context, int status)
    {
        context.Response.StatusCode = status;
        if (_retryAfter is not null)
        {
            context.Response.Headers.RetryAfter = _retryAfter;
        }
    }

    private static Task WriteInvalidValueAsync(HttpContext context, string template, LockNameBindingError error)
    {
        var problem = new ProblemDetails
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "Invalid value for the distributed lock.",
            Detail = $"{error.Placeholder.Describe()} cannot name the lock '{template}': {error.Reason}.",
            Extensions =
            {
                ["placeholder"] = error.Placeholder.Text,
                ["source"] = error.Placeholder.SourceName,
            },
        };
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        return TypedResults.Problem(problem).ExecuteAsync(context);
    }

    private static Task WriteProblemAsync(HttpContext context, int status, string title, string detail, string? lockName)
    {
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail };
        if (lockName is not null)
        {
            problem.Extensions["lock"] = lockName;
        }

        // Goes through IProblemDetailsService when one is registered, else writes application/problem+json.
        return TypedResults.Problem(problem).ExecuteAsync(context);
    }
}
