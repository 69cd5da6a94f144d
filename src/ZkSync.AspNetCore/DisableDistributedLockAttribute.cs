namespace ZkSync.AspNetCore;

/// <summary>
/// Endpoint metadata: requests to this endpoint take no distributed lock, whatever <see cref="DistributedLockAttribute"/>
/// its controller or route group carries. <c>DisableDistributedLock()</c> adds it to minimal endpoints and groups.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false, Inherited = true)]
public sealed class DisableDistributedLockAttribute : Attribute
{
    internal static DisableDistributedLockAttribute Instance { get; } = new();
}
