using System.Diagnostics;
using System.Globalization;
using ZkSync.Client;
using ZkSync.Locks;

namespace ZkSync.FaultWorker;

/// <summary>
/// A holder in an application that starves the thread pool (sync over async): it holds lock <c>job</c>, then blocks
/// every thread-pool thread for good. A thread of its own watches the handle's Lost flag, as a holder that checks Lost
/// before each write does, and prints when it is set. Lines: <c>HELD &lt;token&gt;</c>, <c>STARVED</c>,
/// <c>LOST &lt;ts&gt;</c> (Stopwatch timestamp).
/// </summary>
internal static class Starving
{
    public static async Task<int> RunAsync(string connection, string root, TimeSpan sessionTimeout)
    {
        var client = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions
        {
            ConnectionString = connection,
            SessionTimeout = sessionTimeout,
            ConnectTimeout = TimeSpan.FromSeconds(1),
        }).ConfigureAwait(false);
        var locks = new ZooKeeperLockProvider(client, new ZooKeeperLockOptions { RootPath = root });
        var handle = await locks.AcquireAsync("job", TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"HELD {handle.FencingToken}"));
        Console.Out.Flush();

        var watcher = new Thread(() =>
        {
            while (!handle.Lost.IsCancellationRequested)
            {
                Thread.Sleep(1);
            }

            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"LOST {Stopwatch.GetTimestamp()}"));
            Console.Out.Flush();
            Environment.Exit(0); // nothing else can run: the pool is blocked
        })
        { IsBackground = false, Name = "Lost watcher" };
        watcher.Start();

        // Starve: as many pool threads as the pool will ever have, each blocked for good.
        ThreadPool.SetMinThreads(1, 1);
        ThreadPool.SetMaxThreads(Environment.ProcessorCount, Environment.ProcessorCount);
        for (var i = 0; i < 4 * Environment.ProcessorCount; i++)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static _ => Thread.Sleep(Timeout.Infinite), null);
        }

        Console.Out.WriteLine("STARVED");
        Console.Out.Flush();
        watcher.Join();
        return 0;
    }
}
