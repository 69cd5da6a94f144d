using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ZkSync.TestSupport;

/// <summary>
/// The real ZooKeeper ensemble the tests run against, and control over its members.
/// </summary>
/// <remarks>
/// Tests find the ensemble through the environment variable <c>ZKSYNC_TEST_CONNECTION</c> (set by
/// <c>eng/test.sh</c>); without it they use the ensemble that <c>eng/zookeeper.sh up</c> starts by default.
/// Member <c>i</c> is the <c>i</c>-th host of the connection string. Stopping and starting members works
/// only for an ensemble that <c>eng/zookeeper.sh</c> started (<see cref="IsScriptManaged"/>).
/// </remarks>
public static class ZooKeeperEnsemble
{
    /// <summary>The environment variable that holds the test ensemble's connection string.</summary>
    public const string ConnectionStringVariable = "ZKSYNC_TEST_CONNECTION";

    /// <summary>The connection string of the 3-member ensemble that <c>eng/zookeeper.sh up</c> starts.</summary>
    public const string DefaultConnectionString = "127.0.0.1:22181,127.0.0.1:22182,127.0.0.1:22183";

    /// <summary>How long one four-letter-word exchange may take before the member counts as not serving.</summary>
    public static readonly TimeSpan FourLetterWordTimeout = TimeSpan.FromSeconds(5);

    private const string SolutionFileName = "ZkSync.AspNetCore.sln";
    private const string StateDirectoryVariable = "ZK_STATE_DIR";

    private static readonly Lazy<string> LazyRepositoryRoot = new(FindRepositoryRoot);

    /// <summary>
    /// The connection string of the test ensemble: <c>ZKSYNC_TEST_CONNECTION</c>, else <see cref="DefaultConnectionString"/>.
    /// </summary>
    public static string ConnectionString
    {
        get
        {
            var value = Environment.GetEnvironmentVariable(ConnectionStringVariable);
            return string.IsNullOrWhiteSpace(value) ? DefaultConnectionString : value.Trim();
        }
    }

    /// <summary>The number of members, that is, of hosts in <see cref="ConnectionString"/>.</summary>
    public static int MemberCount => ParseHosts(ConnectionString, out _).Count;

    /// <summary>
    /// True when <c>eng/zookeeper.sh</c> started the test ensemble: its state directory records an ensemble
    /// with the same connection string and holds pid files, so members can be stopped and started.
    /// </summary>
    public static bool IsScriptManaged
    {
        get
        {
            string stateDirectory;
            try
            {
                stateDirectory = StateDirectory;
            }
            catch (InvalidOperationException)
            {
                return false;
            }

            var stateFile = Path.Combine(stateDirectory, "ensemble");
            if (!File.Exists(stateFile))
            {
                return false;
            }

            var recorded = File.ReadLines(stateFile)
                .Where(line => line.StartsWith("connection_string=", StringComparison.Ordinal))
                .Select(line => line["connection_string=".Length..].Trim())
                .FirstOrDefault();
            ParseHosts(ConnectionString, out var chroot);
            var expected = chroot.Length == 0 ? ConnectionString : ConnectionString[..^chroot.Length];
            return string.Equals(recorded, expected, StringComparison.Ordinal)
                && Directory.EnumerateFiles(stateDirectory, "zookeeper.pid", SearchOption.AllDirectories).Any();
        }
    }

    /// <summary>The repository root: the nearest directory above the test binaries that holds ZkSync.AspNetCore.sln.</summary>
    /// <exception cref="InvalidOperationException">The tests do not run from inside the repository.</exception>
    public static string RepositoryRoot => LazyRepositoryRoot.Value;

