using System.CommandLine;
using System.Globalization;
using System.Text;
using ZkSync.Barriers;
using ZkSync.Client;
using ZkSync.Inspection;

namespace ZkSync.Tool;

/// <summary><c>zksync barrier set|clear|status|wait|hold PATH</c>: the deploy pipeline's side of <c>AddStartupBarrier</c>.</summary>
internal static class BarrierCommands
{
    public static Command Create()
    {
        var barrier = new Command("barrier", "Set, clear, inspect or wait for a barrier (a znode that blocks while it exists, e.g. /deploy/migrations).");

        var setPath = PathArgument();
        var note = new Option<string?>("--note") { Description = "Text stored in the barrier's node for operators (e.g. a job id); never a secret." };
        var set = new Command("set", "Set the barrier (creates its node and missing parents). Exit 0 whether this call set it or it was set already.") { setPath, note };
        set.SetAction(async (result, cancellationToken) =>
        {
            var connection = Connection.From(result);
            await using var client = await connection.ConnectAsync(cancellationToken);
            var path = result.GetRequiredValue(setPath);
            var created = await new ZooKeeperBarrier(client, path).SetAsync(Describe(result.GetValue(note)), cancellationToken);
            Console.Out.WriteLine(created ? $"{path}: set" : $"{path}: was already set");
            return ExitCodes.Ok;
        });

        var clearPath = PathArgument();
        var clear = new Command("clear", "Clear the barrier (deletes its node). Exit 0 whether this call cleared it or it was clear.") { clearPath };
        clear.SetAction(async (result, cancellationToken) =>
        {
            var connection = Connection.From(result);
            await using var client = await connection.ConnectAsync(cancellationToken);
            var path = result.GetRequiredValue(clearPath);
            var removed = await RemoveAsync(new ZooKeeperBarrier(client, path), cancellationToken);
            Console.Out.WriteLine(removed ? $"{path}: cleared" : $"{path}: was not set");
            return ExitCodes.Ok;
        });

        var statusPath = PathArgument();
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var status = new Command("status", "Show whether the barrier is set, since when and by whom. Exit 0 either way (use `barrier wait --timeout 0` to test).") { statusPath, json };
        status.SetAction(async (result, cancellationToken) =>
        {
            var connection = Connection.From(result);
            await using var client = await connection.ConnectAsync(cancellationToken);
            var info = await new ZooKeeperInspector(client).GetBarrierAsync(result.GetRequiredValue(statusPath), cancellationToken);
            if (result.GetValue(json))
            {
                Output.WriteJson(info);
            }
            else if (info.IsSet)
            {
                var age = DateTimeOffset.UtcNow - info.SetAt!.Value;
                Console.Out.WriteLine($"{info.Path}: set since {info.SetAt:u} ({Durations.Format(age < TimeSpan.Zero ? TimeSpan.Zero : age)} ago){(info.Data is null ? "" : " by " + info.Data)}");
            }
            else
            {
                Console.Out.WriteLine($"{info.Path}: clear");
            }

            return ExitCodes.Ok;
        });

        var waitPath = PathArgument();
        var timeout = new Option<TimeSpan?>("--timeout", "-t")
        {
            Description = "How long to wait for the barrier to clear (default: for ever); 0 checks once. Exit 12 when it runs out.",
            CustomParser = result => Durations.Parse(result),
        };
        var wait = new Command("wait", "Wait until the barrier is clear.") { waitPath, timeout };
        wait.SetAction(async (result, cancellationToken) =>
        {
            var connection = Connection.From(result);
            await using var client = await connection.ConnectAsync(cancellationToken);
            var path = result.GetRequiredValue(waitPath);
            var limit = result.GetValue(timeout);
            if (await new ZooKeeperBarrier(client, path).WaitAsync(limit, cancellationToken))
            {
                Console.Out.WriteLine($"{path}: clear");
                return ExitCodes.Ok;
            }

            throw new ToolException(ExitCodes.Timeout, $"{path} is still set after {Durations.Format(limit ?? TimeSpan.Zero)}.");
        });

        var holdPath = PathArgument();
        var command = new Argument<string[]>("COMMAND") { Description = "The command to run while the barrier is set (after --).", Arity = ArgumentArity.OneOrMore };
        var clearOnFailure = new Option<bool>("--clear-on-failure") { Description = "Clear the barrier even when the command fails (default: keep it set so nothing proceeds)." };
        var hold = new Command("hold", "Set the barrier, run a command, clear it when the command succeeds; exit with the command's exit code.")
        {
            holdPath, command, clearOnFailure, note, LockCommands.Grace,
        };
        hold.SetAction(async (result, cancellationToken) =>
        {
            var connection = Connection.From(result);
            await using var client = await connection.ConnectAsync(cancellationToken);
            var path = result.GetRequiredValue(holdPath);
            var argv = result.GetRequiredValue(command);
            var barrierNode = new ZooKeeperBarrier(client, path);
            if (!await barrierNode.SetAsync(Describe(result.GetValue(note)), cancellationToken))
            {
                // A failed earlier run (kept set on purpose) or another pipeline: the barrier stays set, and this run's
                // success clears it.
                var info = await new ZooKeeperInspector(client).GetBarrierAsync(path, cancellationToken);
                Console.Error.WriteLine($"zksync: {path} was already set{(info.SetAt is { } at ? $" (since {at:u})" : "")}{(info.Data is null ? "" : " by " + info.Data)}; holding it.");
            }
            else
            {
                Console.Error.WriteLine($"zksync: {path} set; running {argv[0]}.");
            }

            int exitCode;
            using (var child = ChildProcess.Start(argv, new Dictionary<string, string>(StringComparer.Ordinal) { ["ZKSYNC_BARRIER_PATH"] = path }))
            {
                exitCode = await child.WaitAsync(CancellationToken.None);
            }

            if (exitCode == 0 || result.GetValue(clearOnFailure))
            {
                // The command is done: clearing must not be abandoned because a signal arrived meanwhile.
                await RemoveAsync(barrierNode, CancellationToken.None);
                Console.Error.WriteLine($"zksync: {path} cleared (the command exited with {exitCode}).");
            }
            else
            {
                Console.Error.WriteLine($"zksync: the command exited with {exitCode}; {path} stays set (clear it with `zksync barrier clear {path}`).");
            }

            return exitCode;
        });

        barrier.Add(set);
        barrier.Add(clear);
        barrier.Add(status);
        barrier.Add(wait);
        barrier.Add(hold);
        return barrier;
    }

    private static Argument<string> PathArgument() => new("PATH")
    {
        Description = "The barrier's znode, e.g. /deploy/migrations (the path the app's AddStartupBarrier watches).",
        Validators =
        {
            result =>
            {
                var value = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
                if (ZkPath.GetError(value) is { } error)
                {
                    result.AddError($"Invalid barrier PATH '{value}': {error}");
                }
                else if (value == "/")
                {
                    result.AddError("Invalid barrier PATH '/': the root node cannot be a barrier.");
                }
            },
        },
    };

    /// <summary>What the barrier's node records: the note, this machine and the time (on this machine's clock).</summary>
    private static byte[] Describe(string? note) => Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
        $"{(note is null ? "" : note + " ")}(zksync on {Environment.MachineName}, pid {Environment.ProcessId}, {DateTimeOffset.UtcNow:u})"));

    private static async Task<bool> RemoveAsync(ZooKeeperBarrier barrier, CancellationToken cancellationToken)
    {
        try
        {
            return await barrier.RemoveAsync(cancellationToken);
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NotEmpty)
        {
            throw new ToolException(ExitCodes.Failure, $"{barrier.Path} has children: it is not a simple barrier (a double barrier or a parent path?); not deleted.");
        }
    }
}
