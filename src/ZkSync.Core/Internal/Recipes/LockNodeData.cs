using System.Text.Json;

namespace ZkSync.Internal.Recipes;

/// <summary>
/// The data of a lock node: <c>{"owner":"…","acquiredAt":1700000000000,"ttlMs":30000,"meta":{"instance":"…"}}</c>
/// (UTF-8 JSON, each member optional; no data at all for anonymous locks without a TTL or metadata, like Curator's
/// default of a minimal payload). <c>meta</c> carries what the holder publishes for operators
/// (<see cref="Locks.ZooKeeperLockRequest.Metadata"/>); it plays no part in any decision.
/// </summary>
/// <remarks>
/// <para>
/// <c>acquiredAt</c> is informational (the client's clock, ms since the Unix epoch). Lease decisions use the server's
/// clock instead: a holder's lease runs from its node's <c>mtime</c>. A holder that acquired at once keeps the data it
/// was created with (mtime = ctime); a waiter first rewrites its data without <c>ttlMs</c> (so it can never be taken
/// for an expired holder) and writes it again, with <c>ttlMs</c>, at the moment it acquires (mtime = acquisition time).
/// A contender evicts with <c>delete(path, version)</c> using the version it judged, so a lease renewed in between is
/// never evicted.
/// </para>
/// <para>Anything that is not such JSON (Curator's default IP-address bytes, empty data) has no owner and no TTL.</para>
/// </remarks>
internal static class LockNodeData
{
    /// <summary>Encodes the data; empty when there is neither an owner, nor a TTL, nor metadata.</summary>
    /// <param name="owner">The owner id, or null.</param>
    /// <param name="acquiredAt">The (client) time to record.</param>
    /// <param name="ttl">The TTL to record, or null.</param>
    /// <param name="metadata">What the holder publishes for operators, or null.</param>
    /// <returns>The bytes.</returns>
    public static byte[] Encode(string? owner, DateTimeOffset acquiredAt, TimeSpan? ttl, IReadOnlyDictionary<string, string>? metadata = null)
    {
        if (owner is null && ttl is null && (metadata is null || metadata.Count == 0))
        {
            return [];
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (owner is not null)
            {
                writer.WriteString("owner", owner);
            }

            writer.WriteNumber("acquiredAt", acquiredAt.ToUnixTimeMilliseconds());
            if (ttl is { } value)
            {
                writer.WriteNumber("ttlMs", (long)Math.Ceiling(value.TotalMilliseconds));
            }

            if (metadata is { Count: > 0 })
            {
                writer.WriteStartObject("meta");
                foreach (var (key, text) in metadata)
                {
                    writer.WriteString(key, text);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Reads the members it knows from lock-node data; false for anything that is not a JSON object.</summary>
    /// <param name="data">The node's data.</param>
    /// <param name="owner">The owner id, if present.</param>
    /// <param name="acquiredAtMs">The recorded acquisition time, if present.</param>
    /// <param name="ttlMs">The TTL in ms, if present and positive.</param>
    /// <returns>True when the data is a JSON object.</returns>
    public static bool TryDecode(ReadOnlySpan<byte> data, out string? owner, out long? acquiredAtMs, out long? ttlMs) =>
        TryDecode(data, out owner, out acquiredAtMs, out ttlMs, out _);

    /// <summary>Reads the members it knows from lock-node data, the published metadata included.</summary>
    /// <param name="data">The node's data.</param>
    /// <param name="owner">The owner id, if present.</param>
    /// <param name="acquiredAtMs">The recorded acquisition time, if present.</param>
    /// <param name="ttlMs">The TTL in ms, if present and positive.</param>
    /// <param name="metadata">The string members of <c>meta</c>, or null.</param>
    /// <returns>True when the data is a JSON object.</returns>
    public static bool TryDecode(ReadOnlySpan<byte> data, out string? owner, out long? acquiredAtMs, out long? ttlMs, out Dictionary<string, string>? metadata)
    {
        metadata = null;
        owner = null;
        acquiredAtMs = null;
        ttlMs = null;
        if (data.IsEmpty || data[0] != (byte)'{')
        {
            return false;
        }

        try
        {
            var reader = new Utf8JsonReader(data, new JsonReaderOptions { MaxDepth = 8 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                if (!reader.Read())
                {
                    return false;
                }

                switch (name)
                {
                    case "owner" when reader.TokenType == JsonTokenType.String:
                        owner = reader.GetString();
                        break;
                    case "acquiredAt" when reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var at):
                        acquiredAtMs = at;
                        break;
                    case "ttlMs" when reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var ttl) && ttl > 0:
                        ttlMs = ttl;
                        break;
                    case "meta" when reader.TokenType == JsonTokenType.StartObject:
                        metadata = ReadStrings(ref reader);
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static Dictionary<string, string> ReadStrings(ref Utf8JsonReader reader)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = reader.GetString()!;
            if (!reader.Read())
            {
                throw new JsonException("Truncated metadata.");
            }

            if (reader.TokenType == JsonTokenType.String)
            {
                result[key] = reader.GetString()!;
            }
            else
            {
                reader.Skip();
            }
        }

        return result;
    }
}
