using System.CommandLine.Parsing;
using System.Globalization;

namespace ZkSync.Tool;

/// <summary>Durations on the command line: <c>500ms</c>, <c>30s</c>, <c>5m</c>, <c>1h</c>, a number of seconds, or <c>hh:mm:ss</c>.</summary>
internal static class Durations
{
    public static TimeSpan Parse(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (TryParse(text, out var value) && value >= TimeSpan.Zero)
        {
            return value;
        }

        var name = result.Parent is OptionResult option ? option.Option.Name : result.Argument.Name;
        result.AddError($"Invalid duration '{text}' for {name}: use e.g. 500ms, 30s, 5m, 1h or hh:mm:ss.");
        return TimeSpan.Zero;
    }

    public static bool TryParse(string text, out TimeSpan value)
    {
        value = default;
        text = text.Trim();
        (string Suffix, double Scale)[] units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)];
        foreach (var (suffix, scale) in units)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            {
                value = TimeSpan.FromSeconds(number * scale);
                return true;
            }
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            value = TimeSpan.FromSeconds(seconds);
            return true;
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value);
    }

    public static string Format(TimeSpan value) => value.TotalSeconds switch
    {
        < 1 => $"{value.TotalMilliseconds:0}ms",
        < 120 => $"{value.TotalSeconds:0}s",
        < 7200 => $"{value.TotalMinutes:0}m",
        < 172800 => $"{value.TotalHours:0}h",
        _ => $"{value.TotalDays:0}d",
    };
}
