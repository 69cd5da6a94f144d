using System.Diagnostics;
using System.Globalization;
using ZkSync.Client;
using ZkSync.FaultWorker;
using ZkSync.Locks;

// Usage: ZkSync.FaultWorker <connection string> <lock root> <record file> <session timeout ms> <run seconds>
// Loops: acquire lock "job", write to the fenced store unless Lost fired, release. Prints one line per event, with
// Stopwatch timestamps (CLOCK_MONOTONIC on Linux, comparable across processes):
//   ENTER <token> <ts> | WRITE <token> ok|stale|skipped | LONG <token> <ts> | EXIT <token> <ts> released|lost | DONE <acquisitions> <errors>
// SIGUSR1 makes the next critical section (or the current one) a long one: it keeps writing, checking Lost before
// every write, until Lost fires (at most 4 session timeouts), so a fault that cuts the holder is met inside it.
if (args is ["starve", var starveConnection, var starveRoot, var starveTimeout])
{
    return await Starving.RunAsync(starveConnection, starveRoot, TimeSpan.FromMilliseconds(int.Parse(starveTimeout, CultureInfo.InvariantCulture)));
}

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
var holdUntilLost = 0;
using var longSection = System.Runtime.InteropServices.PosixSignalRegistration.Create((System.Runtime.InteropServices.PosixSignal)10 /* SIGUSR1 */,
    context =>
    {
        context.Cancel = true;
        Volatile.Write(ref holdUntilLost, 1);
    });
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
        if (Volatile.Read(ref holdUntilLost) == 1 && !handle.Lost.IsCancellationRequested)
        {
            Emit(string.Create(CultureInfo.InvariantCulture, $"LONG {token} {Stopwatch.GetTimestamp()}"));
            var sectionEnds = Stopwatch.GetTimestamp() + 4 * (long)(sessionTimeout.TotalSeconds * Stopwatch.Frequency);
            while (!handle.Lost.IsCancellationRequested && Stopwatch.GetTimestamp() < sectionEnds)
            {
                await Task.Delay(20); // the workload's pace inside a long section
                if (!handle.Lost.IsCancellationRequested)
                {
                    var written = await store.IncrementAsync(token) ? "ok" : "stale";
                    Emit(string.Create(CultureInfo.InvariantCulture, $"WRITE {token} {written}"));
                }
            }

            Volatile.Write(ref holdUntilLost, 0);
        }
        await Task.Yield();

        // The section ends now, or when Lost fired if that was earlier.
        var now = Stopwatch.GetTimestamp();
        var lost = Interlocked.Read(ref lostAt);
        Emit(string.Create(CultureInfo.InvariantCulture, $"EXIT {token} {(lost != 0 ? Math.Min(lost, now) : now)} {(lost != 0 ? "lost" : "released")}"));
    }
}

Emit(string.Create(CultureInfo.InvariantCulture, $"DONE {acquisitions} {errors}"));
return 0;
