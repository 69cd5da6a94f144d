using System.Diagnostics;

namespace ZkSync.TestSupport.Peers;

/// <summary>
/// Locates the peer programs under <c>tests/peers</c> and the tools they need (Java with the Debian Curator
/// and ZooKeeper jars, Python with kazoo), and compiles the Java sources once per test run.
/// </summary>
/// <remarks>
/// Environment overrides: <c>ZKSYNC_JAVA_LIB</c> (folder holding the jars, default <c>/usr/share/java</c>),
/// <c>JAVA_HOME</c> (else <c>java</c>/<c>javac</c> from PATH) and <c>ZKSYNC_PYTHON</c> (else the first of
/// <c>/usr/bin/python3</c> and <c>python3</c> on PATH that can import kazoo; a pyenv or venv python on PATH
/// usually cannot, which is why the Debian one is tried first).
/// </remarks>
public static class PeerTools
{
    /// <summary>Name of the file that marks the repository root.</summary>
    public const string SolutionFileName = "ZkSync.AspNetCore.sln";

    // Jar file name → Debian package providing it. Order is the class path order.
    private static readonly (string Jar, string Package)[] RequiredJars =
    [
        ("curator-recipes.jar", "libcurator-recipes-java"),
        ("curator-framework.jar", "libcurator-framework-java"),
        ("curator-client.jar", "libcurator-client-java"),
        ("zookeeper.jar", "libzookeeper-java"),
        ("zookeeper-jute.jar", "libzookeeper-java"),
        ("guava.jar", "libguava-java"),
        ("slf4j-api.jar", "libslf4j-java"),
    ];

    // Optional: routes Curator/ZooKeeper logging to stderr, where the harness captures it.
    private const string LoggingJar = "slf4j-simple.jar";

    private static readonly Lazy<string> s_repositoryRoot = new(FindRepositoryRoot);
    private static readonly Lazy<string> s_javaExecutable = new(() => FindJdkTool("java"));
    private static readonly Lazy<string> s_javacExecutable = new(() => FindJdkTool("javac"));
    private static readonly Lazy<IReadOnlyList<string>> s_javaLibraries = new(FindJavaLibraries);
    private static readonly Lazy<string> s_python = new(FindPythonWithKazoo);
    private static readonly Lazy<Task<string>> s_compiledClasses = new(CompileJavaAsync);

    /// <summary>The repository root: the nearest ancestor of the test binaries holding the solution file.</summary>
    public static string RepositoryRoot => s_repositoryRoot.Value;

    /// <summary><c>tests/peers</c> under the repository root.</summary>
    public static string PeersDirectory => Path.Combine(RepositoryRoot, "tests", "peers");

    /// <summary>The <c>java</c> launcher.</summary>
    /// <exception cref="PeerUnavailableException">No JDK was found.</exception>
    public static string JavaExecutable => s_javaExecutable.Value;

    /// <summary>The jars the Java peers compile and run against, in class path order.</summary>
    /// <exception cref="PeerUnavailableException">A required jar is missing.</exception>
    public static IReadOnlyList<string> JavaLibraries => s_javaLibraries.Value;

    /// <summary>A Python 3 interpreter that can import kazoo.</summary>
    /// <exception cref="PeerUnavailableException">None was found.</exception>
    public static string PythonExecutable => s_python.Value;

    /// <summary>
    /// Compiles every <c>tests/peers/java/*.java</c> into a per-run temporary folder (once per process; later
    /// and concurrent callers share the result) and returns the class path to run them with.
    /// </summary>
    /// <exception cref="PeerUnavailableException">The JDK or a jar is missing.</exception>
    /// <exception cref="InvalidOperationException">javac reported errors.</exception>
    public static async Task<string> GetJavaClassPathAsync(CancellationToken cancellationToken = default)
    {
        // The compilation itself is shared and never cancelled by one caller; a caller only stops waiting.
        var classes = await s_compiledClasses.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        return string.Join(Path.PathSeparator, [classes, .. JavaLibraries]);
    }

    /// <summary>Start information for a Java peer class, with stdin/stdout/stderr redirected as UTF-8.</summary>
    /// <param name="classPath">From <see cref="GetJavaClassPathAsync"/>.</param>
    /// <param name="mainClass">The class to run, for example <c>CuratorPeer</c>.</param>
    /// <param name="maxHeapMegabytes">The JVM's <c>-Xmx</c>.</param>
    /// <param name="quickStart">Trade peak speed for a fast, light start (C1 only, serial GC): right for
    /// protocol peers, wrong for benchmarks.</param>
    /// <param name="arguments">The program's arguments.</param>
    public static ProcessStartInfo CreateJavaStartInfo(
        string classPath, string mainClass, int maxHeapMegabytes, bool quickStart, params IEnumerable<string> arguments)
    {
        var startInfo = CreateStartInfo(JavaExecutable);
        startInfo.ArgumentList.Add($"-Xmx{maxHeapMegabytes}m");
        if (quickStart)
        {
            startInfo.ArgumentList.Add("-XX:+UseSerialGC");
            startInfo.ArgumentList.Add("-XX:TieredStopAtLevel=1");
        }
        startInfo.ArgumentList.Add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
        startInfo.ArgumentList.Add("-cp");
        startInfo.ArgumentList.Add(classPath);
        startInfo.ArgumentList.Add(mainClass);
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        return startInfo;
    }

