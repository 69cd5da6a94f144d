using System.Runtime.CompilerServices;

namespace ZkSync.TestSupport;

/// <summary>
/// Znode paths for tests: every test works below its own unique path, so tests can run in parallel
/// against one ensemble and never see each other's nodes.
/// </summary>
public static class TestPaths
{
    /// <summary>The parent of every test namespace.</summary>
    public const string Root = "/zksync-tests";

    /// <summary>
    /// Returns a fresh path <c>/zksync-tests/&lt;prefix&gt;-&lt;32 hex digits&gt;</c>; the node itself is not created.
    /// </summary>
    /// <param name="prefix">
    /// A readable prefix made of letters, digits, <c>-</c>, <c>_</c> and <c>.</c>; defaults to the calling
    /// method's name, so a test method can call <c>TestPaths.Unique()</c>.
    /// </param>
    public static string Unique([CallerMemberName] string prefix = "")
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        foreach (var c in prefix)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.'))
            {
                throw new ArgumentException(
                    $"The prefix '{prefix}' contains '{c}'; use ASCII letters, digits, '-', '_' and '.' only.",
                    nameof(prefix));
            }
        }

        return $"{Root}/{prefix}-{Guid.NewGuid():N}";
    }
}
