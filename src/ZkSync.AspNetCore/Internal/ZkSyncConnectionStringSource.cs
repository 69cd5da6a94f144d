using Microsoft.Extensions.Configuration;

namespace ZkSync.AspNetCore.Internal;

/// <summary>
/// Where <c>AddZkSync(IConfiguration)</c> may find the connection string besides <c>ZkSync:ConnectionString</c>:
/// <c>ConnectionStrings:&lt;name&gt;</c> (default <c>ZooKeeper</c>), which wins when set, as in Aspire integrations.
/// </summary>
internal sealed class ZkSyncConnectionStringSource(IConfiguration configuration, string name)
{
    /// <summary>The configuration key, e.g. <c>ConnectionStrings:ZooKeeper</c>.</summary>
    public string Key { get; } = "ConnectionStrings:" + name;

    /// <summary>The connection string under <see cref="Key"/>, or null when it is not set or blank.</summary>
    public string? GetConnectionString() =>
        configuration.GetConnectionString(name) is { } value && !string.IsNullOrWhiteSpace(value) ? value : null;
}
