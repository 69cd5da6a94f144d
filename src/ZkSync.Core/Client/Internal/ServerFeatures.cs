namespace ZkSync.Client.Internal;

/// <summary>
/// Requests that older servers do not know, and what the client learnt about its ensemble. A server that does not know
/// an opcode (3.5 and 3.6: <c>UnimplementedRequestProcessor</c>) answers it with Unimplemented and then closes the
/// connection; so once a request of such a kind was refused, the client never sends that kind again and fails it at once.
/// </summary>
internal sealed class ServerFeatures
{
    private int _refused;

    /// <summary>The first ZooKeeper release that knows <paramref name="opCode"/>, for the opcodes newer than 3.5; else null.</summary>
    public static string? RequiredVersion(OpCode opCode) => opCode switch
    {
        OpCode.GetEphemerals or OpCode.GetAllChildrenNumber or OpCode.AddWatch or OpCode.SetWatches2 => "3.6",
        OpCode.WhoAmI => "3.7",
        _ => null,
    };

    /// <summary>The error of a request of a kind the server does not know, naming the release it needs.</summary>
    public static ZooKeeperException Unsupported(OpCode opCode, string? path)
    {
        var what = opCode == OpCode.AddWatch ? "addWatch (persistent watches)" : ZooKeeperClient.OpName(opCode);
        return new ZooKeeperException(ZooKeeperErrorCode.Unimplemented, path,
            $"{what} needs ZooKeeper {RequiredVersion(opCode)} or later; the server answered Unimplemented (a server before " +
            $"{RequiredVersion(opCode)} also closes the connection for it, so this client no longer sends it).");
    }

    /// <summary>True once a server refused requests of this kind.</summary>
    public bool IsRefused(OpCode opCode) => RequiredVersion(opCode) is not null && (Volatile.Read(ref _refused) & Bit(opCode)) != 0;

    /// <summary>Remembers that the server refused this kind of request (Unimplemented).</summary>
    public void Refused(OpCode opCode)
    {
        if (RequiredVersion(opCode) is not null)
        {
            Interlocked.Or(ref _refused, Bit(opCode));
        }
    }

    private static int Bit(OpCode opCode) => 1 << ((int)opCode - (int)OpCode.GetEphemerals);
}