    /// <summary>Where <c>eng/zookeeper.sh</c> keeps configs, data, pid files and logs: <c>ZK_STATE_DIR</c>, else <c>&lt;repo&gt;/.zk</c>.</summary>
    public static string StateDirectory
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable(StateDirectoryVariable);
            return string.IsNullOrWhiteSpace(configured)
                ? Path.Combine(RepositoryRoot, ".zk")
                : Path.GetFullPath(configured, RepositoryRoot);
        }
    }

    /// <summary>Returns the client endpoint of member <paramref name="member"/> (1-based).</summary>
    public static DnsEndPoint GetMemberEndPoint(int member)
    {
        var hosts = ParseHosts(ConnectionString, out _);
        ValidateMember(member, hosts.Count);
        return hosts[member - 1];
    }

    /// <summary>
    /// Returns a connection string naming only the given members (1-based, in the given order), keeping
    /// any chroot suffix; for example <c>ConnectionStringFor(1, 3)</c> gives <c>127.0.0.1:22181,127.0.0.1:22183</c>.
    /// </summary>
    public static string ConnectionStringFor(params int[] members)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (members.Length == 0)
        {
            throw new ArgumentException("Name at least one member.", nameof(members));
        }

        var hosts = ParseHosts(ConnectionString, out var chroot);
        var parts = new string[members.Length];
        for (var i = 0; i < members.Length; i++)
        {
            ValidateMember(members[i], hosts.Count);
            parts[i] = Format(hosts[members[i] - 1]);
        }

        return string.Join(',', parts) + chroot;
    }

    /// <summary>
    /// Asks member <paramref name="member"/> for its mode with the <c>srvr</c> four-letter word.
    /// </summary>
    public static Task<ZooKeeperMemberMode> GetModeAsync(int member, CancellationToken cancellationToken = default)
        => GetModeAsync(GetMemberEndPoint(member), cancellationToken);

    /// <summary>
    /// Asks the ZooKeeper server at <paramref name="endPoint"/> for its mode with the <c>srvr</c> four-letter word:
    /// <see cref="ZooKeeperMemberMode.Down"/> when the connection is refused or times out,
    /// <see cref="ZooKeeperMemberMode.NotServing"/> when the server answers without a mode (no quorum yet),
    /// breaks the connection or does not answer within <see cref="FourLetterWordTimeout"/>.
    /// </summary>
    public static async Task<ZooKeeperMemberMode> GetModeAsync(DnsEndPoint endPoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(FourLetterWordTimeout);
        try
        {
            await socket.ConnectAsync(endPoint, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is SocketException
            || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return ZooKeeperMemberMode.Down;
        }

        string reply;
        try
        {
            reply = await ExchangeAsync(socket, "srvr", timeout.Token).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is SocketException
            || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return ZooKeeperMemberMode.NotServing;
        }

        return ParseMode(reply);
    }

    /// <summary>
    /// Sends a four-letter word (<c>srvr</c>, <c>mntr</c>, <c>cons</c>, ...; see the whitelist in
    /// <c>eng/zookeeper.sh</c>) and returns the server's reply, read until the server closes the connection.
    /// </summary>
    public static async Task<string> SendFourLetterWordAsync(
        DnsEndPoint endPoint, string word, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        if (word is not { Length: 4 } || !word.All(char.IsAsciiLetterLower))
        {
            throw new ArgumentException($"A four-letter word is four lowercase ASCII letters, not '{word}'.", nameof(word));
        }

        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(FourLetterWordTimeout);
        await socket.ConnectAsync(endPoint, timeout.Token).ConfigureAwait(false);
        return await ExchangeAsync(socket, word, timeout.Token).ConfigureAwait(false);
    }

    /// <summary>
    /// Returns the member that leads (the standalone server of a one-member ensemble counts as leader),
    /// or null when none does right now.
    /// </summary>
    public static async Task<int?> FindLeaderAsync(CancellationToken cancellationToken = default)
    {
        var modes = await GetAllModesAsync(cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < modes.Length; i++)
        {
            if (modes[i] is ZooKeeperMemberMode.Leader or ZooKeeperMemberMode.Standalone)
            {
                return i + 1;
            }
        }

        return null;
    }

    /// <summary>
    /// Waits until the whole ensemble serves: every member is a leader or follower and exactly one leads
    /// (or the single member is standalone) — the state <c>eng/zookeeper.sh up</c> waits for. Polls the
    /// members' modes, since ZooKeeper raises no event for them.
    /// </summary>
    /// <exception cref="TimeoutException">Not ready within <paramref name="timeout"/>; the message lists every member's mode.</exception>
    public static async Task WaitForQuorumAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ZooKeeperMemberMode[] modes = [];
        try
        {
            await WaitHelper.WaitUntilAsync(
                async () =>
                {
                    modes = await GetAllModesAsync(cancellationToken).ConfigureAwait(false);
                    return IsHealthy(modes);
                },
                timeout,
                cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            var described = string.Join(", ", modes.Select((mode, i) => $"{i + 1}={mode}"));
            throw new TimeoutException(
                $"The ZooKeeper ensemble {ConnectionString} did not serve with one leader within {timeout.TotalSeconds:0.#} s (modes: {described}). "
                + "Start it with 'eng/zookeeper.sh up' or set " + ConnectionStringVariable + ".");
        }
    }

    /// <summary>
    /// Stops member <paramref name="member"/> with <c>eng/zookeeper.sh stop</c>; its data stays for a later start.
    /// </summary>
    /// <exception cref="InvalidOperationException">The ensemble is not <see cref="IsScriptManaged"/>, or the script failed.</exception>
    public static Task StopMemberAsync(int member, CancellationToken cancellationToken = default)
        => ControlMemberAsync("stop", member, cancellationToken);

    /// <summary>
    /// Starts member <paramref name="member"/> again with <c>eng/zookeeper.sh start</c>, which returns once
    /// the member serves requests again.
    /// </summary>
    /// <exception cref="InvalidOperationException">The ensemble is not <see cref="IsScriptManaged"/>, or the script failed.</exception>
    public static Task StartMemberAsync(int member, CancellationToken cancellationToken = default)
        => ControlMemberAsync("start", member, cancellationToken);

    private static ZooKeeperMemberMode ParseMode(string srvrReply)
    {
        foreach (var line in srvrReply.Split('\n'))
        {
            if (line.StartsWith("Mode:", StringComparison.Ordinal))
            {
                return line["Mode:".Length..].Trim() switch
                {
                    "standalone" => ZooKeeperMemberMode.Standalone,
                    "leader" => ZooKeeperMemberMode.Leader,
                    "follower" => ZooKeeperMemberMode.Follower,
                    "observer" => ZooKeeperMemberMode.Observer,
                    _ => ZooKeeperMemberMode.NotServing,
                };
            }
        }

        // "This ZooKeeper instance is not currently serving requests", or a refused command.
        return ZooKeeperMemberMode.NotServing;
    }

    private static bool IsHealthy(ZooKeeperMemberMode[] modes)
    {
        if (modes.Length == 1)
        {
            return modes[0] == ZooKeeperMemberMode.Standalone;
        }

        return modes.All(mode => mode is ZooKeeperMemberMode.Leader or ZooKeeperMemberMode.Follower or ZooKeeperMemberMode.Observer)
            && modes.Count(mode => mode == ZooKeeperMemberMode.Leader) == 1;
    }

    private static Task<ZooKeeperMemberMode[]> GetAllModesAsync(CancellationToken cancellationToken)
        => Task.WhenAll(ParseHosts(ConnectionString, out _).Select(host => GetModeAsync(host, cancellationToken)));

    private static async Task<string> ExchangeAsync(Socket socket, string word, CancellationToken cancellationToken)
    {
        // Four-letter words are raw ASCII, not length-prefixed frames; the server answers and closes.
        await socket.SendAsync(Encoding.ASCII.GetBytes(word), SocketFlags.None, cancellationToken).ConfigureAwait(false);
        var reply = new StringBuilder();
        var buffer = new byte[4096];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false)) > 0)
        {
            reply.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        return reply.ToString();
    }

    private static async Task ControlMemberAsync(string command, int member, CancellationToken cancellationToken)
    {
        ValidateMember(member, MemberCount);
        if (!IsScriptManaged)
        {
            throw new InvalidOperationException(
                $"Cannot {command} member {member}: the ensemble {ConnectionString} was not started by eng/zookeeper.sh "
                + $"from {StateDirectory}. Check ZooKeeperEnsemble.IsScriptManaged first.");
        }

        await RunScriptAsync([command, member.ToString(CultureInfo.InvariantCulture)],
            new Dictionary<string, string> { [StateDirectoryVariable] = StateDirectory }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs <c>eng/zookeeper.sh</c> with <paramref name="arguments"/> and extra environment; returns its standard output.</summary>
    /// <param name="arguments">The subcommand and its arguments, e.g. <c>["up", "3"]</c>.</param>
    /// <param name="environment">Variables such as <c>ZK_BASE_PORT</c> and <c>ZK_STATE_DIR</c> (an ensemble of the caller's own).</param>
    /// <param name="cancellationToken">Kills the script.</param>
    /// <returns>The script's standard output.</returns>
    /// <exception cref="InvalidOperationException">The script failed (the message carries its output).</exception>
    public static async Task<string> RunScriptAsync(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken = default)
    {
        var startInfo = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryRoot,
        };
        startInfo.ArgumentList.Add(Path.Combine(RepositoryRoot, "eng", "zookeeper.sh"));
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            startInfo.Environment[name] = value;
        }

        using var process = Process.Start(startInfo)
            ?? throw new InvalidOperationException("Could not start bash to run eng/zookeeper.sh.");
        var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var errors = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            await Task.WhenAll(output, errors).ConfigureAwait(false);
            throw;
        }

        await Task.WhenAll(output, errors).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"'eng/zookeeper.sh {string.Join(' ', arguments)}' failed with exit code {process.ExitCode}:{Environment.NewLine}{errors.Result}{output.Result}");
        }

        return output.Result;
    }

    private static IReadOnlyList<DnsEndPoint> ParseHosts(string connectionString, out string chroot)
    {
        var slash = connectionString.IndexOf('/', StringComparison.Ordinal);
        chroot = slash < 0 ? "" : connectionString[slash..];
        var hostList = slash < 0 ? connectionString : connectionString[..slash];
        var hosts = new List<DnsEndPoint>();
        foreach (var entry in hostList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = entry.LastIndexOf(':');
            if (colon <= 0
                || !int.TryParse(entry.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
                || port is < 1 or > 65535)
            {
                throw new FormatException(
                    $"'{entry}' in the ZooKeeper connection string '{connectionString}' is not host:port.");
            }

            hosts.Add(new DnsEndPoint(entry[..colon].Trim('[', ']'), port));
        }

        if (hosts.Count == 0)
        {
            throw new FormatException($"The ZooKeeper connection string '{connectionString}' names no host.");
        }

        return hosts;
    }

    private static string Format(DnsEndPoint endPoint)
        => endPoint.Host.Contains(':', StringComparison.Ordinal)
            ? $"[{endPoint.Host}]:{endPoint.Port}"
            : $"{endPoint.Host}:{endPoint.Port}";

    private static void ValidateMember(int member, int count)
    {
        if (member < 1 || member > count)
        {
            throw new ArgumentOutOfRangeException(
                nameof(member), member, $"Members are numbered from 1 to {count} (the hosts of {ConnectionString}).");
        }
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, SolutionFileName)))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException(
            $"No directory above {AppContext.BaseDirectory} contains {SolutionFileName}; run the tests from the repository.");
    }
}
