using System.Reflection;
using Microsoft.Extensions.DependencyInjection;

namespace ZkSync.AspNetCore.Tests.Unit;

/// <summary>The public surface follows the project's conventions (STYLE.md).</summary>
public sealed class ApiConventionTests
{
    private static readonly Type[] PublicTypes = typeof(ZkSyncOptions).Assembly.GetExportedTypes();

    [Fact]
    public void PublicClasses_AreSealedOrStatic()
    {
        var open = PublicTypes.Where(t => t.IsClass && !t.IsSealed && !t.IsAbstract).Select(t => t.FullName).ToList();

        Assert.Empty(open);
    }

    [Fact]
    public void PublicTypes_LiveInTheFeatureOrFrameworkNamespaces()
    {
        string[] allowed = ["ZkSync.AspNetCore", "Microsoft.Extensions.DependencyInjection", "Microsoft.AspNetCore.Builder"];

        Assert.All(PublicTypes, t => Assert.Contains(t.Namespace, allowed));
        Assert.All(PublicTypes.Where(t => t.Name.EndsWith("Extensions", StringComparison.Ordinal)), t => Assert.NotEqual("ZkSync.AspNetCore", t.Namespace));
        Assert.Equal("Microsoft.Extensions.DependencyInjection", typeof(IZkSyncBuilder).Namespace);
    }

    [Fact]
    public void Attributes_DeclareTheirUsage()
    {
        foreach (var attribute in PublicTypes.Where(t => typeof(Attribute).IsAssignableFrom(t)))
        {
            var usage = attribute.GetCustomAttribute<AttributeUsageAttribute>();
            Assert.NotNull(usage);
            Assert.Equal(AttributeTargets.Class | AttributeTargets.Method, usage.ValidOn);
            Assert.False(usage.AllowMultiple);
        }
    }
}
