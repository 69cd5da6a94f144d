using Medallion.Threading;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

public static class DistributedLockSnippets
{
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        #region registration
        builder.Services.AddZkSync(builder.Configuration);   // the ZooKeeper connection: the "ZkSync" section
        builder.Services.AddZkSyncDistributedLock();         // was: AddSingleton<IDistributedLockProvider>(new PostgresDistributedSynchronizationProvider(...))
        #endregion
        builder.Services.AddSingleton<InvoiceRun>();
        return builder.Build();
    }
}

#region usage
// Unchanged code written against DistributedLock.Core:
public sealed class InvoiceRun(IDistributedLockProvider locks, IDistributedSemaphoreProvider semaphores)
{
    public async Task RunAsync(string month, CancellationToken cancellationToken)
    {
        await using var handle = await locks.TryAcquireLockAsync($"invoices/{month}", cancellationToken: cancellationToken);
        if (handle is null)
        {
            return; // another replica is on it
        }

        // At most four replicas render PDFs at once.
        await using var ticket = await semaphores.AcquireSemaphoreAsync("pdf-renderers", 4, cancellationToken: cancellationToken);

        // HandleLostToken fires if ZooKeeper can no longer vouch for the lock: stop writing.
        await RenderAsync(month, handle.HandleLostToken);
    }

    private static Task RenderAsync(string month, CancellationToken lost) => Task.CompletedTask;
}
#endregion
