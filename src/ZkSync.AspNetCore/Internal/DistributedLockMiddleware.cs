using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ZkSync.Client;
using ZkSync.Locks;

namespace ZkSync.AspNetCore.Internal;

/// <summary>
/// Takes the distributed lock that an endpoint's metadata asks for, holds it while the rest of the pipeline (the
/// endpoint and its response) runs, and releases it when the request ends, whether it completes, throws or is aborted.
/// </summary>
/// <remarks>
/// One implementation for controllers, minimal endpoints and route groups: MVC copies attributes into endpoint metadata,
/// and <c>RequireDistributedLock</c> adds the same <see cref="DistributedLockAttribute"/>. Requests to endpoints without
/// the metadata go straight to the next middleware.
/// </remarks>
internal sealed class DistributedLockMiddleware
{
    private readonly RequestDelegate _next;
    private readonly ZooKeeperClient _client;
    private readonly ZooKeeperLockProvider _provider;
    private readonly DistributedLockResolver _resolver;
    private readonly DistributedLockOptions _options;
    private readonly DistributedLockMetrics _metrics;
    private readonly ILogger _logger;
    private readonly string? _retryAfter;

    public DistributedLockMiddleware(
        RequestDelegate next,
        ZooKeeperClient client,
        ZooKeeperLockProvider provider,
        DistributedLockResolver resolver,
        IOptions<ZkSyncOptions> options,
        DistributedLockMetrics metrics,
        ILoggerFactory loggerFactory)
    {
        _next = next;
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

    public Task InvokeAsync(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        var metadata = endpoint?.Metadata.GetMetadata<DistributedLockAttribute>();
        if (metadata is null
            || endpoint!.Metadata.GetMetadata<DisableDistributedLockAttribute>() is not null
            || context.Features.Get<IDistributedLockFeature>() is not null)
        {
            // No lock wanted, or an outer instance of this middleware (UseZkSync called twice) already holds it.
            return _next(context);
        }

        return InvokeLockedAsync(context, endpoint, metadata);
    }

    private async Task InvokeLockedAsync(HttpContext context, Endpoint endpoint, DistributedLockAttribute metadata)
    {
        var spec = _resolver.Resolve(metadata);
        var template = spec.Template.Text;
        if (!spec.Template.TryBind(context.Request.RouteValues, out var name, out var bindingError))
        {
            Log.InvalidLockRouteValue(_logger, endpoint.DisplayName, bindingError.Placeholder, template, bindingError.Reason);
            await WriteInvalidRouteValueAsync(context, template, bindingError).ConfigureAwait(false);
            return;
        }

        var start = Stopwatch.GetTimestamp();
        var handle = await AcquireAsync(context, endpoint, spec, name, start).ConfigureAwait(false);
        if (handle is null)
        {
            return;
        }

        var waitMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        _metrics.RecordWait(template, spec.Mode, "acquired", start);
        Log.LockAcquired(_logger, DistributedLockMetrics.ModeName(handle.Mode), name, endpoint.DisplayName, waitMs, handle.FencingToken);
        await RunLockedAsync(context, endpoint, spec, handle).ConfigureAwait(false);
    }

    /// <summary>Acquires the lock, or answers the request (409, 503, 400) and returns null.</summary>
    private async Task<ZooKeeperLockHandle?> AcquireAsync(HttpContext context, Endpoint endpoint, ResolvedLock spec, string name, long start)
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
            Log.InvalidLockRouteValue(_logger, endpoint.DisplayName, spec.Template.Placeholders.FirstOrDefault() ?? "", template, ex.Message);
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

    private async Task RunLockedAsync(HttpContext context, Endpoint endpoint, ResolvedLock spec, ZooKeeperLockHandle handle)
    {
        var heldSince = Stopwatch.GetTimestamp();
        var template = spec.Template.Text;
        var originalAborted = context.RequestAborted;
        var lost = handle.Lost;
        var linked = CancellationTokenSource.CreateLinkedTokenSource(originalAborted, lost);
        _metrics.HeldChanged(template, spec.Mode, 1);
        try
        {
            // Everything after the acquisition runs inside the try whose finally releases the lock (F9: registering the
            // header callback on a response an earlier middleware had started used to throw and leak the lock).
            context.RequestAborted = linked.Token;
            context.Features.Set<IDistributedLockFeature>(new DistributedLockFeature(handle));
            if (!string.IsNullOrEmpty(_options.FencingTokenHeader) && !context.Response.HasStarted)
            {
                context.Response.OnStarting(static state =>
                {
                    var (response, header, token) = ((HttpResponse, string, long))state;
                    response.Headers[header] = token.ToString(CultureInfo.InvariantCulture);
                    return Task.CompletedTask;
                }, (context.Response, _options.FencingTokenHeader, handle.FencingToken));
            }

            await _next(context).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (lost.IsCancellationRequested && !originalAborted.IsCancellationRequested && !context.Response.HasStarted)
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
            if (lost.IsCancellationRequested)
            {
                Log.LockLost(_logger, handle.Name, handle.FencingToken, endpoint.DisplayName);
            }

            context.RequestAborted = originalAborted;
            context.Features.Set<IDistributedLockFeature>(null);
            linked.Dispose();
            _metrics.HeldChanged(template, spec.Mode, -1);

            // Never throws; waits for the delete while connected, else it continues in the background.
            await handle.DisposeAsync().ConfigureAwait(false);
            Log.LockReleased(_logger, handle.Name, Stopwatch.GetElapsedTime(heldSince).TotalMilliseconds, endpoint.DisplayName);
        }
    }

    private async Task RejectUnavailableAsync(HttpContext context, Endpoint endpoint, ResolvedLock spec, string name, long start, Exception exception)
    {
        _metrics.RecordWait(spec.Template.Text, spec.Mode, "unavailable", start);
        var state = _client.State;
        var level = state is ZooKeeperSessionState.Connected or ZooKeeperSessionState.Reconnected ? LogLevel.Warning : LogLevel.Information;
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

    private static Task WriteInvalidRouteValueAsync(HttpContext context, string template, LockNameBindingError error)
    {
        var problem = new ProblemDetails
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "Invalid route value for the distributed lock.",
            Detail = $"Route value '{error.Placeholder}' cannot name the lock '{template}': {error.Reason}.",
            Extensions = { ["placeholder"] = error.Placeholder },
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
