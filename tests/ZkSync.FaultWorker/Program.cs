using System.Diagnostics;
using System.Globalization;
using ZkSync.Client;
using ZkSync.FaultWorker;
using ZkSync.Locks;

// Usage: ZkSync.FaultWorker <connection string> <lock root> <record file> <session timeout ms> <run seconds>
// Loops: acquire lock "job", write to the fenced store unless Lost fired, release. Prints one line per event, with
// Stopwatch timestamps (CLOCK_MONOTONIC on Linux, comparable across processes):
//   ENTER <token> <ts> | WRITE <token> ok|stale|skipped | EXIT <token> <ts> released|lost | DONE <acquisitions> <errors>
if (args.Length != 5)
{
    Console.Error.WriteLine("usage: ZkSync.FaultWorker <connection> <lock root> <record file> <session timeout ms> <run seconds>");
    return 2;
}

var connection = args[0];
var root = args[1];
var store = new FencedStore(args[2]);
var sessionTimeout = TimeSpan.FromMilliseconds(int.Parse(args[3], CultureInfo.InvariantCulture));
var stopAt = Stopwatch.GetTimestamp() + (long)(double.Parse(args[4], CultureInfo.InvariantCulture) * Stopwatch.Frequency);
var output = Console.Out;
void Emit(string line)
{
    lock (output)
    {
        output.WriteLine(line);
        output.Flush();
    }
}

await using var client = new ZooKeeperClient(new ZooKeeperClientOptions
{
    ConnectionString = connection,
    SessionTimeout = sessionTimeout,
    ConnectTimeout = TimeSpan.FromSeconds(1),
    RequestTimeout = TimeSpan.FromSeconds(10),
});
var locks = new ZooKeeperLockProvider(client, new ZooKeeperLockOptions { RootPath = root });
Emit("READY " + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
long acquisitions = 0;
long errors = 0;
while (Stopwatch.GetTimestamp() < stopAt)
{
    ZooKeeperLockHandle? handle;
    try
    {
        handle = await locks.TryAcquireAsync("job", TimeSpan.FromSeconds(2));
    }
    catch (ZooKeeperException)
    {
        errors++; // No connection within the timeout (a fault is on): try again.
        continue;
    }

    if (handle is null)
    {
        continue;
    }

    await using (handle)
    {
        acquisitions++;
        var token = handle.FencingToken;
        long lostAt = 0;
        using var onLost = handle.Lost.Register(() => Interlocked.CompareExchange(ref lostAt, Stopwatch.GetTimestamp(), 0));
        Emit(string.Create(CultureInfo.InvariantCulture, $"ENTER {token} {Stopwatch.GetTimestamp()}"));

        // The critical section: unless the lock is already known lost, some work (a pause can hit here), then a
        // read-modify-write of the fenced record that carries the token.
        var result = "skipped";
        if (!handle.Lost.IsCancellationRequested)
        {
            await Task.Delay(5);
            result = await store.IncrementAsync(token) ? "ok" : "stale";
        }

        Emit(string.Create(CultureInfo.InvariantCulture, $"WRITE {token} {result}"));
        await Task.Yield();

        // The section ends now, or when Lost fired if that was earlier.
        var now = Stopwatch.GetTimestamp();
        var lost = Interlocked.Read(ref lostAt);
        Emit(string.Create(CultureInfo.InvariantCulture, $"EXIT {token} {(lost != 0 ? Math.Min(lost, now) : now)} {(lost != 0 ? "lost" : "released")}"));
    }
}

Emit(string.Create(CultureInfo.InvariantCulture, $"DONE {acquisitions} {errors}"));
return 0;
