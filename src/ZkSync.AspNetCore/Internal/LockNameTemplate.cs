using System.Globalization;
using Microsoft.AspNetCore.Routing.Patterns;

namespace ZkSync.AspNetCore.Internal;

/// <summary>Where a lock template placeholder takes its value from.</summary>
internal enum LockValueSource
{
    /// <summary><c>{id}</c>: a route value.</summary>
    Route,

    /// <summary><c>{query.name}</c>: a query string value.</summary>
    Query,

    /// <summary><c>{header.Idempotency-Key}</c>: a request header.</summary>
    Header,

    /// <summary><c>{claim.tenant}</c>: a claim of the authenticated user.</summary>
    Claim,

    /// <summary><c>{arg.order.CustomerId}</c>: a bound handler argument, optionally a property path into it.</summary>
    Argument,
}

/// <summary>One placeholder of a lock template.</summary>
/// <param name="Text">The placeholder as written between the braces, e.g. <c>header.Idempotency-Key</c>.</param>
/// <param name="Source">Where its value comes from.</param>
/// <param name="Name">The route parameter, query key, header, claim type or argument name.</param>
/// <param name="Path">For <see cref="LockValueSource.Argument"/>: the property path into the argument (may be empty).</param>
internal sealed record LockPlaceholder(string Text, LockValueSource Source, string Name, IReadOnlyList<string> Path)
{
    /// <summary>How problems name the source: "route value", "query value", "header", "claim", "argument".</summary>
    public string SourceNoun => Source switch
    {
        LockValueSource.Route => "route value",
        LockValueSource.Query => "query value",
        LockValueSource.Header => "header",
        LockValueSource.Claim => "claim",
        _ => "argument",
    };

    /// <summary>The source as it appears in problem details: route, query, header, claim or argument.</summary>
    public string SourceName => Source switch
    {
        LockValueSource.Route => "route",
        LockValueSource.Query => "query",
        LockValueSource.Header => "header",
        LockValueSource.Claim => "claim",
        _ => "argument",
    };

    /// <summary>E.g. "Route value 'id'", "Header 'Idempotency-Key'", "Argument 'order.CustomerId'".</summary>
    public string Describe() => Source switch
    {
        LockValueSource.Argument => $"Argument '{string.Join('.', Path.Prepend(Name))}'",
        _ => $"{char.ToUpperInvariant(SourceNoun[0])}{SourceNoun[1..]} '{Name}'",
    };
}

/// <summary>
/// A parsed lock template such as <c>/orders/{id}</c> or <c>/payments/{header.Idempotency-Key}</c>: path segments of
/// literal text and placeholders. Binding <c>id = 42</c> gives the lock name <c>orders/42</c> (a path relative to the lock
/// root, so the znode is <c>/zksync/locks/orders/42</c>).
/// </summary>
/// <remarks>
/// <para>
/// The template is parsed with ASP.NET Core's route pattern parser (<see cref="RoutePatternFactory"/>), so segments,
/// literals, complex segments (<c>order-{id}</c>) and escaped braces follow route syntax. Constraints, defaults,
/// optional markers and catch-alls belong to the route, not to the lock, and are rejected.
/// </para>
/// <para>
/// Placeholder sources: <c>{id}</c> a route value; <c>{query.name}</c>, <c>{header.Name}</c>, <c>{claim.type}</c>; and
/// <c>{arg.parameter}</c> or <c>{arg.parameter.Property.Path}</c> a bound handler argument. A dot cannot start a route
/// constraint, so these never read as route syntax. Values are formatted with the invariant culture and must each stay
/// inside one znode name: a missing or empty value, a '/', a character ZooKeeper rejects, or a segment that would read
/// '.', '..' or start with '_c_' (reserved for lock nodes) is an error naming the placeholder, never a lock on some
/// other path.
/// </para>
/// </remarks>
internal sealed class LockNameTemplate
{
    private const string ReservedPrefix = "_c_";
    private readonly Part[][] _segments;

    private LockNameTemplate(string text, Part[][] segments, LockPlaceholder[] placeholders)
    {
        Text = text;
        _segments = segments;
        Placeholders = placeholders;
    }

    /// <summary>The template as written.</summary>
    public string Text { get; }

    /// <summary>The placeholders, in order of appearance (each at most once: route syntax forbids repeats).</summary>
    public IReadOnlyList<LockPlaceholder> Placeholders { get; }

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

