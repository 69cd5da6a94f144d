using System.Reflection;
using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc.Controllers;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.Routing;

namespace ZkSync.AspNetCore.Internal;

/// <summary>
/// How one endpoint takes its lock: the resolved settings, where each placeholder's value comes from, and whether the
/// lock is taken by the middleware (route, query, header and claim values) or after model binding by the endpoint or
/// action filter (bound arguments). Built once per endpoint and checked at startup.
/// </summary>
/// <remarks>
/// A route placeholder that names a handler parameter of another type than string (<c>{id}</c> and <c>int id</c>) is
/// filled from the bound argument, after binding: a request whose value does not bind gets the framework's 400 and never
/// reaches ZooKeeper, and equal values name one lock ('042' and '42' are both 42).
/// </remarks>
internal sealed class LockPlan
{
    private readonly ValueReader[] _readers;

    private LockPlan(Endpoint endpoint, ResolvedLock resolved, ValueReader[] readers, bool afterBinding, HandlerKind handler, List<string> errors, List<UnconstrainedRouteValue> warnings)
    {
        Endpoint = endpoint;
        Lock = resolved;
        _readers = readers;
        AfterBinding = afterBinding;
        Handler = handler;
        Errors = errors;
        Warnings = warnings;
    }

    /// <summary>What kind of handler runs the endpoint, which decides how bound arguments are read.</summary>
    public enum HandlerKind
    {
        /// <summary>No handler parameters ZkSync can see (a RequestDelegate, a Razor page).</summary>
        None,

        /// <summary>A minimal API handler: arguments by position in the endpoint filter.</summary>
        RouteHandler,

        /// <summary>A controller action: arguments by name in the action filter.</summary>
        Action,
    }

    public Endpoint Endpoint { get; }

    public ResolvedLock Lock { get; }

    public LockNameTemplate Template => Lock.Template;

    /// <summary>True when the lock needs bound arguments and is taken by a filter after binding and validation.</summary>
    public bool AfterBinding { get; }

    public HandlerKind Handler { get; }

    /// <summary>Startup errors: placeholders that do not exist on the endpoint.</summary>
    public IReadOnlyList<string> Errors { get; }

    /// <summary>Route parameters without a constraint that bind a typed handler parameter.</summary>
    public IReadOnlyList<UnconstrainedRouteValue> Warnings { get; }

    /// <summary>Analyses <paramref name="endpoint"/>, whose lock metadata resolved to <paramref name="resolved"/>.</summary>
    public static LockPlan Create(Endpoint endpoint, ResolvedLock resolved)
    {
        var name = endpoint.DisplayName ?? "(unnamed)";
        var template = resolved.Template;
        var (kind, parameters) = GetHandlerParameters(endpoint.Metadata);
        var pattern = (endpoint as RouteEndpoint)?.RoutePattern;
        var errors = new List<string>();
        var warnings = new List<UnconstrainedRouteValue>();
        var readers = new ValueReader[template.Placeholders.Count];
        var afterBinding = false;
        for (var i = 0; i < readers.Length; i++)
        {
            var placeholder = template.Placeholders[i];
            switch (placeholder.Source)
            {
                case LockValueSource.Route:
                    if (pattern is not null && !IsRouteValue(pattern, placeholder.Name))
                    {
                        var routeParameters = string.Join(", ", pattern.Parameters.Select(p => p.Name));
                        errors.Add($"Endpoint '{name}': placeholder '{{{placeholder.Text}}}' of the distributed lock template '{template.Text}' is not a route parameter "
                            + $"of the endpoint (route parameters: {(routeParameters.Length == 0 ? "none" : routeParameters)}). Other sources: '{{query.name}}', "
                            + "'{header.Name}', '{claim.type}', '{arg.parameter.Property}'.");
                        readers[i] = ValueReader.Route(placeholder.Name);
                        break;
                    }

                    var bound = parameters.FirstOrDefault(p => string.Equals(p.RouteName, placeholder.Name, StringComparison.OrdinalIgnoreCase));
                    if (bound is not null && IsTyped(bound.Type))
                    {
                        var boundType = Nullable.GetUnderlyingType(bound.Type) ?? bound.Type;
                        readers[i] = ValueReader.Argument(bound, []);
                        afterBinding = true;
                        if (pattern?.GetParameter(placeholder.Name) is { ParameterPolicies.Count: 0 })
                        {
                            warnings.Add(new UnconstrainedRouteValue(name, placeholder.Name, boundType, template.Text));
                        }
                    }
                    else
                    {
                        readers[i] = ValueReader.Route(placeholder.Name);
                    }

                    break;
                case LockValueSource.Argument:
                    afterBinding = true;
                    readers[i] = CreateArgumentReader(name, template, placeholder, kind, parameters, errors);
                    break;
                default:
                    readers[i] = new ValueReader(placeholder.Source, placeholder.Name, null, []);
                    break;
            }
        }

        if (afterBinding && kind == HandlerKind.RouteHandler && !endpoint.Metadata.Contains(DistributedLockEndpointFilter.InstalledMetadata.Instance))
        {
            errors.Add($"Endpoint '{name}': the distributed lock template '{template.Text}' needs bound arguments, so its lock is taken by an endpoint filter after "
                + "binding, but the lock was declared as an attribute on the handler; declare it with .RequireDistributedLock(\"" + template.Text + "\") on the endpoint or its group.");
        }

        return new LockPlan(endpoint, resolved, readers, afterBinding, kind, errors, warnings);
    }

