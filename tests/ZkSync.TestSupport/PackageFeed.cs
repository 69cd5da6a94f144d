using System.Diagnostics;
using System.Reflection;

namespace ZkSync.TestSupport;

/// <summary>
/// Packages as users get them: <c>dotnet pack</c> (no build: the tests' build built them) of src/ projects into a local
/// folder feed, and <c>dotnet</c> commands run against such a feed. Shared by the tests that install the zksync tool
/// and the library packages.
/// </summary>
public static class PackageFeed
{
    /// <summary>
    /// The folder of packages <c>eng/test.sh</c> packed for this run (<c>artifacts/packages</c>), when it says so;
    /// tests pack their own otherwise.
    /// </summary>
    public const string PackagesDirectoryVariable = "ZKSYNC_PACKAGES_DIR";

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(5);

    /// <summary>The configuration the tests (and so the src/ projects they reference) were built in.</summary>
    public static string BuildConfiguration { get; } =
        typeof(PackageFeed).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";

    /// <summary>Packs src/<paramref name="projects"/> (already built) into <paramref name="feed"/> as <paramref name="version"/>.</summary>
    /// <param name="feed">The folder feed.</param>
    /// <param name="version">The package version, or null for the projects' own.</param>
    /// <param name="environment">Extra environment for dotnet (e.g. a private NUGET_PACKAGES).</param>
    /// <param name="projects">Project names under src/, e.g. ZkSync.Core.</param>
    public static async Task PackAsync(string feed, string? version, IReadOnlyDictionary<string, string?> environment, params string[] projects)
    {
        foreach (var project in projects)
        {
            string[] args = ["pack", Path.Combine(ZooKeeperEnsemble.RepositoryRoot, "src", project, project + ".csproj"), "-c", BuildConfiguration, "--no-build", "-o", feed];
            await RunDotnetAsync(ZooKeeperEnsemble.RepositoryRoot, environment, version is null ? args : [.. args, $"-p:PackageVersion={version}"]).ConfigureAwait(false);
        }
    }

    /// <summary>Runs <c>dotnet</c> to its end (at most 5 minutes); throws with its output when it fails.</summary>
    /// <returns>Its standard output.</returns>
    public static async Task<string> RunDotnetAsync(string workingDirectory, IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var startInfo = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        startInfo.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        startInfo.Environment["DOTNET_NOLOGO"] = "1";
        startInfo.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        foreach (var (key, value) in environment)
        {
            startInfo.Environment[key] = value;
        }

        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(CommandTimeout);
        try
        {
            await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {string.Join(' ', args)} did not finish within {CommandTimeout}.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet {string.Join(' ', args)} exited with {process.ExitCode}:\n{await output.ConfigureAwait(false)}\n{await error.ConfigureAwait(false)}");
        }

        return await output.ConfigureAwait(false);
    }
}
