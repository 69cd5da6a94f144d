using System.Diagnostics;
using ZkSync.Client;

namespace ZkSync.Barriers;

/// <summary>The span of a barrier wait: <c>zksync.barrier.path</c> and <c>zksync.barrier.outcome</c> (passed, timeout, canceled, error).</summary>
internal static class BarrierActivity
{
    public static async Task<bool> TraceAsync(string name, string path, Func<Task<bool>> wait, CancellationToken cancellationToken)
    {
        using var activity = ZkSyncDiagnostics.ActivitySource.StartActivity(name);
        activity?.SetTag("zksync.barrier.path", path);
        try
        {
            var passed = await wait().ConfigureAwait(false);
            activity?.SetTag("zksync.barrier.outcome", passed ? "passed" : "timeout");
            return passed;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            activity?.SetTag("zksync.barrier.outcome", "canceled");
            throw;
        }
        catch (Exception ex) when (activity is not null)
        {
            activity.SetTag("zksync.barrier.outcome", "error");
            activity.SetTag("error.type", ex is ZooKeeperException zk ? zk.Code.ToString() : ex.GetType().FullName);
            activity.SetStatus(ActivityStatusCode.Error, ex.Message);
            throw;
        }
    }
}