    /// <summary>
    /// Reads and formats the placeholders' values. Returns null when every placeholder had a usable value and the name
    /// is in <paramref name="name"/>; else the problem.
    /// </summary>
    /// <param name="context">The request.</param>
    /// <param name="arguments">The bound arguments, when the lock is taken after binding.</param>
    /// <param name="name">The lock name.</param>
    /// <returns>The binding error, or null.</returns>
    public LockNameBindingError? TryGetName(HttpContext context, LockArguments arguments, out string? name)
    {
        var values = new string?[_readers.Length];
        for (var i = 0; i < _readers.Length; i++)
        {
            var (value, problem) = _readers[i].Read(context, arguments);
            if (problem is not null)
            {
                name = null;
                return new LockNameBindingError(Template.Placeholders[i], problem);
            }

            values[i] = value;
        }

        return Template.TryBind(values, out name, out var error) ? null : error;
    }

    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "Property paths into bound handler arguments: the properties are the ones model binding or the JSON serializer sets, so they exist whenever the argument binds; one that was trimmed away fails startup naming it.")]
    private static ValueReader CreateArgumentReader(string endpoint, LockNameTemplate template, LockPlaceholder placeholder, HandlerKind kind, IReadOnlyList<HandlerParameter> parameters, List<string> errors)
    {
        var prefix = $"Endpoint '{endpoint}': placeholder '{{{placeholder.Text}}}' of the distributed lock template '{template.Text}'";
        if (kind == HandlerKind.None)
        {
            errors.Add($"{prefix} names a handler argument, but the endpoint has no handler parameters (bound arguments are available to minimal API handlers and controller actions).");
            return ValueReader.Route(placeholder.Name);
        }

        var parameter = parameters.FirstOrDefault(p => string.Equals(p.Name, placeholder.Name, StringComparison.Ordinal))
            ?? parameters.FirstOrDefault(p => string.Equals(p.Name, placeholder.Name, StringComparison.OrdinalIgnoreCase));
        if (parameter is null)
        {
            var names = string.Join(", ", parameters.Select(p => p.Name));
            errors.Add($"{prefix} is not a parameter of the handler (parameters: {(names.Length == 0 ? "none" : names)}).");
            return ValueReader.Route(placeholder.Name);
        }

        var properties = new PropertyInfo[placeholder.Path.Count];
        var type = parameter.Type;
        for (var i = 0; i < properties.Length; i++)
        {
            var declaring = Nullable.GetUnderlyingType(type) ?? type;
            var property = FindProperty(declaring, placeholder.Path[i]);
            if (property is null)
            {
                var known = string.Join(", ", declaring.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0).Select(p => p.Name));
                errors.Add($"{prefix}: type '{declaring.Name}' has no public property '{placeholder.Path[i]}' (properties: {(known.Length == 0 ? "none" : known)}).");
                return ValueReader.Route(placeholder.Name);
            }

            properties[i] = property;
            type = property.PropertyType;
        }

        if (!LockNameTemplate.IsNameableType(type))
        {
            errors.Add($"{prefix} is of type '{type.Name}', which has no text form for a lock name; name one of its properties, e.g. '{{{placeholder.Text}.Id}}' "
                + "(strings, numbers, enums, Guid, dates and other IFormattable types can name a lock).");
        }

        return ValueReader.Argument(parameter, properties);
    }

    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "Property paths into bound handler arguments: the properties are the ones model binding or the JSON serializer sets, so they exist whenever the argument binds; one that was trimmed away fails startup naming it.")]
    private static PropertyInfo? FindProperty(Type type, string name)
    {
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0 && p.GetMethod is not null).ToList();
        return properties.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.Ordinal))
            ?? properties.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
    }

    private static bool IsRouteValue(Microsoft.AspNetCore.Routing.Patterns.RoutePattern pattern, string name) =>
        pattern.GetParameter(name) is not null || pattern.RequiredValues.ContainsKey(name) || pattern.Defaults.ContainsKey(name);

    /// <summary>
    /// Whether a minimal API endpoint with these metadata (as seen by an endpoint convention) takes the lock of
    /// <paramref name="template"/> after binding, so that it needs the endpoint filter. Other endpoints do without the
    /// filter: an endpoint with filters skips its handler when the status code is already 400 or more, as on an error
    /// page reached by re-execution.
    /// </summary>
    public static bool NeedsEndpointFilter(LockNameTemplate template, IReadOnlyList<object> metadata)
    {
        if (template.Placeholders.Any(p => p.Source == LockValueSource.Argument))
        {
            return true;
        }

        var (kind, parameters) = GetHandlerParameters(metadata);
        return kind == HandlerKind.RouteHandler && template.Placeholders.Any(p => p.Source == LockValueSource.Route
            && parameters.Any(h => string.Equals(h.RouteName, p.Name, StringComparison.OrdinalIgnoreCase) && IsTyped(h.Type)));
    }

    private static bool IsTyped(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type != typeof(string) && type != typeof(object) && LockNameTemplate.IsNameableType(type);
    }

    private static (HandlerKind Kind, IReadOnlyList<HandlerParameter> Parameters) GetHandlerParameters(IReadOnlyList<object> metadata)
    {
        if (metadata.OfType<ControllerActionDescriptor>().LastOrDefault() is { } action)
        {
            var result = new List<HandlerParameter>();
            for (var i = 0; i < action.Parameters.Count; i++)
            {
                var parameter = action.Parameters[i];
                var source = parameter.BindingInfo?.BindingSource;
                var fromRoute = source is null || source == BindingSource.Path || source == BindingSource.ModelBinding;
                var routeName = fromRoute ? parameter.BindingInfo?.BinderModelName ?? parameter.Name : null;
                result.Add(new HandlerParameter(parameter.Name, parameter.ParameterType, i, routeName));
            }

            return (HandlerKind.Action, result);
        }

        if (metadata.OfType<MethodInfo>().FirstOrDefault() is { } method)
        {
            var result = new List<HandlerParameter>();
            var parameters = method.GetParameters();
            for (var i = 0; i < parameters.Length; i++)
            {
                var parameter = parameters[i];
                var attributes = parameter.GetCustomAttributes(inherit: true);
                var fromRoute = attributes.OfType<IFromRouteMetadata>().FirstOrDefault();
                var elsewhere = attributes.Any(a => a is IFromQueryMetadata or IFromHeaderMetadata or IFromBodyMetadata or IFromFormMetadata or IFromServiceMetadata or AsParametersAttribute);
                var routeName = fromRoute is not null ? fromRoute.Name ?? parameter.Name : elsewhere ? null : parameter.Name;
                result.Add(new HandlerParameter(parameter.Name ?? "", parameter.ParameterType, i, routeName));
            }

            return (HandlerKind.RouteHandler, result);
        }

        return (HandlerKind.None, []);
    }

    /// <summary>A handler parameter: its name, type, position and the route parameter it binds (if any).</summary>
    internal sealed record HandlerParameter(string Name, Type Type, int Index, string? RouteName);

    /// <summary>Reads one placeholder's value from the request or the bound arguments.</summary>
    private sealed record ValueReader(LockValueSource Source, string Name, HandlerParameter? Parameter, PropertyInfo[] Properties)
    {
        public static ValueReader Route(string name) => new(LockValueSource.Route, name, null, []);

        public static ValueReader Argument(HandlerParameter parameter, PropertyInfo[] properties) => new(LockValueSource.Argument, parameter.Name, parameter, properties);

        public (string? Value, string? Problem) Read(HttpContext context, LockArguments arguments)
        {
            switch (Source)
            {
                case LockValueSource.Route:
                    return (LockNameTemplate.FormatValue(context.Request.RouteValues.TryGetValue(Name, out var raw) ? raw : null), null);
                case LockValueSource.Query:
                    return Single(context.Request.Query.TryGetValue(Name, out var query) ? query : default, "query value");
                case LockValueSource.Header:
                    return Single(context.Request.Headers.TryGetValue(Name, out var header) ? header : default, "header");
                case LockValueSource.Claim:
                    return ReadClaim(context.User);
                default:
                    if (!arguments.TryGet(Parameter!, out var value))
                    {
                        return (null, "the argument was not bound");
                    }

                    for (var i = 0; i < Properties.Length && value is not null; i++)
                    {
                        value = Properties[i].GetValue(value);
                    }

                    return (LockNameTemplate.FormatValue(value), null);
            }
        }

        private static (string?, string?) Single(Microsoft.Extensions.Primitives.StringValues values, string noun) => values.Count switch
        {
            0 => (null, null),
            1 => (values[0], null),
            _ => (null, $"the {noun} has {values.Count} values; the lock needs exactly one"),
        };

        private (string?, string?) ReadClaim(ClaimsPrincipal user)
        {
            string? found = null;
            foreach (var claim in user.FindAll(Name))
            {
                if (found is not null && !string.Equals(found, claim.Value, StringComparison.Ordinal))
                {
                    return (null, "the user has several different values of this claim; the lock needs exactly one");
                }

                found = claim.Value;
            }

            return found is null && user.Identity?.IsAuthenticated != true
                ? (null, "the claim is missing (the request has no authenticated user; call UseAuthentication() before UseZkSync())")
                : (found, null);
        }
    }
}

