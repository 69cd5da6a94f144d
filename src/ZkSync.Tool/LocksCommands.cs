using System.CommandLine;
using ZkSync.Inspection;

namespace ZkSync.Tool;

/// <summary><c>zksync locks [PREFIX]</c> and <c>zksync locks watch [PREFIX]</c>.</summary>
internal static class LocksCommands
{
    public const string DefaultRoot = "/zksync/locks";

    public static readonly Option<string?> Root = new("--root")
    {
        Description = $"The locks' root (else ZkSync:Locks:RootPath, else {DefaultRoot}).",
    };

    public static readonly Option<bool> Json = new("--json") { Description = "Print JSON instead of a table." };

    private static readonly Option<int> Limit = new("--limit")
    {
        Description = "The most locks to print (read a page at a time).",
        DefaultValueFactory = _ => 1000,
    };

    private static readonly Option<int> PageSize = new("--page-size")
    {
        Description = "Locks read per page; each page sends at most --budget reads to ZooKeeper.",
        DefaultValueFactory = _ => 100,
    };

    private static readonly Option<int> Budget = new("--budget")
    {
        Description = "The most ZooKeeper reads one page may send.",
        DefaultValueFactory = _ => 2000,
    };

    private static readonly Option<TimeSpan> Interval = new("--interval")
    {
        Description = "locks watch: time between refreshes.",
        DefaultValueFactory = _ => TimeSpan.FromSeconds(2),
        CustomParser = Durations.Parse,
    };

    public static Command Create()
    {
        var prefix = PrefixArgument("Only locks under this name (e.g. orders or orders/42).");
        var locks = new Command("locks", "List locks with their holders and queues (ZkSync, Curator and kazoo nodes).") { prefix, Root, Json, Limit, PageSize, Budget };
        locks.SetAction(async (result, cancellationToken) =>
        {
            var connection = Connection.From(result);
            await using var client = await connection.ConnectAsync(cancellationToken);
            var items = await ReadAsync(connection, client, result, result.GetValue(prefix), cancellationToken);
            Print(result, connection, items);
            return ExitCodes.Ok;
        });

        var watchPrefix = PrefixArgument("Only locks under this name.");
        var watch = new Command("watch", "Refresh the lock table until interrupted.") { watchPrefix, Root, Json, Limit, PageSize, Budget, Interval };
        watch.SetAction(async (result, cancellationToken) =>
        {
            var connection = Connection.From(result);
            await using var client = await connection.ConnectAsync(cancellationToken);
            var interval = result.GetValue(Interval);
            var clear = !Console.IsOutputRedirected && !result.GetValue(Json);
            try
            {
                while (true)
                {
                    var items = await ReadAsync(connection, client, result, result.GetValue(watchPrefix), cancellationToken);
                    if (clear)
                    {
                        Console.Clear();
                    }

                    Console.Out.WriteLine($"# {DateTimeOffset.Now:yyyy-MM-dd HH:mm:ss} {RootOf(connection, result)} ({items.Count} locks)");
                    Print(result, connection, items);
                    await Console.Out.FlushAsync(cancellationToken);
                    await Task.Delay(interval, cancellationToken);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return ExitCodes.Ok;
            }
        });
        locks.Add(watch);
        return locks;
    }

    /// <summary>An optional name prefix; a token starting with '-' is an unknown option, not a name.</summary>
    public static Argument<string?> PrefixArgument(string description) => new("PREFIX")
    {
        Description = description,
        Arity = ArgumentArity.ZeroOrOne,
        Validators =
        {
            result =>
            {
                if (result.Tokens is [{ Value: var value }] && value.StartsWith('-'))
                {
                    result.AddError($"Unrecognized option '{value}'.");
                }
            },
        },
    };

    public static string RootOf(Connection connection, ParseResult result) => connection.Root(result.GetValue(Root), "ZkSync:Locks:RootPath", DefaultRoot);

    private static async Task<List<ZooKeeperLockInfo>> ReadAsync(Connection connection, Client.ZooKeeperClient client, ParseResult result, string? prefix,
        CancellationToken cancellationToken)
    {
        var limit = result.GetValue(Limit);
        if (limit < 1)
        {
            throw new ToolException(ExitCodes.Usage, $"--limit must be at least 1 (got {limit}).");
        }

        var inspector = new ZooKeeperInspector(client);
        var query = new ZooKeeperInspectionQuery { Prefix = prefix, PageSize = Math.Min(result.GetValue(PageSize), limit), NodeBudget = result.GetValue(Budget) };
        var items = new List<ZooKeeperLockInfo>();
        while (true)
        {
            var page = await inspector.GetLocksAsync(RootOf(connection, result), query, cancellationToken);
            items.AddRange(page.Items);
            if (page.IsComplete)
            {
                return items;
            }

            if (items.Count >= limit)
            {
                Console.Error.WriteLine($"zksync: showing the first {limit} locks; more follow (raise --limit, or narrow with a PREFIX).");
                return items[..limit];
            }

            query.After = page.ContinueAfter;
        }
    }

    private static void Print(ParseResult result, Connection connection, List<ZooKeeperLockInfo> items)
    {
        if (result.GetValue(Json))
        {
            Output.WriteJson(new
            {
                Root = RootOf(connection, result),
                Locks = items.Select(item => new
                {
                    item.Name,
                    item.Path,
                    item.QueueLength,
                    item.MixesLayouts,
                    Holders = item.Holders.Select(Output.ToJson),
                    Waiters = item.Waiters.Select(Output.ToJson),
                }),
            });
            return;
        }

        if (items.Count == 0)
        {
            Console.Out.WriteLine($"No locks under {RootOf(connection, result)}.");
            return;
        }

        var rows = new List<string[]>();
        foreach (var item in items)
        {
            foreach (var node in item.Queue)
            {
                rows.Add([
                    node.Position == 0 ? item.Name : "",
                    node.IsHolder ? "holds" : "waits",
                    node.Mode == Locks.ZooKeeperLockMode.Shared ? "shared" : "exclusive",
                    Output.Session(node.SessionId),
                    Durations.Format(node.Age),
                    node.FencingToken.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    node.Name,
                    Output.Describe(node),
                ]);
            }

            if (item.QueueLength > item.Queue.Count)
            {
                rows.Add(["", $"+{item.QueueLength - item.Queue.Count} more", "", "", "", "", "", ""]);
            }

            if (item.MixesLayouts)
            {
                Console.Error.WriteLine($"zksync: warning: {item.Name} mixes Curator-layout and kazoo nodes; ZkSync orders them by sequence, but Curator misorders kazoo's and kazoo sees the others only with extra_lock_patterns.");
            }
        }

        Output.WriteTable(Console.Out, ["LOCK", "STATE", "MODE", "SESSION", "AGE", "TOKEN", "NODE", "OWNER"], rows);
    }
}
