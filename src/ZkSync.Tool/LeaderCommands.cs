using System.CommandLine;
using System.Globalization;
using ZkSync.Client;
using ZkSync.Inspection;

namespace ZkSync.Tool;

/// <summary><c>zksync leaders [PREFIX]</c> and <c>zksync leader resign NAME --participant ID</c>.</summary>
internal static class LeaderCommands
{
    private const string DefaultRoot = "/zksync/leaders";

    private static readonly Option<string?> Root = new("--root")
    {
        Description = $"The elections' root (else ZkSync:Leaders:RootPath, else {DefaultRoot}).",
    };

    public static Command CreateList()
    {
        var prefix = LocksCommands.PrefixArgument("Only elections under this name (e.g. jobs).");
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table." };
        var leaders = new Command("leaders", "List elections: the leader and the participants in line, with what each published.") { prefix, Root, json };
        leaders.SetAction(async (result, cancellationToken) =>
        {
            var connection = Connection.From(result);
            await using var client = await connection.ConnectAsync(cancellationToken);
            var root = RootOf(connection, result);
            var inspector = new ZooKeeperInspector(client);
            var query = new ZooKeeperInspectionQuery { Prefix = result.GetValue(prefix) };
            var elections = new List<ZooKeeperElectionInfo>();
            while (true)
            {
                var page = await inspector.GetElectionsAsync(root, query, cancellationToken);
                elections.AddRange(page.Items);
                if (page.IsComplete)
                {
                    break;
                }

                query.After = page.ContinueAfter;
            }

            if (result.GetValue(json))
            {
                Output.WriteJson(new
                {
                    Root = root,
                    Elections = elections.Select(e => new { e.Name, e.Path, Leader = e.Leader?.OwnerId, Participants = e.Participants.Select(Output.ToJson) }),
                });
            }
            else if (elections.Count == 0)
            {
                Console.Out.WriteLine($"No elections under {root}.");
            }
            else
            {
                var rows = elections.SelectMany(e => e.Participants.Select(p => new[]
                {
                    p.Position == 0 ? e.Name : "",
                    p.IsHolder ? "leader" : "standby",
                    p.OwnerId ?? "-",
                    Output.Session(p.SessionId),
                    Durations.Format(p.Age),
                    p.FencingToken.ToString(CultureInfo.InvariantCulture),
                    string.Join(' ', p.Metadata.Select(m => $"{m.Key}={m.Value}")),
                })).ToList();
                Output.WriteTable(Console.Out, ["ELECTION", "ROLE", "PARTICIPANT", "SESSION", "AGE", "TOKEN", "PUBLISHED"], rows);
            }

            return ExitCodes.Ok;
        });
        return leaders;
    }

    public static Command CreateLeader()
    {
        var name = new Argument<string>("NAME") { Description = "The election's name, e.g. jobs/nightly-report." };
        var participant = new Option<string>("--participant", "-p")
        {
            Description = "The participant to ask to step down: its id (as `zksync leaders` shows) or its node's name.",
            Required = true,
        };
        var yes = new Option<bool>("--yes", "-y") { Description = "Do not ask for confirmation (required when stdin is not a terminal)." };
        var resign = new Command("resign", "Ask a participant to step down by deleting its election node; it may stand again, at the back of the line.")
        {
            name, participant, yes, Root,
        };
        resign.SetAction(async (result, cancellationToken) =>
        {
            var connection = Connection.From(result);
            var root = RootOf(connection, result);
            var electionName = result.GetRequiredValue(name);
            var path = (root == "/" ? "" : root.TrimEnd('/')) + "/" + electionName.Trim('/');
            if (ZkPath.GetError(path) is { } error)
            {
                throw new ToolException(ExitCodes.Usage, $"Invalid election NAME '{electionName}' under '{root}': {error}");
            }

            await using var client = await connection.ConnectAsync(cancellationToken);
            var election = await new ZooKeeperInspector(client).GetElectionAsync(path, cancellationToken)
                ?? throw new ToolException(ExitCodes.NotFound, $"no election '{electionName}' ({path} has no participants).");
            var id = result.GetRequiredValue(participant);
            var matches = election.Participants.Where(p => p.OwnerId == id || p.Name == id).ToList();
            var target = matches switch
            {
                [] => throw new ToolException(ExitCodes.NotFound,
                    $"no participant '{id}' in '{electionName}'; participants: {string.Join(", ", election.Participants.Select(p => p.OwnerId ?? p.Name))}."),
                [var only] => only,
                _ => throw new ToolException(ExitCodes.Usage, $"{matches.Count} participants of '{electionName}' have the id '{id}'; pass the node's name instead: {string.Join(", ", matches.Select(p => p.Name))}."),
            };

            var what = $"{(target.IsHolder ? "leader" : "standby")} '{target.OwnerId ?? target.Name}' of '{electionName}' (node {target.Name}, session {Output.Session(target.SessionId)})";
            if (!result.GetValue(yes))
            {
                if (Console.IsInputRedirected)
                {
                    throw new ToolException(ExitCodes.Usage, $"refusing to remove the {what} without confirmation: pass --yes.");
                }

                Console.Error.Write($"Remove the {what}? [y/N] ");
                var answer = Console.ReadLine();
                if (!string.Equals(answer?.Trim(), "y", StringComparison.OrdinalIgnoreCase) && !string.Equals(answer?.Trim(), "yes", StringComparison.OrdinalIgnoreCase))
                {
                    Console.Error.WriteLine("zksync: not removed.");
                    return ExitCodes.Failure;
                }
            }

            try
            {
                await client.DeleteAsync(target.Path, cancellationToken: cancellationToken);
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
            {
                throw new ToolException(ExitCodes.NotFound, $"the {what} had already left.");
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoAuth)
            {
                throw new ToolException(ExitCodes.AuthFailed,
                    $"not allowed to remove {target.Path}: its ACL lets only the participant's identity delete it (pass --user with the app's credentials). {ex.Message}");
            }

            Console.Out.WriteLine($"Removed the {what}.");
            return ExitCodes.Ok;
        });

        return new Command("leader", "Act on one election.") { resign };
    }

    private static string RootOf(Connection connection, ParseResult result) => connection.Root(result.GetValue(Root), "ZkSync:Leaders:RootPath", DefaultRoot);
}
