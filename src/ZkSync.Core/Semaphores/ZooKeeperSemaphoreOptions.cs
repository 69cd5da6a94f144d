namespace ZkSync.Semaphores;

/// <summary>Options of a <see cref="ZooKeeperSemaphore"/> (bindable from configuration).</summary>
public sealed class ZooKeeperSemaphoreOptions
{
    /// <summary>
    /// The znode under which semaphores live; semaphore <c>exports</c> uses <c>/zksync/semaphores/exports</c>.
    /// Default <c>/zksync/semaphores</c>.
    /// </summary>
    public string RootPath { get; set; } = "/zksync/semaphores";
}
