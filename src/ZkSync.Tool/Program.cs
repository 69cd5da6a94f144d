using System.CommandLine;
using ZkSync.Client;
using ZkSync.Tool;

var root = new RootCommand("zksync: see and drive ZkSync's (and Curator's, kazoo's) locks, leaders and barriers in ZooKeeper.")
{
    LocksCommands.Create(),
    LockCommands.Create(),
    BarrierCommands.Create(),
    LeaderCommands.CreateList(),
    LeaderCommands.CreateLeader(),
    CheckCommand.Create(),
};
foreach (var option in Connection.All)
{
    root.Add(option);
}

var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    // One line, not the whole help: scripts log it, people rerun with --help.
    var command = parsed.CommandResult.Command;
    var path = command == root ? "zksync" : "zksync " + string.Join(' ', Ancestry(command, parsed));
    Console.Error.WriteLine($"zksync: {parsed.Errors[0].Message} (see '{path} --help').");
    return ExitCodes.Usage;
}

// SIGINT, SIGTERM and SIGHUP cancel the command, which then gives back what it holds (a queued lock node, a session)
// before the tool exits; lock run and barrier hold also pass them on to their command and wait for it.
using var stopping = new CancellationTokenSource();
var signals = new[] { System.Runtime.InteropServices.PosixSignal.SIGINT, System.Runtime.InteropServices.PosixSignal.SIGTERM, System.Runtime.InteropServices.PosixSignal.SIGHUP }
    .Select(signal => System.Runtime.InteropServices.PosixSignalRegistration.Create(signal, context =>
    {
        context.Cancel = true;
        stopping.Cancel();
    }))
    .ToList();
var invocation = new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false };
try
{
    return await parsed.InvokeAsync(invocation, stopping.Token);
}
catch (ToolException ex)
{
    Console.Error.WriteLine($"zksync: {ex.Message}");
    return ex.ExitCode;
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"zksync: {ex.Message}");
    return ExitCodes.Usage;
}
catch (ZooKeeperException ex)
{
    Console.Error.WriteLine($"zksync: {ex.Message}");
    return Failures.ExitCodeOf(ex);
}
catch (OperationCanceledException) when (stopping.IsCancellationRequested)
{
    Console.Error.WriteLine("zksync: interrupted.");
    return 130;
}
finally
{
    signals.ForEach(registration => registration.Dispose());
}

static IEnumerable<string> Ancestry(Command command, ParseResult parsed)
{
    var names = new Stack<string>();
    for (var result = parsed.CommandResult; result.Parent is System.CommandLine.Parsing.CommandResult parent; result = parent)
    {
        names.Push(result.Command.Name);
    }

    _ = command;
    return names;
}
