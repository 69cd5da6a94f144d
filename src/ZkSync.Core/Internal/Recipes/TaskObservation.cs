namespace ZkSync.Internal.Recipes;

/// <summary>Fire-and-forget helpers for requests whose outcome does not matter to the caller.</summary>
internal static class TaskObservation
{
    /// <summary>Observes a task's failure so that it never surfaces as an unobserved task exception.</summary>
    /// <param name="task">The task.</param>
    public static void ObserveFailure(this Task task) =>
        _ = task.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
}
