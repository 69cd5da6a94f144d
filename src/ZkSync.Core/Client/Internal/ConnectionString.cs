using System.Globalization;

namespace ZkSync.Client.Internal;

/// <summary>A parsed connection string: hosts and an optional chroot.</summary>
internal sealed record ConnectionString(IReadOnlyList<(string Host, int Port)> Hosts, string? Chroot)
{
    public const int DefaultPort = 2181;

    public static ConnectionString Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var text = value.Trim();
        string? chroot = null;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            chroot = text[slash..];
            text = text[..slash];
            if (chroot == "/")
            {
                chroot = null;
            }
            else
            {
                var error = ZkPath.GetError(chroot);
                if (error is not null)
                {
                    throw new ArgumentException($"Invalid chroot '{chroot}' in connection string: {error}", "ConnectionString");
                }
            }
        }

        var hosts = new List<(string, int)>();
        foreach (var raw in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (raw.Length == 0)
            {
                throw new ArgumentException($"Empty host entry in connection string '{value}'. Expected 'host:port[,host:port…][/chroot]'.", "ConnectionString");
            }

            string host;
            var port = DefaultPort;
            if (raw.StartsWith('['))
            {
                // [ipv6]:port
                var close = raw.IndexOf(']', StringComparison.Ordinal);
                if (close < 0)
                {
                    throw new ArgumentException($"Unclosed '[' in host '{raw}' of the connection string.", "ConnectionString");
                }

                host = raw[1..close];
                var rest = raw[(close + 1)..];
                if (rest.Length > 0)
                {
                    port = ParsePort(rest.StartsWith(':') ? rest[1..] : rest, raw);
                }
            }
            else
            {
                var colon = raw.LastIndexOf(':');
                if (colon >= 0 && raw.IndexOf(':', StringComparison.Ordinal) == colon)
                {
                    host = raw[..colon];
                    port = ParsePort(raw[(colon + 1)..], raw);
                }
                else
                {
                    host = raw;
                }
            }

            if (host.Length == 0 || host.Any(char.IsWhiteSpace))
            {
                throw new ArgumentException($"Invalid host '{raw}' in the connection string.", "ConnectionString");
            }

            hosts.Add((host, port));
        }

        return new ConnectionString(hosts, chroot);
    }

    private static int ParsePort(string text, string entry)
    {
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new ArgumentException($"Invalid port in '{entry}' of the connection string: expected 1–65535.", "ConnectionString");
        }

        return port;
    }
}