/// <summary>The bound arguments of a request: by position (minimal API endpoint filter) or by name (MVC action filter).</summary>
internal readonly struct LockArguments
{
    private readonly IList<object?>? _byPosition;
    private readonly IDictionary<string, object?>? _byName;

    public LockArguments(IList<object?> byPosition) => _byPosition = byPosition;

    public LockArguments(IDictionary<string, object?> byName) => _byName = byName;

    public bool TryGet(LockPlan.HandlerParameter parameter, out object? value)
    {
        if (_byPosition is not null && parameter.Index < _byPosition.Count)
        {
            value = _byPosition[parameter.Index];
            return true;
        }

        if (_byName is not null)
        {
            return _byName.TryGetValue(parameter.Name, out value);
        }

        value = null;
        return false;
    }
}

/// <summary>A route parameter without a constraint whose handler parameter has another type than string.</summary>
internal sealed record UnconstrainedRouteValue(string Endpoint, string Parameter, Type Type, string Template)
{
    /// <summary>The route constraint that matches <see cref="Type"/>, e.g. <c>{id:int}</c>, or null when none does.</summary>
    public string? SuggestedConstraint => Type switch
    {
        _ when Type == typeof(int) => "int",
        _ when Type == typeof(long) => "long",
        _ when Type == typeof(Guid) => "guid",
        _ when Type == typeof(bool) => "bool",
        _ when Type == typeof(decimal) => "decimal",
        _ when Type == typeof(double) => "double",
        _ when Type == typeof(float) => "float",
        _ when Type == typeof(DateTime) => "datetime",
        _ => null,
    };
}