        RoutePattern pattern;
        try
        {
            pattern = RoutePatternFactory.Parse(template);
        }
        catch (RoutePatternException ex)
        {
            return ex.Message;
        }

        var segments = new List<Part[]>();
        var placeholders = new List<LockPlaceholder>();
        foreach (var segment in pattern.PathSegments)
        {
            var parts = new List<Part>();
            foreach (var part in segment.Parts)
            {
                switch (part)
                {
                    case RoutePatternLiteralPart literal:
                        parts.Add(new Part(literal.Content, null));
                        break;
                    case RoutePatternSeparatorPart separator:
                        parts.Add(new Part(separator.Content, null));
                        break;
                    case RoutePatternParameterPart parameter:
                        var placeholderError = GetPlaceholderError(parameter, out var placeholder);
                        if (placeholderError is not null)
                        {
                            return placeholderError;
                        }

                        placeholders.Add(placeholder!);
                        parts.Add(new Part(placeholder!.Text, placeholder));
                        break;
                }
            }

            var segmentText = string.Concat(parts.Select(p => p.Placeholder is null ? p.Value : "{" + p.Value + "}"));
            foreach (var part in parts.Where(p => p.Placeholder is null))
            {
                foreach (var c in part.Value)
                {
                    if (GetCharError(c) is { } charError)
                    {
                        return string.Create(CultureInfo.InvariantCulture, $"segment '{Printable(segmentText)}' {charError} (U+{(int)c:X4}).");
                    }
                }
            }

            if (parts is [{ Placeholder: null, Value: "." or ".." }])
            {
                return "'.' and '..' segments are not allowed.";
            }

            if (parts[0].Placeholder is null && parts[0].Value.StartsWith(ReservedPrefix, StringComparison.Ordinal))
            {
                return $"segment '{segmentText}' starts with '{ReservedPrefix}', which is reserved for lock nodes.";
            }

            segments.Add([.. parts]);
        }