    /// <summary>Start information for a Python peer script under <c>tests/peers/python</c> (unbuffered).</summary>
    /// <exception cref="PeerUnavailableException">No Python with kazoo was found.</exception>
    public static ProcessStartInfo CreatePythonStartInfo(string scriptName, params IEnumerable<string> arguments)
    {
        var startInfo = CreateStartInfo(PythonExecutable);
        startInfo.ArgumentList.Add("-u");
        startInfo.ArgumentList.Add(Path.Combine(PeersDirectory, "python", scriptName));
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        return startInfo;
    }

    internal static ProcessStartInfo CreateStartInfo(string fileName)
    {
        var utf8 = new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        return new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = utf8,
            StandardOutputEncoding = utf8,
            StandardErrorEncoding = utf8,
            WorkingDirectory = Path.GetTempPath(),
        };
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, SolutionFileName)))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException(
            $"No {SolutionFileName} found in {AppContext.BaseDirectory} or any parent folder; run the tests from a checkout of the repository.");
    }

    private static string FindJdkTool(string name)
    {
        var javaHome = Environment.GetEnvironmentVariable("JAVA_HOME");
        if (!string.IsNullOrEmpty(javaHome) && File.Exists(Path.Combine(javaHome, "bin", name)))
        {
            return Path.Combine(javaHome, "bin", name);
        }
        return FindOnPath(name) ?? throw new PeerUnavailableException($"'{name}' (JAVA_HOME/bin or PATH)", "openjdk-17-jdk-headless");
    }

    private static IReadOnlyList<string> FindJavaLibraries()
    {
        var folder = Environment.GetEnvironmentVariable("ZKSYNC_JAVA_LIB") is { Length: > 0 } custom ? custom : "/usr/share/java";
        var jars = new List<string>();
        foreach (var (jar, package) in RequiredJars)
        {
            var path = Path.Combine(folder, jar);
            if (!File.Exists(path))
            {
                throw new PeerUnavailableException(path, package);
            }
            jars.Add(path);
        }
        if (File.Exists(Path.Combine(folder, LoggingJar)))
        {
            jars.Add(Path.Combine(folder, LoggingJar));
        }
        return jars;
    }

    private static string FindPythonWithKazoo()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("ZKSYNC_PYTHON") is { Length: > 0 } configured)
        {
            candidates.Add(configured);
        }
        if (File.Exists("/usr/bin/python3"))
        {
            candidates.Add("/usr/bin/python3");
        }
        if (FindOnPath("python3") is { } onPath)
        {
            candidates.Add(onPath);
        }
        foreach (var candidate in candidates.Distinct())
        {
            if (CanImportKazoo(candidate))
            {
                return candidate;
            }
        }
        throw new PeerUnavailableException(
            $"a Python 3 that can 'import kazoo' (tried: {(candidates.Count == 0 ? "none found" : string.Join(", ", candidates))})",
            "python3-kazoo");
    }

    private static bool CanImportKazoo(string python)
    {
        var startInfo = CreateStartInfo(python);
        startInfo.ArgumentList.Add("-c");
        startInfo.ArgumentList.Add("import kazoo.client");
        try
        {
            using var process = Process.Start(startInfo)!;
            process.StandardInput.Close();
            // Drain both pipes so the child can never block on a full one.
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(20)))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                return false;
            }
            Task.WaitAll(output, error);
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    private static async Task<string> CompileJavaAsync()
    {
        var sources = Directory.GetFiles(Path.Combine(PeersDirectory, "java"), "*.java");
        Array.Sort(sources, StringComparer.Ordinal);
        var output = Path.Combine(Path.GetTempPath(), $"zksync-peers-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(output);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(output, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        };

        var startInfo = CreateStartInfo(s_javacExecutable.Value);
        // -Xlint:-path: zookeeper.jar's manifest names jars Debian does not ship (jline.jar).
        foreach (var argument in (string[])["-encoding", "UTF-8", "-Xlint:-path", "-d", output, "-cp", string.Join(Path.PathSeparator, JavaLibraries)])
        {
            startInfo.ArgumentList.Add(argument);
        }
        foreach (var source in sources)
        {
            startInfo.ArgumentList.Add(source);
        }

        using var process = Process.Start(startInfo)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException("javac did not finish within 3 minutes.");
        }
        var messages = (await stdout.ConfigureAwait(false)) + (await stderr.ConfigureAwait(false));
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"javac failed (exit code {process.ExitCode}) compiling {string.Join(", ", sources)}:{Environment.NewLine}{messages}");
        }
        return output;
    }

    private static string? FindOnPath(string name)
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }
}
