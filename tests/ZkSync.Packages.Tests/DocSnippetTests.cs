using ZkSync.TestSupport;

namespace ZkSync.Packages.Tests;

/// <summary>
/// Every code block of the READMEs (the repository's, each package's, the samples') and of docs/*.md that is C# is
/// included from a file a project compiles (samples/QuickStart, samples/Snippets), and equals it.
/// <c>ZKSYNC_UPDATE_SNIPPETS=1</c> rewrites the docs' included blocks from the files instead of comparing.
/// </summary>
public sealed class DocSnippetTests
{
    /// <summary>Set to 1 to rewrite the docs from the compiled files.</summary>
    public const string UpdateVariable = "ZKSYNC_UPDATE_SNIPPETS";

    private static string Root => ZooKeeperEnsemble.RepositoryRoot;

    public static TheoryData<string> Documents => new(
        new[] { "README.md" }
            .Concat(Directory.GetFiles(Path.Combine(Root, "src"), "README.md", SearchOption.AllDirectories))
            .Concat(Directory.GetFiles(Path.Combine(Root, "samples"), "README.md", SearchOption.AllDirectories))
            .Concat(Directory.GetFiles(Path.Combine(Root, "docs"), "*.md"))
            .Select(path => Path.GetRelativePath(Root, Path.Combine(Root, path)).Replace('\\', '/'))
            .Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(Documents))]
    public void CodeBlocks_AreTheCompiledFiles(string document)
    {
        var path = Path.Combine(Root, document);
        var text = File.ReadAllText(path);

        var (problems, updated) = DocSnippets.Check(document, text, ReadSource);

        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            if (updated != text.ReplaceLineEndings("\n"))
            {
                File.WriteAllText(path, updated);
            }

            problems.RemoveAll(problem => problem.Contains(" differs from ", StringComparison.Ordinal));
        }

        Assert.True(problems.Count == 0,
            string.Join('\n', problems) + $"\nThe compiled files are the truth: {UpdateVariable}=1 dotnet test tests/ZkSync.Packages.Tests --filter DocSnippet rewrites the docs from them.");
    }

    [Fact]
    public void DriftedBlock_IsReportedWithDocumentBlockAndFile()
    {
        const string Doc = "Intro\n\n<!-- snippet: samples/X.cs#hello -->\n```csharp\nConsole.WriteLine(\"hi\");\n```\n";
        const string Source = "class X\n{\n    void M()\n    {\n        #region hello\n        Console.WriteLine(\"hello\");\n        #endregion\n    }\n}\n";

        var (problems, updated) = DocSnippets.Check("docs/x.md", Doc, path => path == "samples/X.cs" ? Source : null);

        var problem = Assert.Single(problems);
        Assert.Equal("docs/x.md:4 (```csharp block) differs from samples/X.cs#hello: line 1 of the block is 'Console.WriteLine(\"hi\");', the file has 'Console.WriteLine(\"hello\");'.", problem);
        Assert.Equal(Doc.Replace("\"hi\"", "\"hello\"", StringComparison.Ordinal), updated);
    }

    [Fact]
    public void CSharpWithoutMarker_AndMissingSources_AreReported()
    {
        const string Doc = "```csharp\nvar x = 1;\n```\n\n<!-- snippet: samples/Gone.cs -->\n```csharp\n```\n\n<!-- snippet: samples/X.cs#nope -->\n```csharp\n```\n\n```bash\nls\n```\n";

        var (problems, _) = DocSnippets.Check("README.md", Doc, path => path == "samples/X.cs" ? "#region other\n#endregion\n" : null);

        Assert.Collection(problems,
            problem => Assert.StartsWith("README.md:1 (```csharp block) is C# that no project compiles", problem, StringComparison.Ordinal),
            problem => Assert.Equal("README.md:6 (```csharp block): the snippet source samples/Gone.cs does not exist.", problem),
            problem => Assert.Equal("README.md:10 (```csharp block): samples/X.cs has no '#region nope' ... '#endregion'.", problem));
    }

    private static string? ReadSource(string relativePath)
    {
        var path = Path.GetFullPath(Path.Combine(Root, relativePath));
        return path.StartsWith(Root, StringComparison.Ordinal) && File.Exists(path) ? File.ReadAllText(path) : null;
    }
}
