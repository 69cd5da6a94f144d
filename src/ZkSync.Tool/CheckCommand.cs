using System.CommandLine;
using System.Diagnostics;
using System.Text;
using ZkSync.Client;

namespace ZkSync.Tool;

/// <summary><c>zksync check</c>: connects, round-trips and prints the session and server facts; the exit code says whether it worked.</summary>
internal static class CheckCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var check = new Command("check", "Connect, round-trip, print session and server facts (exit 0, 10 not reached, 11 auth failed, 12 timeout).") { json };
        check.SetAction(async (result, cancellationToken) =>
        {
            var connection = Connection.From(result);
            var started = Stopwatch.GetTimestamp();
            await using var client = await connection.ConnectAsync(cancellationToken);
            var connectMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;

            // A sync then a read: the member has caught up with the leader and answers.
            started = Stopwatch.GetTimestamp();
            await client.SyncAsync("/", cancellationToken);
            var root = await client.ExistsAsync("/", cancellationToken: cancellationToken);
            var roundTripMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var identities = await TryAsync(() => client.WhoAmIAsync(cancellationToken));
            var members = await TryAsync(async () => Encoding.UTF8.GetString((await client.GetDataAsync("/zookeeper/config", cancellationToken: cancellationToken)).Data));
            var session = client.Session;
            var facts = new
            {
                Server = session.ConnectedServer,
                ConnectionString = connection.Options.ConnectionString,
                SessionId = Output.Session(session.SessionId),
                NegotiatedTimeoutMs = session.NegotiatedTimeout.TotalMilliseconds,
                ConnectMs = Math.Round(connectMs, 1),
                RoundTripMs = Math.Round(roundTripMs, 1),
                LastZxid = "0x" + session.LastZxid.ToString("x", System.Globalization.CultureInfo.InvariantCulture),
                RootChildren = root?.NumChildren,
                Tls = connection.Options.Tls.Enabled,
                Identities = identities?.Select(i => $"{i.Scheme}:{i.User}").ToArray(),
                Ensemble = members?.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(line => line.StartsWith("server.", StringComparison.Ordinal)).ToArray(),
            };
            if (result.GetValue(json))
            {
                Output.WriteJson(facts);
                return ExitCodes.Ok;
            }

            Console.Out.WriteLine($"ok: connected to {facts.Server}{(facts.Tls ? " (TLS)" : "")}");
            Console.Out.WriteLine($"session:     {facts.SessionId}, timeout {Durations.Format(session.NegotiatedTimeout)} (negotiated)");
            Console.Out.WriteLine($"connect:     {facts.ConnectMs} ms; sync + read round trip {facts.RoundTripMs} ms");
            Console.Out.WriteLine($"last zxid:   {facts.LastZxid}");
            Console.Out.WriteLine($"identities:  {(facts.Identities is { Length: > 0 } ids ? string.Join(", ", ids) : "(unknown: whoAmI needs ZooKeeper 3.7+)")}");
            if (facts.Ensemble is { Length: > 0 } ensemble)
            {
                Console.Out.WriteLine($"ensemble:    {string.Join("; ", ensemble)}");
            }

            return ExitCodes.Ok;
        });
        return check;
    }

    private static async Task<T?> TryAsync<T>(Func<Task<T>> read)
        where T : class
    {
        try
        {
            return await read();
        }
        catch (ZooKeeperException)
        {
            // Optional facts: an old server (no whoAmI) or an ACL on /zookeeper/config.
            return null;
        }
    }
}
