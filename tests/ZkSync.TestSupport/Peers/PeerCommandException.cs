namespace ZkSync.TestSupport.Peers;

/// <summary>A peer answered a command with <c>error &lt;message&gt;</c>.</summary>
public sealed class PeerCommandException : Exception
{
    public PeerCommandException(string peerName, string command, string peerMessage)
        : base($"{peerName} failed '{command}': {peerMessage}")
    {
        Command = command;
        PeerMessage = peerMessage;
    }

    /// <summary>The command line that failed.</summary>
    public string Command { get; }

    /// <summary>The text after <c>error </c> in the peer's reply (usually <c>ExceptionType: message</c>).</summary>
    public string PeerMessage { get; }
}
