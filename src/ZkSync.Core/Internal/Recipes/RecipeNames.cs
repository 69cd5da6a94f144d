using System.Globalization;
using ZkSync.Client;

namespace ZkSync.Internal.Recipes;

/// <summary>
/// Maps recipe names (<c>orders/42</c>) to znodes under a root (<c>/zksync/locks/orders/42</c>), rejecting names that
/// are not a plain relative path with an <see cref="ArgumentException"/> that names the broken rule.
/// </summary>
internal static class RecipeNames
{
    /// <summary>Checks a root path: a valid ZooKeeper path outside <c>/zookeeper</c>; returns it without a trailing '/'.</summary>
    /// <param name="rootPath">The root.</param>
    /// <param name="parameterName">The option's name, for the exception.</param>
    /// <returns>The root.</returns>
    public static string ValidateRoot(string? rootPath, string parameterName)
    {
        if (rootPath is null)
        {
            throw new ArgumentException($"{parameterName} is required, e.g. '/zksync/locks'.", parameterName);
        }

        ZkPath.Validate(rootPath, parameterName: parameterName);
        if (IsReserved(rootPath))
        {
            throw new ArgumentException($"Invalid {parameterName} '{rootPath}': /zookeeper is ZooKeeper's reserved subtree.", parameterName);
        }

        return rootPath;
    }

    /// <summary>The znode of <paramref name="name"/> under <paramref name="rootPath"/>.</summary>
    /// <param name="rootPath">A root checked by <see cref="ValidateRoot"/>.</param>
    /// <param name="name">The name.</param>
    /// <param name="parameterName">The parameter's name, for the exception.</param>
    /// <returns>The path.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException">The name breaks a rule; the message says which.</exception>
    public static string GetPath(string rootPath, string name, string parameterName = "name")
    {
        ArgumentNullException.ThrowIfNull(name, parameterName);
        var error = GetError(rootPath, name);
        if (error is not null)
        {
            throw new ArgumentException($"Invalid name '{ZkPath.Printable(name)}': {error}", parameterName);
        }

        return rootPath == "/" ? "/" + name : rootPath + "/" + name;
    }

    /// <summary>Returns the rule <paramref name="name"/> breaks, or null.</summary>
    public static string? GetError(string rootPath, string name)
    {
        if (name.Length == 0)
        {
            return "the name must not be empty.";
        }

        if (name[0] == '/')
        {
            return $"the name must not start with '/' (names are relative to the root '{rootPath}').";
        }

        if (name[^1] == '/')
        {
            return "the name must not end with '/'.";
        }

        var start = 0;
        for (var i = 0; i <= name.Length; i++)
        {
            if (i < name.Length && name[i] != '/')
            {
                var charError = GetCharError(name[i]);
                if (charError is not null)
                {
                    return string.Create(CultureInfo.InvariantCulture, $"{charError} (U+{(int)name[i]:X4} at index {i}).");
                }

                continue;
            }

            var component = name.AsSpan(start, i - start);
            if (component.IsEmpty)
            {
                return string.Create(CultureInfo.InvariantCulture, $"empty component at index {i} ('//' is not allowed).");
            }

            if (component is "." or "..")
            {
                return "'.' and '..' components are not allowed.";
            }

            if (component.StartsWith(ProtectedNodeName.Prefix, StringComparison.Ordinal))
            {
                return "components must not start with '_c_', which is reserved for lock and election nodes.";
            }

            if (SequentialNodeOrdering.TryParse(component, LockContention.Tokens, out _, out _))
            {
                // Its znode would sit among the parent lock's contenders and block that lock while it exists.
                return $"the component '{component}' would be taken for a lock contender (a lock or election token such as '-lock-', '__lock__' or '__rlock__' followed by a 10-digit sequence number).";
            }

            start = i + 1;
        }

        if (rootPath == "/" && name.StartsWith("zookeeper", StringComparison.Ordinal))
        {
            return "names starting with 'zookeeper' are not allowed at the root: /zookeeper is ZooKeeper's reserved subtree.";
        }

        return null;
    }

    private static bool IsReserved(string path) =>
        path == "/zookeeper" || path.StartsWith("/zookeeper/", StringComparison.Ordinal);

    private static string? GetCharError(char c)
    {
        if (c is <= '\u001f' or >= '\u007f' and <= '\u009f')
        {
            return "control characters are not allowed";
        }

        if (c is >= '\ud800' and <= '\uf8ff' or >= '\ufff0')
        {
            return "surrogate, private-use and special characters (U+D800–U+F8FF, U+FFF0–U+FFFF) are not allowed";
        }

        return null;
    }
}
