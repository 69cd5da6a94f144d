using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using ZkSync.Client;

namespace ZkSync.Tool;

/// <summary>
/// Where and how to connect, from (lowest to highest precedence) the <c>ZkSync</c> section of <c>--config</c> (an app's
/// appsettings.json), the same keys as environment variables (<c>ZkSync__ConnectionString</c>, <c>ZkSync__Auth__User</c>,
/// <c>ZkSync__Auth__Password</c>, <c>ZkSync__Tls__Enabled</c>…), <c>ZKSYNC_SERVER</c>, and the command-line options.
/// </summary>
internal sealed class Connection
{
    public static readonly Option<string?> Server = new("--server", "-s")
    {
        Description = "ZooKeeper connection string host:port[,host:port…][/chroot] (else ZKSYNC_SERVER, else ZkSync:ConnectionString).",
        Recursive = true,
    };

    public static readonly Option<FileInfo?> Config = new("--config")
    {
        Description = "A JSON settings file (e.g. the app's appsettings.json) whose ZkSync section supplies the connection, auth, TLS and roots.",
        Recursive = true,
    };

    public static readonly Option<string?> User = new("--user")
    {
        Description = "Digest user (else ZkSync:Auth:User); the password comes from ZKSYNC_PASSWORD or ZkSync:Auth:Password, never from the command line.",
        Recursive = true,
    };

    public static readonly Option<bool> Tls = new("--tls")
    {
        Description = "Connect with TLS (to the servers' secureClientPort).",
        Recursive = true,
    };

    public static readonly Option<FileInfo?> TlsCa = new("--tls-ca")
    {
        Description = "PEM file of the CA that signs the servers' certificates (implies --tls); default: the system's trust store.",
        Recursive = true,
    };

    public static readonly Option<FileInfo?> TlsCert = new("--tls-cert")
    {
        Description = "PEM client certificate, when the servers require one (implies --tls).",
        Recursive = true,
    };

    public static readonly Option<FileInfo?> TlsKey = new("--tls-key")
    {
        Description = "PEM private key of --tls-cert.",
        Recursive = true,
    };

    public static readonly Option<string?> TlsHost = new("--tls-host")
    {
        Description = "The host name the servers' certificates must carry (default: the host in the connection string).",
        Recursive = true,
    };

    public static readonly Option<TimeSpan> ConnectTimeout = new("--connect-timeout")
    {
        Description = "How long to try to reach ZooKeeper before giving up (exit 10).",
        DefaultValueFactory = _ => TimeSpan.FromSeconds(10),
        CustomParser = Durations.Parse,
        Recursive = true,
    };

