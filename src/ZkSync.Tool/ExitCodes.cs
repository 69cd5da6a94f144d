namespace ZkSync.Tool;

/// <summary>The tool's exit codes (documented in the README, "Operating ZkSync"). <c>lock run</c> and <c>barrier hold</c> pass the command's own code through.</summary>
internal static class ExitCodes
{
    /// <summary>Done.</summary>
    public const int Ok = 0;

    /// <summary>An unexpected failure (the message says what).</summary>
    public const int Failure = 1;

    /// <summary>Bad arguments or settings: an unknown option, a missing value, an invalid path or name.</summary>
    public const int Usage = 2;

    /// <summary>ZooKeeper could not be reached (no member answered within the connect timeout), or the connection was lost for good.</summary>
    public const int NotReached = 10;

    /// <summary>The server refused the credentials (AuthFailed), or the identity may not do this (NoAuth).</summary>
    public const int AuthFailed = 11;

    /// <summary>The wait ran out (<c>barrier wait --timeout</c>), or ZooKeeper did not answer a request in time.</summary>
    public const int Timeout = 12;

    /// <summary><c>lock run</c>: the lock stayed held by someone else for the whole <c>--wait</c>.</summary>
    public const int Held = 13;

    /// <summary><c>lock run</c>: the lock was lost while the command ran; the command was stopped (SIGTERM, then SIGKILL).</summary>
    public const int Lost = 14;

    /// <summary>The lock, election or participant named does not exist.</summary>
    public const int NotFound = 15;

    /// <summary><c>lock run</c>/<c>barrier hold</c>: the command could not be started (not found, not executable), as a shell's 127.</summary>
    public const int CommandNotFound = 127;
}

/// <summary>Ends a command with an exit code and one line for stderr.</summary>
internal sealed class ToolException(int exitCode, string message, Exception? inner = null) : Exception(message, inner)
{
    public int ExitCode { get; } = exitCode;
}
