using System.Globalization;

namespace ZkSync.Client;

/// <summary>ZooKeeper path rules (<c>PathUtils.validatePath</c>) and helpers.</summary>
public static class ZkPath
{
    /// <summary>
    /// Throws <see cref="ArgumentException"/> naming the broken rule if <paramref name="path"/> is not a valid ZooKeeper path.
    /// </summary>
    /// <param name="path">The path.</param>
    /// <param name="isSequential">True for a sequential create: the server appends a suffix, so a trailing '/' is allowed.</param>
    /// <param name="parameterName">The parameter name reported in the exception.</param>
    public static void Validate(string path, bool isSequential = false, string parameterName = "path")
    {
        var error = GetError(path, isSequential);
        if (error is not null)
        {
            throw new ArgumentException($"Invalid ZooKeeper path '{Printable(path)}': {error}", parameterName);
        }
    }

    /// <summary>Returns null when <paramref name="path"/> is valid, else the rule it breaks.</summary>
    /// <param name="path">The path.</param>
    /// <param name="isSequential">True for a sequential create.</param>
    /// <returns>The broken rule, or null.</returns>
    public static string? GetError(string? path, bool isSequential = false)
    {
        if (path is null)
        {
            return "the path must not be null.";
        }

        if (path.Length == 0)
        {
            return "the path must not be empty.";
        }

        if (path[0] != '/')
        {
            return "the path must start with '/'.";
        }

        if (path.Length == 1)
        {
            return null;
        }

        if (path[^1] == '/' && !isSequential)
        {
            return "the path must not end with '/'.";
        }

        var componentStart = 1;
        for (var i = 1; i <= path.Length; i++)
        {
            if (i < path.Length)
            {
                var c = path[i];
                if (c != '/')
                {
                    var charError = GetCharError(c);
                    if (charError is not null)
                    {
                        return string.Create(CultureInfo.InvariantCulture, $"{charError} (U+{(int)c:X4} at index {i}).");
                    }

                    continue;
                }
            }

            var length = i - componentStart;
            var isLast = i == path.Length;
            if (length == 0 && !(isLast && isSequential))
            {
                return string.Create(CultureInfo.InvariantCulture, $"empty path component at index {i} ('//' is not allowed).");
            }

            if (length == 1 && path[componentStart] == '.' || length == 2 && path[componentStart] == '.' && path[componentStart + 1] == '.')
            {
                if (!(isLast && isSequential))
                {
                    return "relative path components ('.' and '..') are not allowed.";
                }
            }

            componentStart = i + 1;
        }

        return null;
    }

    private static string? GetCharError(char c)
    {
        if (c == '\0')
        {
            return "the null character is not allowed";
        }

        if (c is > '\u0000' and <= '\u001f' or >= '\u007f' and <= '\u009f')
        {
            return "control characters are not allowed";
        }

        if (c is >= '\ud800' and <= '\uf8ff' or >= '\ufff0' and <= '\uffff')
        {
            return "surrogate, private-use and special characters (U+D800–U+F8FF, U+FFF0–U+FFFF) are not allowed";
        }

        return null;
    }

    /// <summary>The parent of <paramref name="path"/> (<c>/a/b</c> → <c>/a</c>; <c>/a</c> → <c>/</c>); null for the root.</summary>
    /// <param name="path">A valid path.</param>
    /// <returns>The parent path, or null.</returns>
    public static string? GetParent(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path == "/")
        {
            return null;
        }

        var index = path.LastIndexOf('/');
        return index <= 0 ? "/" : path[..index];
    }

    /// <summary>The last component of <paramref name="path"/> (<c>/a/b</c> → <c>b</c>).</summary>
    /// <param name="path">A valid path.</param>
    /// <returns>The node name; empty for the root.</returns>
    public static string GetName(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return path[(path.LastIndexOf('/') + 1)..];
    }

    /// <summary>Joins a parent path and a child name (<c>/a</c> + <c>b</c> → <c>/a/b</c>; <c>/</c> + <c>b</c> → <c>/b</c>).</summary>
    /// <param name="parent">The parent path.</param>
    /// <param name="child">The child name (no '/').</param>
    /// <returns>The child path.</returns>
    public static string Combine(string parent, string child)
    {
        ArgumentNullException.ThrowIfNull(parent);
        ArgumentNullException.ThrowIfNull(child);
        return parent == "/" ? "/" + child : parent + "/" + child;
    }

    internal static string Printable(string? path)
    {
        if (path is null)
        {
            return "(null)";
        }

        var needs = false;
        foreach (var c in path)
        {
            if (char.IsControl(c))
            {
                needs = true;
                break;
            }
        }

        if (!needs)
        {
            return path.Length > 200 ? path[..200] + "…" : path;
        }

        var builder = new System.Text.StringBuilder(path.Length + 16);
        foreach (var c in path)
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
}
