using Microsoft.Extensions.DependencyInjection;

namespace ZkSync.AspNetCore.Internal;

internal sealed class ZkSyncBuilder(IServiceCollection services) : IZkSyncBuilder
{
    public IServiceCollection Services { get; } = services;
}
