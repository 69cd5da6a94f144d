namespace ZkSync.TestSupport.Peers;

/// <summary>
/// A peer program cannot run on this machine because a tool or library is missing; the message names the
/// Debian package and the command that installs it.
/// </summary>
public sealed class PeerUnavailableException : Exception
{
    /// <summary>The command that installs every peer prerequisite on Debian 12.</summary>
    public const string InstallCommand =
        "apt-get update && apt-get install -y openjdk-17-jdk-headless zookeeper libcurator-recipes-java python3-kazoo";

    public PeerUnavailableException(string missing, string debianPackage)
        : base($"{missing} is missing (Debian package '{debianPackage}'). Install the peer prerequisites with: {InstallCommand}")
    {
        Missing = missing;
        DebianPackage = debianPackage;
    }

    /// <summary>What was looked for: an executable, a jar path or a Python module.</summary>
    public string Missing { get; }

    /// <summary>The Debian package that provides it.</summary>
    public string DebianPackage { get; }
}
