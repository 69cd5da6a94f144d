using ZkSync.Client;
using ZkSync.Leadership;
using ZkSync.Locks;
using ZkSync.Semaphores;

public static class WithoutAspNetCore
{
    public static async Task RunAsync(string connectionString, CancellationToken stopping)
    {
        await using var client = await ZooKeeperClient.ConnectAsync(
            new() { ConnectionString = connectionString }, cancellationToken: stopping);

        // An exclusive lock; Lost fires if the lock can no longer be trusted.
        var locks = new ZooKeeperLockProvider(client);
        await using (var handle = await locks.AcquireAsync("orders/42", TimeSpan.FromSeconds(5), stopping))
        {
            await SaveOrderAsync(fencingToken: handle.FencingToken, handle.Lost);
        }

        // Leader election; waits until this process leads.
        await using var election = new ZooKeeperLeaderElection(client, "jobs/nightly");
        await using (var leadership = await election.ElectAsync(cancellationToken: stopping))
        {
            await RunNightlyJobAsync(fencingToken: leadership.FencingToken, leadership.Revoked);
        }

        // A semaphore: at most three exports at a time across all replicas.
        var exports = new ZooKeeperSemaphore(client, "exports", maxLeases: 3);
        await using (var lease = await exports.AcquireAsync(TimeSpan.FromSeconds(30), stopping))
        {
            await ExportAsync(fencingToken: lease.FencingToken, lease.Lost);
        }
    }

    // Your own work. Pass the fencing token to the store you write to, so that it can refuse a stale holder.
    static Task SaveOrderAsync(long fencingToken, CancellationToken lost) => Task.CompletedTask;
    static Task RunNightlyJobAsync(long fencingToken, CancellationToken revoked) => Task.CompletedTask;
    static Task ExportAsync(long fencingToken, CancellationToken lost) => Task.CompletedTask;
}
