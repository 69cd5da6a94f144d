using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace ZkSync.AspNetCore.Internal;

/// <summary>
/// Checks the configuration itself, which the options alone cannot show: a key under <c>ZkSync</c> that is not a setting
/// (<c>SesionTimeout</c>: the binder would silently ignore it) fails, naming the key and the closest known one; a
/// TimeSpan written as a bare number (<c>"30"</c>, which TimeSpan reads as thirty days) fails, saying how it was read.
/// </summary>
/// <remarks>
/// The known keys are those of <c>appsettings.schema.json</c> (embedded in the assembly), which a test keeps equal to the
/// properties of <see cref="ZkSyncOptions"/>; TimeSpan settings are those whose schema carries the TimeSpan pattern.
/// </remarks>
internal sealed class ZkSyncConfigurationValidator(IConfiguration configuration) : IValidateOptions<ZkSyncOptions>
{
    private static readonly Lazy<SchemaNode> Schema = new(LoadSchema);

    public ValidateOptionsResult Validate(string? name, ZkSyncOptions options)
    {
        var failures = new List<string>();
        Check(configuration.GetSection(ZkSyncOptions.SectionName), Schema.Value, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Check(IConfigurationSection section, SchemaNode schema, List<string> failures)
    {
        if (schema.IsTimeSpan && section.Value is { } value && GetBareNumberError(section.Path, value) is { } error)
        {
            failures.Add(error);
        }

        foreach (var child in section.GetChildren())
        {
            if (schema.Items is not null)
            {
                if (!int.TryParse(child.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                {
                    failures.Add($"{child.Path} is not valid: {section.Path} is a list, so its entries are numbered ({section.Path}:0, {section.Path}:1, …).");
                    continue;
                }

                Check(child, schema.Items, failures);
            }
            else if (schema.Properties.TryGetValue(child.Key, out var known))
            {
                Check(child, known, failures);
            }
            else if (schema.Properties.Count > 0)
            {
                failures.Add(UnknownKey(section, child.Key, schema));
            }
            else
            {
                failures.Add($"{child.Path} is not a setting: {section.Path} takes a single value, not a section.");
            }
        }
    }

    private static string UnknownKey(IConfigurationSection parent, string key, SchemaNode schema)
    {
        var known = schema.Names;
        var closest = known
            .Select(k => (Key: k, Distance: Distance(key, k)))
            .Where(c => c.Distance <= Math.Max(2, c.Key.Length / 3))
            .OrderBy(c => c.Distance)
            .Select(c => c.Key)
            .FirstOrDefault();
        var suggestion = closest is null ? "" : $" Did you mean {parent.Path}:{closest}?";
        return $"{parent.Path}:{key} is not a ZkSync setting, so it would be ignored.{suggestion} The settings of {parent.Path} are: {string.Join(", ", known)} (see appsettings.schema.json).";
    }

    // A bare number is a count of days to TimeSpan ("30" is 30.00:00:00), which is almost never what was meant for a
    // timeout. Zero stays allowed: it reads the same in any unit.
    private static string? GetBareNumberError(string key, string value)
    {
        var trimmed = value.Trim();
        if (trimmed.Length == 0 || !trimmed.All(char.IsAsciiDigit) || trimmed.All(c => c == '0'))
        {
            return null;
        }

        var read = TimeSpan.TryParse(trimmed, CultureInfo.InvariantCulture, out var parsed)
            ? $"TimeSpan reads it as {parsed.ToString("c", CultureInfo.InvariantCulture)} ({FormatDays(parsed)})"
            : "TimeSpan reads a number without ':' as days";
        var seconds = long.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number < (long)TimeSpan.MaxValue.TotalSeconds
            ? $" e.g. '{TimeSpan.FromSeconds(number).ToString("c", CultureInfo.InvariantCulture)}' for {trimmed} seconds,"
            : "";
        return $"{key} '{value}' is ambiguous: {read}. Write hh:mm:ss,{seconds} or d.hh:mm:ss if days are meant.";
    }

    private static string FormatDays(TimeSpan value) =>
        value.TotalDays == 1 ? "one day" : string.Create(CultureInfo.InvariantCulture, $"{value.TotalDays:0.###} days");

    // Case-insensitive Levenshtein distance (configuration keys are case-insensitive).
    private static int Distance(string a, string b)
    {
        a = a.ToUpperInvariant();
        b = b.ToUpperInvariant();
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j], current[j - 1]) + 1);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }

    private static SchemaNode LoadSchema()
    {
        using var stream = typeof(ZkSyncConfigurationValidator).Assembly.GetManifestResourceStream(SchemaResourceName)
            ?? throw new InvalidOperationException($"The embedded resource {SchemaResourceName} is missing from ZkSync.AspNetCore.");
        using var document = JsonDocument.Parse(stream);
        var timeSpanPattern = document.RootElement.GetProperty("properties").GetProperty(ZkSyncOptions.SectionName)
            .GetProperty("properties").GetProperty(nameof(ZkSyncOptions.SessionTimeout)).GetProperty("pattern").GetString();
        return SchemaNode.From(document.RootElement.GetProperty("properties").GetProperty(ZkSyncOptions.SectionName), timeSpanPattern);
    }

    internal const string SchemaResourceName = "ZkSync.AspNetCore.appsettings.schema.json";

    private sealed class SchemaNode
    {
        public Dictionary<string, SchemaNode> Properties { get; } = new(StringComparer.OrdinalIgnoreCase);

        /// <summary>The property names in the schema's order (the documented one).</summary>
        public List<string> Names { get; } = [];

        public SchemaNode? Items { get; private set; }

        public bool IsTimeSpan { get; private set; }

        public static SchemaNode From(JsonElement element, string? timeSpanPattern)
        {
            var node = new SchemaNode
            {
                IsTimeSpan = element.TryGetProperty("pattern", out var pattern) && pattern.GetString() == timeSpanPattern,
            };
            if (element.TryGetProperty("properties", out var properties))
            {
                foreach (var property in properties.EnumerateObject())
                {
                    node.Properties.Add(property.Name, From(property.Value, timeSpanPattern));
                    node.Names.Add(property.Name);
                }
            }

            if (element.TryGetProperty("items", out var items))
            {
                node.Items = From(items, timeSpanPattern);
            }

            return node;
        }
    }
}
