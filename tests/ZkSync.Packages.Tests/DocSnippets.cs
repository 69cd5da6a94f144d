using System.Text;

namespace ZkSync.Packages.Tests;

/// <summary>
/// Code blocks in Markdown that are included from compiled files: a block preceded by
/// <c>&lt;!-- snippet: samples/Snippets/File.cs --&gt;</c> (the whole file) or <c>&lt;!-- snippet: samples/Snippets/File.cs#name --&gt;</c>
/// (the lines between <c>#region name</c> and the next <c>#endregion</c>, de-indented) must equal that code. A C# block
/// without such a marker is a problem of its own: it would not be compiled.
/// </summary>
internal static class DocSnippets
{
    private const string MarkerStart = "<!-- snippet: ";
    private const string MarkerEnd = " -->";

    /// <summary>Checks one document; returns its problems and the document with every included block rewritten from its source.</summary>
    /// <param name="document">The document's path, as printed in problems.</param>
    /// <param name="text">The document's text.</param>
    /// <param name="readSource">Reads a source file named by a marker (a path relative to the repository); null if it does not exist.</param>
    public static (List<string> Problems, string Updated) Check(string document, string text, Func<string, string?> readSource)
    {
        var problems = new List<string>();
        var lines = text.ReplaceLineEndings("\n").Split('\n');
        var output = new List<string>(lines.Length);
        for (var i = 0; i < lines.Length; i++)
        {
            output.Add(lines[i]);
            var fence = lines[i].TrimStart();
            if (!fence.StartsWith("```", StringComparison.Ordinal))
            {
                continue;
            }

            var indent = lines[i][..(lines[i].Length - fence.Length)];
            var language = fence[3..].Trim();
            var end = i + 1;
            while (end < lines.Length && lines[end].Trim() != "```")
            {
                end++;
            }

            var block = lines[(i + 1)..Math.Min(end, lines.Length)].Select(line => line.StartsWith(indent, StringComparison.Ordinal) ? line[indent.Length..] : line).ToArray();
            var where = $"{document}:{i + 1} (```{language} block)";
            var marker = i > 0 ? lines[i - 1].Trim() : "";
            string[]? expected = null;
            if (marker.StartsWith(MarkerStart, StringComparison.Ordinal) && marker.EndsWith(MarkerEnd, StringComparison.Ordinal))
            {
                var source = marker[MarkerStart.Length..^MarkerEnd.Length].Trim();
                expected = Extract(source, readSource, out var error);
                if (error is not null)
                {
                    problems.Add($"{where}: {error}");
                }
                else if (!block.SequenceEqual(expected!))
                {
                    problems.Add($"{where} differs from {source}: {FirstDifference(block, expected!)}");
                }
            }
            else if (language is "csharp" or "cs" or "c#" or "C#")
            {
                problems.Add($"{where} is C# that no project compiles: move it into samples/Snippets (between '#region name' and '#endregion') " +
                    "and put '<!-- snippet: samples/Snippets/File.cs#name -->' on the line above the block.");
            }

            output.AddRange((expected ?? block).Select(line => line.Length == 0 ? line : indent + line));
            if (end < lines.Length)
            {
                output.Add(lines[end]);
            }

            i = end;
        }

        return (problems, string.Join('\n', output));
    }

    private static string[]? Extract(string source, Func<string, string?> readSource, out string? error)
    {
        error = null;
        var hash = source.IndexOf('#', StringComparison.Ordinal);
        var path = hash < 0 ? source : source[..hash];
        var text = readSource(path);
        if (text is null)
        {
            error = $"the snippet source {path} does not exist.";
            return null;
        }

        var lines = text.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
        if (hash < 0)
        {
            return lines;
        }

        var region = source[(hash + 1)..];
        var start = Array.FindIndex(lines, line => line.Trim() == "#region " + region);
        var stop = start < 0 ? -1 : Array.FindIndex(lines, start + 1, line => line.Trim() == "#endregion");
        if (start < 0 || stop < 0)
        {
            error = $"{path} has no '#region {region}' ... '#endregion'.";
            return null;
        }

        var body = lines[(start + 1)..stop];
        var common = body.Where(line => line.Trim().Length > 0).Select(line => line.Length - line.TrimStart().Length).DefaultIfEmpty(0).Min();
        return [.. body.Select(line => line.Trim().Length == 0 ? "" : line[common..])];
    }

    private static string FirstDifference(string[] actual, string[] expected)
    {
        for (var i = 0; i < Math.Max(actual.Length, expected.Length); i++)
        {
            var doc = i < actual.Length ? actual[i] : null;
            var file = i < expected.Length ? expected[i] : null;
            if (doc != file)
            {
                return new StringBuilder()
                    .Append("line ").Append(i + 1).Append(" of the block is ").Append(doc is null ? "missing" : $"'{doc}'")
                    .Append(", the file has ").Append(file is null ? "nothing more" : $"'{file}'").Append('.')
                    .ToString();
            }
        }

        return "they differ.";
    }
}