        parsed = new LockNameTemplate(template, [.. segments], [.. placeholders]);
        return null;
    }

    private static string? GetPlaceholderError(RoutePatternParameterPart parameter, out LockPlaceholder? placeholder)
    {
        placeholder = null;
        var name = parameter.Name;
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        var prefix = dot > 0 ? name[..dot] : null;
        var source = prefix switch
        {
            "query" => LockValueSource.Query,
            "header" => LockValueSource.Header,
            "claim" => LockValueSource.Claim,
            "arg" => LockValueSource.Argument,
            _ => LockValueSource.Route,
        };

        if (parameter.IsCatchAll)
        {
            return $"placeholder '{{*{name}}}': catch-all parameters cannot name a lock; use a single-segment route parameter.";
        }

        if (parameter.ParameterPolicies.Count > 0 || parameter.Default is not null || parameter.IsOptional)
        {
            return source == LockValueSource.Claim
                ? $"placeholder '{{{name}:…}}': ':' starts a route constraint, so claim types that contain ':' (URIs such as ClaimTypes.NameIdentifier) cannot be written in a lock template; use a claim type without ':' (e.g. 'sub' with JwtBearerOptions.MapInboundClaims = false)."
                : $"placeholder '{{{name}}}…': constraints, defaults and optional markers belong to the route, not to the lock template; write '{{{name}}}'.";
        }

        if (source == LockValueSource.Route)
        {
            placeholder = new LockPlaceholder(name, source, name, []);
            return null;
        }

        var rest = name[(dot + 1)..];
        if (source == LockValueSource.Argument)
        {
            var path = rest.Split('.');
            if (path.Any(p => p.Length == 0))
            {
                return $"placeholder '{{{name}}}': write '{{arg.parameter}}' or '{{arg.parameter.Property}}', e.g. '{{arg.order.CustomerId}}'.";
            }

            placeholder = new LockPlaceholder(name, source, path[0], path[1..]);
            return null;
        }

        if (rest.Length == 0)
        {
            return $"placeholder '{{{name}}}': name the {prefix} after the dot, e.g. '{{{prefix}.{(source switch { LockValueSource.Query => "name", LockValueSource.Header => "Idempotency-Key", _ => "tenant" })}}}'.";
        }

        placeholder = new LockPlaceholder(name, source, rest, []);
        return null;
    }

    /// <summary>Fills the placeholders with <paramref name="values"/> (one per placeholder, in order; null when missing).</summary>
    /// <param name="values">The values, already formatted (see <see cref="FormatValue"/>), or null when missing.</param>
    /// <param name="name">The lock name, e.g. <c>orders/42</c>.</param>
    /// <param name="error">Why binding failed (placeholder and reason).</param>
    /// <returns>True when every placeholder had a usable value.</returns>
    public bool TryBind(ReadOnlySpan<string?> values, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? name, out LockNameBindingError error)
    {
        name = null;
        error = default;
        var builder = new System.Text.StringBuilder(Text.Length + 16);
        var index = 0;
        for (var s = 0; s < _segments.Length; s++)
        {
            if (s > 0)
            {
                builder.Append('/');
            }

            var segmentStart = builder.Length;
            LockPlaceholder? first = null;
            foreach (var part in _segments[s])
            {
                if (part.Placeholder is not { } placeholder)
                {
                    builder.Append(part.Value);
                    continue;
                }

                var value = values[index++];
                if (GetValueError(placeholder, value) is { } reason)
                {
                    error = new LockNameBindingError(placeholder, reason);
                    return false;
                }

                first ??= placeholder;
                builder.Append(value);
            }

            if (first is null)
            {
                continue;
            }

            // The filled segment must not read '.' or '..' nor look like a lock node.
            var segmentText = builder.ToString(segmentStart, builder.Length - segmentStart);
            if (segmentText is "." or "..")
            {
                error = new LockNameBindingError(first, $"the segment would be '{segmentText}', a relative path segment");
                return false;
            }

            if (segmentText.StartsWith(ReservedPrefix, StringComparison.Ordinal))
            {
                error = new LockNameBindingError(first, $"the segment would start with '{ReservedPrefix}', which is reserved for lock nodes");
                return false;
            }
        }

        name = builder.ToString();
        return true;
    }

    /// <summary>Whether values of <paramref name="type"/> have a text form that can name a lock.</summary>
    public static bool IsNameableType(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type == typeof(string) || type == typeof(bool) || type == typeof(char) || type.IsEnum || typeof(IFormattable).IsAssignableFrom(type);
    }

    /// <summary>A value's text in a lock name: invariant culture, ISO 8601 for dates and times, enum names.</summary>
    public static string? FormatValue(object? value) => value switch
    {
        null => null,
        string text => text,
        DateTime dateTime => dateTime.ToString("O", CultureInfo.InvariantCulture),
        DateTimeOffset dateTimeOffset => dateTimeOffset.ToString("O", CultureInfo.InvariantCulture),
        DateOnly date => date.ToString("O", CultureInfo.InvariantCulture),
        TimeOnly time => time.ToString("O", CultureInfo.InvariantCulture),
        TimeSpan span => span.ToString("c", CultureInfo.InvariantCulture),
        bool flag => flag ? "true" : "false",
        Enum => value.ToString(),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// The most characters a request value may bring into a lock name. A value is the client's input: without a bound,
    /// a body property of a megabyte would reach ZooKeeper as a node name (and every listing of its parent).
    /// </summary>
    public const int MaxValueLength = 256;

    private static string? GetValueError(LockPlaceholder placeholder, string? value)
    {
        var noun = placeholder.SourceNoun;
        if (value is null)
        {
            return $"the {noun} is missing";
        }

        if (value.Length == 0)
        {
            return $"the {noun} is empty";
        }

        if (value.Length > MaxValueLength)
        {
            return string.Create(CultureInfo.InvariantCulture, $"the {noun} is {value.Length} characters long; at most {MaxValueLength} are allowed in a lock name");
        }

        foreach (var c in value)
        {
            if (c == '/')
            {
                return $"the {noun} contains '/'";
            }

            if (GetCharError(c) is { } charError)
            {
                return string.Create(CultureInfo.InvariantCulture, $"the {noun} {charError} (U+{(int)c:X4})");
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

    private readonly record struct Part(string Value, LockPlaceholder? Placeholder);
}

/// <summary>Why a value could not fill a placeholder.</summary>
/// <param name="Placeholder">The placeholder.</param>
/// <param name="Reason">What is wrong with its value.</param>
internal readonly record struct LockNameBindingError(LockPlaceholder Placeholder, string Reason);
