using System.CommandLine;
using System.Globalization;
using ZkSync.Inspection;
using ZkSync.Locks;

namespace ZkSync.Tool;

/// <summary><c>zksync lock run NAME [--wait 30s] [--shared] -- COMMAND ARGS…</c>: flock(1) across machines.</summary>
internal static class LockCommands
{
    public static readonly Option<TimeSpan> Grace = new("--grace")
    {
        Description = "How long the command has to exit after SIGTERM before SIGKILL.",
        DefaultValueFactory = _ => TimeSpan.FromSeconds(10),
        CustomParser = Durations.Parse,
    };

    public static Command Create()
    {
        var name = new Argument<string>("NAME") { Description = "The lock's name, e.g. jobs/reindex (a znode under the locks' root)." };
        var command = new Argument<string[]>("COMMAND") { Description = "The command to run while holding the lock (after --).", Arity = ArgumentArity.OneOrMore };
        var wait = new Option<TimeSpan>("--wait", "-w")
        {
            Description = "How long to wait in line for the lock; 0 (default) gives up at once if it is held (exit 13).",
            DefaultValueFactory = _ => TimeSpan.Zero,
            CustomParser = Durations.Parse,
        };
        var shared = new Option<bool>("--shared") { Description = "Take the lock shared (many shared holders at once; excludes exclusive holders)." };
        var run = new Command("run", "Hold a lock while a command runs; exit with the command's exit code.")
        {
            name, command, wait, shared, Grace, LocksCommands.Root,
        };
        run.SetAction(async (result, cancellationToken) =>
        {
            var connection = Connection.From(result);
            await using var client = await connection.ConnectAsync(cancellationToken);
            var provider = new ZooKeeperLockProvider(client, new ZooKeeperLockOptions { RootPath = LocksCommands.RootOf(connection, result) }, connection.LoggerFactory);
            var lockName = result.GetRequiredValue(name);
            var argv = result.GetRequiredValue(command);
            var request = new ZooKeeperLockRequest
            {
                Mode = result.GetValue(shared) ? ZooKeeperLockMode.Shared : ZooKeeperLockMode.Exclusive,
                Metadata = Publish(argv[0]),
            };
            var handle = await provider.TryAcquireAsync(lockName, request, result.GetValue(wait), cancellationToken);
            if (handle is null)
            {
                throw new ToolException(ExitCodes.Held, await DescribeHolderAsync(client, provider.GetLockPath(lockName), lockName, cancellationToken));
            }

            await using (handle)
            {
                Console.Error.WriteLine($"zksync: holding {handle.LockPath} (fencing token {handle.FencingToken}, session {Output.Session(client.Session.SessionId)}); running {argv[0]}.");
                return await RunHoldingAsync(handle, argv, result.GetValue(Grace));
            }
        });

        return new Command("lock", "Act on one lock.") { run };
    }

    /// <summary>What the lock node publishes: this machine, this process and the program's name (never its arguments, which may carry secrets).</summary>
    internal static Dictionary<string, string> Publish(string program) => new(StringComparer.Ordinal)
    {
        ["instance"] = Environment.MachineName,
        ["pid"] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
        ["command"] = Path.GetFileName(program),
        ["tool"] = "zksync",
    };

    private static async Task<int> RunHoldingAsync(ZooKeeperLockHandle handle, string[] argv, TimeSpan grace)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ZKSYNC_FENCING_TOKEN"] = handle.FencingToken.ToString(CultureInfo.InvariantCulture),
            ["ZKSYNC_LOCK_NAME"] = handle.Name,
            ["ZKSYNC_LOCK_PATH"] = handle.LockPath,
            ["ZKSYNC_LOCK_NODE"] = handle.NodePath,
        };
        using var child = ChildProcess.Start(argv, environment);
        var exited = child.WaitAsync(CancellationToken.None);
        var lost = Task.Delay(Timeout.Infinite, handle.Lost);
        if (await Task.WhenAny(exited, lost) == exited)
        {
            return await exited;
        }

        Console.Error.WriteLine($"zksync: lock {handle.LockPath} lost (session expired or node deleted); stopping the command (pid {child.Id}) with SIGTERM.");
        await child.StopAsync(grace);
        return ExitCodes.Lost;
    }

    private static async Task<string> DescribeHolderAsync(Client.ZooKeeperClient client, string path, string name, CancellationToken cancellationToken)
    {
        try
        {
            var info = await new ZooKeeperInspector(client).GetLockAsync(path, 5, cancellationToken);
            if (info?.Holders is [var holder, ..])
            {
                return $"lock '{name}' is held by session {Output.Session(holder.SessionId)} for {Durations.Format(holder.Age)} ({Output.Describe(holder)}).";
            }
        }
        catch (Client.ZooKeeperException)
        {
            // The refusal itself is the answer; who holds it is a courtesy.
        }

        return $"lock '{name}' is held.";
    }
}
