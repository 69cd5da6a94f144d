namespace ZkSync.AspNetCore.Internal;

/// <summary>Registered by <c>AddZkSync</c>; records whether <c>UseZkSync()</c> added the middleware.</summary>
internal sealed class ZkSyncMarkerService
{
    public bool MiddlewareRegistered { get; set; }
}