    public static readonly Option<TimeSpan?> SessionTimeout = new("--session-timeout")
    {
        Description = "Session timeout to request (default ZkSync:SessionTimeout, else 20s): how long a crashed `lock run` keeps its lock.",
        CustomParser = result => Durations.Parse(result),
        Recursive = true,
    };

    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Log the client's activity to stderr (without it the tool prints only its own one-line messages there).",
        Recursive = true,
    };

    public static IEnumerable<Option> All => [Server, Config, User, Tls, TlsCa, TlsCert, TlsKey, TlsHost, ConnectTimeout, SessionTimeout, Verbose];

    private Connection(IConfiguration configuration, ZooKeeperClientOptions options, TimeSpan connectTimeout, ILoggerFactory loggerFactory)
    {
        Configuration = configuration;
        Options = options;
        ConnectTimeoutValue = connectTimeout;
        LoggerFactory = loggerFactory;
    }

    public IConfiguration Configuration { get; }

    public ZooKeeperClientOptions Options { get; }

    public TimeSpan ConnectTimeoutValue { get; }

    public ILoggerFactory LoggerFactory { get; }

    /// <summary>The root of a recipe: the option's value, else the app's setting (<paramref name="key"/>), else the library default.</summary>
    public string Root(string? option, string key, string fallback) => option ?? Configuration[key] ?? fallback;

    public static Connection From(ParseResult result)
    {
        var builder = new ConfigurationBuilder();
        if (result.GetValue(Config) is { } file)
        {
            if (!file.Exists)
            {
                throw new ToolException(ExitCodes.Usage, $"--config: file '{file.FullName}' not found.");
            }

            builder.AddJsonFile(file.FullName, optional: false, reloadOnChange: false);
        }

        builder.AddEnvironmentVariables();
        IConfiguration configuration;
        try
        {
            configuration = builder.Build();
        }
        catch (InvalidDataException ex)
        {
            throw new ToolException(ExitCodes.Usage, $"--config: {ex.Message}");
        }

        var section = configuration.GetSection("ZkSync");
        var server = result.GetValue(Server) ?? Environment.GetEnvironmentVariable("ZKSYNC_SERVER") ?? section["ConnectionString"];
        if (string.IsNullOrWhiteSpace(server))
        {
            throw new ToolException(ExitCodes.Usage, "No ZooKeeper to connect to: pass --server host:port[,host:port…], or set ZKSYNC_SERVER or ZkSync__ConnectionString.");
        }

        var options = new ZooKeeperClientOptions { ConnectionString = server };
        if (result.GetValue(SessionTimeout) is { } sessionTimeout)
        {
            options.SessionTimeout = sessionTimeout;
        }
        else if (section["SessionTimeout"] is { } configured)
        {
            options.SessionTimeout = Duration(configured, "ZkSync:SessionTimeout");
        }

        if (section["RequestTimeout"] is { } requestTimeout)
        {
            options.RequestTimeout = Duration(requestTimeout, "ZkSync:RequestTimeout");
        }

        var connectTimeout = result.GetValue(ConnectTimeout);
        options.ConnectTimeout = connectTimeout < options.ConnectTimeout ? connectTimeout : options.ConnectTimeout;
        var user = result.GetValue(User) ?? section["Auth:User"];
        if (user is not null)
        {
            var scheme = section["Auth:Scheme"] ?? "digest";
            if (!string.Equals(scheme, "digest", StringComparison.OrdinalIgnoreCase))
            {
                throw new ToolException(ExitCodes.Usage, $"ZkSync:Auth:Scheme '{scheme}' is not supported by the tool; only 'digest'.");
            }

            options.AuthInfo.Add(ZooKeeperAuthInfo.Digest(user, Environment.GetEnvironmentVariable("ZKSYNC_PASSWORD") ?? section["Auth:Password"] ?? ""));
        }

        section.GetSection("Tls").Bind(options.Tls);
        options.Tls.CaCertificatePath = result.GetValue(TlsCa)?.FullName ?? options.Tls.CaCertificatePath;
        options.Tls.ClientCertificatePath = result.GetValue(TlsCert)?.FullName ?? options.Tls.ClientCertificatePath;
        options.Tls.ClientKeyPath = result.GetValue(TlsKey)?.FullName ?? options.Tls.ClientKeyPath;
        options.Tls.TargetHost = result.GetValue(TlsHost) ?? options.Tls.TargetHost;
        options.Tls.Enabled |= result.GetValue(Tls) || result.GetValue(TlsCa) is not null || result.GetValue(TlsCert) is not null;
        try
        {
            options.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new ToolException(ExitCodes.Usage, ex.Message);
        }

        var verbose = result.GetValue(Verbose);
        var loggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(logging => logging
            .SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.None)
            .AddSimpleConsole(console => console.SingleLine = true)
            .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace));
        return new Connection(configuration, options, connectTimeout, loggerFactory);
    }

    /// <summary>Connects, or ends the command with "not reached" (10) or "auth failed" (11) and one line saying why.</summary>
    public async Task<ZooKeeperClient> ConnectAsync(CancellationToken cancellationToken)
    {
        var client = new ZooKeeperClient(Options, LoggerFactory);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(ConnectTimeoutValue);
        try
        {
            await client.WaitForConnectedAsync(deadline.Token).ConfigureAwait(false);
            return client;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            var why = client.State == ZooKeeperSessionState.AuthFailed ? null : client.LastConnectionError;
            await client.DisposeAsync().ConfigureAwait(false);
            throw new ToolException(ExitCodes.NotReached,
                $"ZooKeeper not reached at {Options.ConnectionString} within {Durations.Format(ConnectTimeoutValue)}{(why is null ? "" : ": " + why)}.");
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static TimeSpan Duration(string text, string key) =>
        TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var value) || Durations.TryParse(text, out value)
            ? value
            : throw new ToolException(ExitCodes.Usage, $"{key}: '{text}' is not a duration (e.g. 00:00:20).");
}
