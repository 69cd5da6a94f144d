using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using ZkSync.Inspection;

namespace ZkSync.Tool;

/// <summary>Human output (tables) on stdout, JSON for scripts.</summary>
internal static class Output
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static void WriteJson(object value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, Json));

    public static string Session(long sessionId) => sessionId == 0 ? "-" : "0x" + sessionId.ToString("x", CultureInfo.InvariantCulture);

    /// <summary>The owner, then what the holder published, then its raw data: "job-7 instance=pod-a endpoint=POST /orders/{id}".</summary>
    public static string Describe(ZooKeeperQueueNode node)
    {
        var text = new StringBuilder(node.OwnerId ?? "");
        foreach (var (key, value) in node.Metadata)
        {
            text.Append(text.Length > 0 ? " " : "").Append(key).Append('=').Append(value);
        }

        if (node.Data is { } data)
        {
            text.Append(text.Length > 0 ? " " : "").Append("data=").Append(data);
        }

        if (node.Ttl is { } ttl)
        {
            text.Append(text.Length > 0 ? " " : "").Append("ttl=").Append(Durations.Format(ttl));
        }

        return text.Length == 0 ? "-" : text.ToString();
    }

    public static object ToJson(ZooKeeperQueueNode node) => new
    {
        node.Name,
        node.Path,
        node.Kind,
        node.Mode,
        node.Position,
        node.IsHolder,
        SessionId = Session(node.SessionId),
        node.CreatedAt,
        AgeSeconds = Math.Round(node.Age.TotalSeconds, 3),
        node.FencingToken,
        node.OwnerId,
        node.Metadata,
        node.Data,
        TtlSeconds = node.Ttl?.TotalSeconds,
    };

    /// <summary>Writes rows as aligned columns; the last column is not padded.</summary>
    public static void WriteTable(TextWriter writer, IReadOnlyList<string> header, IReadOnlyList<string[]> rows)
    {
        var widths = header.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        void Write(IReadOnlyList<string> cells)
        {
            var line = new StringBuilder();
            for (var i = 0; i < cells.Count; i++)
            {
                line.Append(i == cells.Count - 1 ? cells[i] : cells[i].PadRight(widths[i] + 2));
            }

            writer.WriteLine(line.ToString().TrimEnd());
        }

        Write(header);
        foreach (var row in rows)
        {
            Write(row);
        }
    }
}
