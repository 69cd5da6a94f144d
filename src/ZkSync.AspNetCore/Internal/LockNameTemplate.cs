using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Routing;

namespace ZkSync.AspNetCore.Internal;

/// <summary>
/// A parsed lock template such as <c>/orders/{id}</c>: path segments of literal text and <c>{name}</c> placeholders
/// filled from route values. Binding <c>id = 42</c> gives the lock name <c>orders/42</c> (a path relative to the lock
/// root, so the znode is <c>/zksync/locks/orders/42</c>).
/// </summary>
/// <remarks>
/// Route values are formatted with the invariant culture and must each stay inside one znode name: a missing or empty
/// value, a '/', a character ZooKeeper rejects, or a segment that would read '.', '..' or start with '_c_' (reserved
/// for lock nodes) is an error naming the placeholder, never a lock on some other path.
/// </remarks>
internal sealed class LockNameTemplate
{
    private const string ReservedPrefix = "_c_";
    private readonly Part[][] _segments;
    private readonly int _literalLength;

    private LockNameTemplate(string text, Part[][] segments, string[] placeholders)
    {
        Text = text;
        _segments = segments;
        Placeholders = placeholders;
        foreach (var segment in segments)
        {
            foreach (var part in segment)
            {
                _literalLength += part.IsPlaceholder ? 0 : part.Value.Length;
            }
        }

        _literalLength += segments.Length - 1;
    }

    /// <summary>The template as written.</summary>
    public string Text { get; }

    /// <summary>The distinct placeholder names, in order of appearance.</summary>
    public IReadOnlyList<string> Placeholders { get; }

    /// <summary>Parses <paramref name="template"/>; throws <see cref="ArgumentException"/> saying what is wrong.</summary>
    /// <param name="template">The template, e.g. <c>/orders/{id}</c>.</param>
    /// <returns>The parsed template.</returns>
    public static LockNameTemplate Parse(string template)
    {
        ArgumentNullException.ThrowIfNull(template);
        var error = TryParse(template, out var parsed);
        return error is null ? parsed! : throw new ArgumentException($"Invalid distributed lock template '{Printable(template)}': {error}", nameof(template));
    }

    private static string? TryParse(string template, out LockNameTemplate? parsed)
    {
        parsed = null;
        if (template.Length == 0 || template[0] != '/')
        {
            return "it must start with '/', e.g. '/orders/{id}'.";
        }

        if (template.Length == 1)
        {
            return "it names no lock; add at least one segment, e.g. '/orders/{id}'.";
        }

        if (template[^1] == '/')
        {
            return "it must not end with '/'.";
        }

        var segments = new List<Part[]>();
        var placeholders = new List<string>();
        foreach (var segmentText in template[1..].Split('/'))
        {
            if (segmentText.Length == 0)
            {
                return "empty segment ('//' is not allowed).";
            }

            var parts = new List<Part>();
            var i = 0;
            while (i < segmentText.Length)
            {
                var open = segmentText.IndexOf('{', i);
                var close = segmentText.IndexOf('}', i);
                if (close >= 0 && (open < 0 || close < open))
                {
                    return "unmatched '}'.";
                }

                if (open < 0)
                {
                    parts.Add(new Part(segmentText[i..], false));
                    break;
                }

                if (open > i)
                {
                    parts.Add(new Part(segmentText[i..open], false));
                }

                close = segmentText.IndexOf('}', open + 1);
                if (close < 0)
                {
                    return "unmatched '{'.";
                }

                var name = segmentText[(open + 1)..close];
                var nameError = GetPlaceholderNameError(name);
                if (nameError is not null)
                {
                    return nameError;
                }

                parts.Add(new Part(name, true));
                if (!placeholders.Contains(name, StringComparer.OrdinalIgnoreCase))
                {
                    placeholders.Add(name);
                }

                i = close + 1;
            }

            foreach (var part in parts)
            {
                if (part.IsPlaceholder)
                {
                    continue;
                }

                foreach (var c in part.Value)
                {
                    if (GetCharError(c) is { } charError)
                    {
                        return string.Create(CultureInfo.InvariantCulture, $"segment '{Printable(segmentText)}' {charError} (U+{(int)c:X4}).");
                    }
                }
            }

            if (parts.Count == 1 && !parts[0].IsPlaceholder)
            {
                var literal = parts[0].Value;
                if (literal is "." or "..")
                {
                    return "'.' and '..' segments are not allowed.";
                }
            }

            if (!parts[0].IsPlaceholder && parts[0].Value.StartsWith(ReservedPrefix, StringComparison.Ordinal))
            {
                return $"segment '{segmentText}' starts with '{ReservedPrefix}', which is reserved for lock nodes.";
            }

            segments.Add([.. parts]);
        }

        parsed = new LockNameTemplate(template, [.. segments], [.. placeholders]);
        return null;
    }

