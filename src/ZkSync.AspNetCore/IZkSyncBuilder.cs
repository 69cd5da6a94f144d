namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Returned by <c>AddZkSync</c> to add ZkSync features with extension methods (lock policies, leader-only services,
/// startup barriers).
/// </summary>
public interface IZkSyncBuilder
{
    /// <summary>The application's services.</summary>
    IServiceCollection Services { get; }
}
