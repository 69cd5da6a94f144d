using System.Reflection;
using ZkSync.Client;

namespace ZkSync.Client.Tests.Unit;

/// <summary>Checks the public-surface conventions of ZkSync.Core by reflection.</summary>
public sealed class ApiConventionTests
{
    private static readonly Type[] PublicTypes = typeof(ZooKeeperClient).Assembly.GetExportedTypes();

    [Fact]
    public void PublicClasses_AreSealedOrStatic()
    {
        var unsealed = PublicTypes
            .Where(t => t.IsClass && !t.IsSealed && !(t.IsAbstract && t.IsSealed))
            // ZooKeeperOp is abstract with a private protected constructor: closed to other assemblies.
            .Where(t => t != typeof(ZooKeeperOp))
            .Select(t => t.FullName)
            .ToList();

        Assert.Empty(unsealed);
    }

    [Fact]
    public void AsyncMethods_TakeCancellationTokenLast()
    {
        var offenders = PublicTypes
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(m => typeof(Task).IsAssignableFrom(m.ReturnType) || m.ReturnType.Name.StartsWith("ValueTask", StringComparison.Ordinal))
            .Where(m => m.Name != nameof(IAsyncDisposable.DisposeAsync))
            .Where(m =>
            {
                var parameters = m.GetParameters();
                return parameters.Length == 0 || parameters[^1].ParameterType != typeof(CancellationToken);
            })
            .Select(m => m.DeclaringType!.Name + "." + m.Name)
            .ToList();

        Assert.Empty(offenders);
    }

    [Fact]
    public void PublicTypes_LiveInZkSyncNamespaces()
    {
        Assert.All(PublicTypes, t => Assert.StartsWith("ZkSync", t.Namespace, StringComparison.Ordinal));
    }
}
