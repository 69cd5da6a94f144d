using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ZkSync.AspNetCore.Tests.Unit;

/// <summary>
/// The configuration is checked, not only the bound options: unknown keys under ZkSync, TimeSpans written as bare
/// numbers, and the connection string from ConnectionStrings (Aspire style).
/// </summary>
public sealed class StrictConfigurationTests
{
    private const string Valid = "127.0.0.1:2181";

    [Theory]
    [InlineData("ZkSync:SesionTimeout", "00:00:10", "ZkSync:SesionTimeout is not a ZkSync setting", "Did you mean ZkSync:SessionTimeout?")]
    [InlineData("ZkSync:Locks:RetryAftr", "00:00:02", "ZkSync:Locks:RetryAftr is not a ZkSync setting", "Did you mean ZkSync:Locks:RetryAfter?")]
    [InlineData("ZkSync:healthchecks:MaxListedLock", "3", "ZkSync:healthchecks:MaxListedLock is not a ZkSync setting", "Did you mean ZkSync:healthchecks:MaxListedLocks?")]
    [InlineData("ZkSync:SessionTimeout:Seconds", "10", "ZkSync:SessionTimeout:Seconds is not a setting", "takes a single value")]
    public void MisspelledKey_FailsNamingTheKeyAndTheClosestKnownOne(string key, string value, string expected, string suggestion)
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Resolve(new() { ["ZkSync:ConnectionString"] = Valid, [key] = value }));

        var failure = Assert.Single(ex.Failures);
        Assert.Contains(expected, failure, StringComparison.Ordinal);
        Assert.Contains(suggestion, failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ZkSync:Locks:Acl:0:Permission", "ZkSync:Locks:Acl:0:Permission is not a ZkSync setting", "Did you mean ZkSync:Locks:Acl:0:Permissions?")]
    [InlineData("ZkSync:Locks:Acl:first", "ZkSync:Locks:Acl:first is not valid", "its entries are numbered")]
    public void AclEntry_UnknownKey_FailsNamingIt(string key, string expected, string suggestion)
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Resolve(new()
        {
            ["ZkSync:ConnectionString"] = Valid,
            ["ZkSync:Locks:Acl:0:Scheme"] = "world",
            ["ZkSync:Locks:Acl:0:Id"] = "anyone",
            ["ZkSync:Locks:Acl:0:Permissions"] = "All",
            [key] = "Read",
        }));

        var failure = Assert.Single(ex.Failures);
        Assert.Contains(expected, failure, StringComparison.Ordinal);
        Assert.Contains(suggestion, failure, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownKey_WithNothingClose_ListsTheKnownSettings()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Resolve(new() { ["ZkSync:ConnectionString"] = Valid, ["ZkSync:Servers"] = "zk1" }));

        var failure = Assert.Single(ex.Failures);
        Assert.DoesNotContain("Did you mean", failure, StringComparison.Ordinal);
        Assert.Contains("The settings of ZkSync are: ConnectionString, SessionTimeout, ConnectTimeout, RequestTimeout, MaxRequestSize, Auth, Locks, HealthChecks, Leaders", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void KnownKeys_InAnyCase_AndAclEntries_AreAccepted()
    {
        var options = Resolve(new()
        {
            ["zksync:connectionstring"] = Valid,
            ["ZKSYNC:SESSIONTIMEOUT"] = "00:00:12",
            ["ZkSync:Locks:Acl:0:Scheme"] = "world",
            ["ZkSync:Locks:Acl:0:Id"] = "anyone",
            ["ZkSync:Locks:Acl:0:Permissions"] = "All",
            ["ZkSync:Locks:RetryAfter"] = "0",
            ["Logging:LogLevel:Default"] = "Information",
        });

        Assert.Equal(TimeSpan.FromSeconds(12), options.SessionTimeout);
        Assert.Equal(TimeSpan.Zero, options.Locks.RetryAfter);
    }

    [Theory]
    [InlineData("ZkSync:SessionTimeout", "30", "ZkSync:SessionTimeout '30' is ambiguous: TimeSpan reads it as 30.00:00:00 (30 days)", "'00:00:30' for 30 seconds")]
    [InlineData("ZkSync:Locks:RetryAfter", "1", "ZkSync:Locks:RetryAfter '1' is ambiguous: TimeSpan reads it as 1.00:00:00 (one day)", "'00:00:01' for 1 seconds")]
    [InlineData("ZkSync:Leaders:RestartDelay", "90", "ZkSync:Leaders:RestartDelay '90' is ambiguous", "'00:01:30' for 90 seconds")]
    [InlineData("ZkSync:ConnectTimeout", "5", "ZkSync:ConnectTimeout '5' is ambiguous: TimeSpan reads it as 5.00:00:00 (5 days)", "'00:00:05' for 5 seconds")]
    public void TimeSpanAsBareNumber_FailsExplainingHowItWasRead(string key, string value, string expected, string hint)
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Resolve(new() { ["ZkSync:ConnectionString"] = Valid, [key] = value }));

        var failure = Assert.Single(ex.Failures, f => f.StartsWith(key + " '", StringComparison.Ordinal));
        Assert.Contains(expected, failure, StringComparison.Ordinal);
        Assert.Contains(hint, failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostStart_MisspelledKey_FailsStartup()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ZkSync:ConnectionString"] = Valid,
            ["ZkSync:SesionTimeout"] = "00:00:10",
        });
        builder.Services.AddZkSync(builder.Configuration);
        using var host = builder.Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("ZkSync:SesionTimeout is not a ZkSync setting, so it would be ignored. Did you mean ZkSync:SessionTimeout?", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ConnectionStringsZooKeeper_IsTheConnectionString_WhenTheSectionHasNone()
    {
        var options = Resolve(new() { ["ConnectionStrings:ZooKeeper"] = "zk1:2181,zk2:2181" });

        Assert.Equal("zk1:2181,zk2:2181", options.ConnectionString);
    }

    [Fact]
    public void ConnectionStringsZooKeeper_TakesPrecedenceOverTheSection()
    {
        var options = Resolve(new() { ["ZkSync:ConnectionString"] = "localhost:2181", ["ConnectionStrings:ZooKeeper"] = "zk1:2181" });

        Assert.Equal("zk1:2181", options.ConnectionString);
    }

    [Fact]
    public void ConnectionName_ReadsThatConnectionString()
    {
        var configuration = Configuration(new() { ["ConnectionStrings:coordination"] = "zk9:2181", ["ConnectionStrings:ZooKeeper"] = "zk1:2181" });
        var services = new ServiceCollection();
        services.AddZkSync(configuration, "coordination");
        using var provider = services.BuildServiceProvider();

        Assert.Equal("zk9:2181", provider.GetRequiredService<IOptions<ZkSyncOptions>>().Value.ConnectionString);
    }

    [Fact]
    public void InvalidConnectionStringsValue_NamesThatKey()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Resolve(new() { ["ConnectionStrings:ZooKeeper"] = "zk1:99999" }));

        Assert.StartsWith("ConnectionStrings:ZooKeeper is invalid: ", Assert.Single(ex.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public void MissingConnectionString_NamesBothKeys()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Resolve(new() { ["ConnectionStrings:ZooKeeper"] = "  " }));

        Assert.StartsWith("ZkSync:ConnectionString is required (or ConnectionStrings:ZooKeeper): ", Assert.Single(ex.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public void BlankConnectionName_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddZkSync(Configuration([]), " "));

        Assert.Equal("connectionName", ex.ParamName);
    }

    private static IConfigurationRoot Configuration(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build();

    private static ZkSyncOptions Resolve(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddZkSync(Configuration(settings));
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<ZkSyncOptions>>().Value;
    }
}
