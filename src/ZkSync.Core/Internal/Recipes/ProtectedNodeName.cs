namespace ZkSync.Internal.Recipes;

/// <summary>
/// Curator's "protected" node names: <c>_c_&lt;uuid&gt;-&lt;token&gt;</c>, to which ZooKeeper appends the 10-digit
/// sequence, e.g. <c>_c_53345f98-9423-4e0c-a7b5-9f819e3ec2e1-lock-0000000007</c>.
/// </summary>
/// <remarks>
/// The GUID lets a client find its own node after the reply to its create was lost with the connection: it lists the
/// parent and looks for children starting with <c>_c_&lt;uuid&gt;-</c> (Curator <c>ProtectedUtils</c>,
/// <c>CreateBuilderImpl.findProtectedNodeInForeground</c>; ZooKeeper recipes.md). The UUID is the 36-character
/// lowercase form with dashes (Java <c>UUID.toString()</c>, .NET format "D"), so names are byte-identical to Curator's.
/// </remarks>
internal static class ProtectedNodeName
{
    /// <summary>The prefix of every protected name.</summary>
    public const string Prefix = "_c_";

    /// <summary>Length of <c>_c_&lt;uuid&gt;-</c>.</summary>
    public const int ProtectionLength = 3 + 36 + 1;

    /// <summary>The name to create (the server appends the sequence): <c>_c_&lt;uuid&gt;-&lt;token&gt;</c>.</summary>
    public static string Create(Guid protectionId, string token) => GetProtection(protectionId) + token;

    /// <summary>The part of the name that identifies our create: <c>_c_&lt;uuid&gt;-</c>.</summary>
    public static string GetProtection(Guid protectionId) => Prefix + protectionId.ToString("D") + "-";

    /// <summary>True when <paramref name="childName"/> was created with <paramref name="protection"/> (see <see cref="GetProtection"/>).</summary>
    public static bool Matches(string childName, string protection) => childName.StartsWith(protection, StringComparison.Ordinal);
}
