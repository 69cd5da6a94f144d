using System.Reflection;
using PublicApiGenerator;
using ZkSync.TestSupport;

namespace ZkSync.Packages.Tests;

/// <summary>
/// The public API of every library package against its baseline, <c>src/&lt;package&gt;/PublicApi.txt</c>: a change to
/// the public surface fails here until the baseline is updated in the same commit (<c>ZKSYNC_UPDATE_PUBLIC_API=1</c>
/// rewrites it), so every API change is visible in review and in the CHANGELOG.
/// </summary>
public sealed class PublicApiTests
{
    /// <summary>Set to 1 to rewrite the baselines from the built assemblies instead of comparing.</summary>
    public const string UpdateVariable = "ZKSYNC_UPDATE_PUBLIC_API";

    public static TheoryData<string> Packages => new(PackageAssemblies.Keys);

    private static readonly Dictionary<string, Assembly> PackageAssemblies = new()
    {
        ["ZkSync.Core"] = typeof(ZkSyncDiagnostics).Assembly,
        ["ZkSync.AspNetCore"] = typeof(ZkSync.AspNetCore.ZkSyncOptions).Assembly,
        ["ZkSync.OpenTelemetry"] = typeof(OpenTelemetry.Trace.ZkSyncTracerProviderBuilderExtensions).Assembly,
        ["ZkSync.DistributedLock"] = typeof(ZkSync.DistributedLock.ZkSyncDistributedLockProvider).Assembly,
    };

    [Theory]
    [MemberData(nameof(Packages))]
    public void PublicApi_MatchesBaseline(string package)
    {
        var actual = Normalize(PackageAssemblies[package].GeneratePublicApi(new ApiGeneratorOptions { IncludeAssemblyAttributes = false, DenyNamespacePrefixes = [] }));
        var baselinePath = Path.Combine(ZooKeeperEnsemble.RepositoryRoot, "src", package, "PublicApi.txt");
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            File.WriteAllText(baselinePath, actual);
            return;
        }

        var expected = File.Exists(baselinePath) ? Normalize(File.ReadAllText(baselinePath)) : "";
        if (expected == actual)
        {
            return;
        }

        var expectedLines = WithEnclosingType(expected);
        var actualLines = WithEnclosingType(actual);
        var added = actualLines.Except(expectedLines).Select(line => "+ " + line);
        var removed = expectedLines.Except(actualLines).Select(line => "- " + line);
        Assert.Fail(
            $"The public API of {package} differs from its baseline {Path.GetRelativePath(ZooKeeperEnsemble.RepositoryRoot, baselinePath)}:\n" +
            string.Join('\n', removed.Concat(added).Take(60)) +
            $"\nIf the change is intended, rewrite the baseline with {UpdateVariable}=1 dotnet test tests/ZkSync.Packages.Tests " +
            "--filter PublicApi, commit it with the change and note the change in CHANGELOG.md.");
    }

    [Fact]
    public void EveryLibraryPackage_HasABaseline()
    {
        // A library added under src/ joins PackageAssemblies (and so gets a baseline); the tool is an app, not an API.
        var libraries = Directory.GetFiles(Path.Combine(ZooKeeperEnsemble.RepositoryRoot, "src"), "*.csproj", SearchOption.AllDirectories)
            .Where(path => !File.ReadAllText(path).Contains("<PackAsTool>true</PackAsTool>", StringComparison.Ordinal))
            .Select(Path.GetFileNameWithoutExtension)
            .Order(StringComparer.Ordinal);
        Assert.Equal(libraries, PackageAssemblies.Keys.Order(StringComparer.Ordinal));
    }

    /// <summary>Each declaration line, prefixed by the type it is declared in (members are listed under their type).</summary>
    private static List<string> WithEnclosingType(string api)
    {
        var lines = new List<string>();
        var type = "";
        foreach (var raw in api.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line is "{" or "}")
            {
                continue;
            }

            var isType = TypeKeywords.Any(keyword => line.Contains(keyword, StringComparison.Ordinal)) && !line.Contains('(', StringComparison.Ordinal);
            lines.Add(isType || line.StartsWith("namespace ", StringComparison.Ordinal) || raw.StartsWith("    [", StringComparison.Ordinal) ? line : $"{type}: {line}");
            if (isType)
            {
                type = line;
            }
        }

        return lines;
    }

    private static readonly string[] TypeKeywords = [" class ", " interface ", " struct ", " enum ", " record "];

    private static string Normalize(string text) => text.ReplaceLineEndings("\n").TrimEnd() + "\n";
}