    private static string? GetPlaceholderNameError(string name)
    {
        if (name.Length == 0)
        {
            return "empty placeholder '{}'.";
        }

        if (name.IndexOfAny(['{', '/']) >= 0)
        {
            return $"unmatched '{{' before '{name}'.";
        }

        if (name[0] is '*')
        {
            return $"placeholder '{{{name}}}': catch-all parameters cannot name a lock; use a single-segment route parameter.";
        }

        if (name.IndexOfAny([':', '=', '?']) >= 0)
        {
            var bare = name.Split(':', '=', '?')[0];
            return $"placeholder '{{{name}}}': constraints, defaults and optional markers belong to the route, not to the lock template; write '{{{bare}}}'.";
        }

        return null;
    }

    /// <summary>Fills the placeholders from <paramref name="values"/>.</summary>
    /// <param name="values">The request's route values.</param>
    /// <param name="name">The lock name, e.g. <c>orders/42</c>.</param>
    /// <param name="error">Why binding failed (placeholder and reason).</param>
    /// <returns>True when every placeholder had a usable value.</returns>
    public bool TryBind(RouteValueDictionary values, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? name, out LockNameBindingError error)
    {
        name = null;
        error = default;
        var handler = new DefaultInterpolatedStringHandler(_literalLength, Placeholders.Count, CultureInfo.InvariantCulture);
        for (var s = 0; s < _segments.Length; s++)
        {
            if (s > 0)
            {
                handler.AppendLiteral("/");
            }

            var segment = _segments[s];
            if (segment.Length == 1 && !segment[0].IsPlaceholder)
            {
                handler.AppendLiteral(segment[0].Value);
                continue;
            }

            string? segmentText = null;
            string? firstPlaceholder = null;
            foreach (var part in segment)
            {
                if (!part.IsPlaceholder)
                {
                    segmentText = segmentText is null ? part.Value : string.Concat(segmentText, part.Value);
                    continue;
                }

                var value = values.TryGetValue(part.Value, out var raw) ? Convert.ToString(raw, CultureInfo.InvariantCulture) : null;
                var reason = GetValueError(value);
                if (reason is not null)
                {
                    handler.ToStringAndClear();
                    error = new LockNameBindingError(part.Value, reason);
                    return false;
                }

                firstPlaceholder ??= part.Value;
                segmentText = segmentText is null ? value : string.Concat(segmentText, value);
            }

            // The filled segment must not read '.' or '..' nor look like a lock node.
            if (segmentText is "." or "..")
            {
                handler.ToStringAndClear();
                error = new LockNameBindingError(firstPlaceholder!, $"the segment would be '{segmentText}', a relative path segment");
                return false;
            }

            if (segmentText!.StartsWith(ReservedPrefix, StringComparison.Ordinal))
            {
                handler.ToStringAndClear();
                error = new LockNameBindingError(firstPlaceholder!, $"the segment would start with '{ReservedPrefix}', which is reserved for lock nodes");
                return false;
            }

            handler.AppendLiteral(segmentText);
        }

        name = handler.ToStringAndClear();
        return true;
    }

    private static string? GetValueError(string? value)
    {
        if (value is null)
        {
            return "the route value is missing";
        }

        if (value.Length == 0)
        {
            return "the route value is empty";
        }

        foreach (var c in value)
        {
            if (c == '/')
            {
                return "the route value contains '/'";
            }

            if (GetCharError(c) is { } charError)
            {
                return string.Create(CultureInfo.InvariantCulture, $"the route value {charError} (U+{(int)c:X4})");
            }
        }

        return null;
    }

    // ZooKeeper's PathUtils.validatePath rules for characters.
    private static string? GetCharError(char c)
    {
        if (c is <= '\u001f' or >= '\u007f' and <= '\u009f')
        {
            return "contains a control character";
        }

        if (c is >= '\ud800' and <= '\uf8ff' or >= '\ufff0')
        {
            return "contains a character ZooKeeper does not allow in node names";
        }

        return null;
    }

    internal static string Printable(string value)
    {
        if (!value.Any(char.IsControl))
        {
            return value;
        }

        var builder = new System.Text.StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            if (char.IsControl(c))
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    public override string ToString() => Text;

    private readonly record struct Part(string Value, bool IsPlaceholder);
}

/// <summary>Why a route value could not fill a placeholder.</summary>
/// <param name="Placeholder">The placeholder's name.</param>
/// <param name="Reason">What is wrong with its value.</param>
internal readonly record struct LockNameBindingError(string Placeholder, string Reason);
