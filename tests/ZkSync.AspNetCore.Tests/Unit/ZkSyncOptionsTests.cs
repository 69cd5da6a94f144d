using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ZkSync.AspNetCore.Internal;
using ZkSync.Client;
using ZkSync.Locks;

namespace ZkSync.AspNetCore.Tests.Unit;

public sealed class ZkSyncOptionsTests
{
    [Fact]
    public void AddZkSync_Configuration_BindsTheZkSyncSection()
    {
        var options = Resolve(new Dictionary<string, string?>
        {
            ["ZkSync:ConnectionString"] = "zk1:2181,zk2:2181/apps",
            ["ZkSync:SessionTimeout"] = "00:00:12",
            ["ZkSync:ConnectTimeout"] = "00:00:03",
            ["ZkSync:RequestTimeout"] = "00:01:00",
            ["ZkSync:MaxRequestSize"] = "4194304",
            ["ZkSync:Auth:User"] = "orders",
            ["ZkSync:Auth:Password"] = "secret",
            ["ZkSync:Locks:RootPath"] = "/apps/locks",
            ["ZkSync:Locks:DefaultTimeout"] = "00:00:02",
            ["ZkSync:Locks:RejectionStatusCode"] = "423",
            ["ZkSync:Locks:UnavailableStatusCode"] = "500",
            ["ZkSync:Locks:RetryAfter"] = "00:00:05",
            ["ZkSync:Locks:FencingTokenHeader"] = "X-Lock-Token",
            ["ZkSync:Locks:Reentrancy"] = "Error",
            ["ZkSync:Locks:ExclusiveNodeFormat"] = "WriteLock",
            ["ZkSync:Locks:Acl:0:Scheme"] = "auth",
            ["ZkSync:Locks:Acl:0:Id"] = "",
            ["ZkSync:Locks:Acl:0:Permissions"] = "All",
            ["ZkSync:Locks:Acl:1:Scheme"] = "digest",
            ["ZkSync:Locks:Acl:1:Id"] = "ops:x",
            ["ZkSync:Locks:Acl:1:Permissions"] = "Read, Delete",
            ["ZkSync:HealthChecks:Enabled"] = "false",
            ["ZkSync:HealthChecks:MaxListedLocks"] = "3",
        });

        Assert.Equal("zk1:2181,zk2:2181/apps", options.ConnectionString);
        Assert.Equal(TimeSpan.FromSeconds(12), options.SessionTimeout);
        Assert.Equal(TimeSpan.FromSeconds(3), options.ConnectTimeout);
        Assert.Equal(TimeSpan.FromMinutes(1), options.RequestTimeout);
        Assert.Equal(4 * 1024 * 1024, options.MaxRequestSize);
        Assert.Equal(("digest", "orders", "secret"), (options.Auth.Scheme, options.Auth.User, options.Auth.Password));
        Assert.Equal("/apps/locks", options.Locks.RootPath);
        Assert.Equal(TimeSpan.FromSeconds(2), options.Locks.DefaultTimeout);
        Assert.Equal(423, options.Locks.RejectionStatusCode);
        Assert.Equal(500, options.Locks.UnavailableStatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Locks.RetryAfter);
        Assert.Equal("X-Lock-Token", options.Locks.FencingTokenHeader);
        Assert.Equal(LockReentrancy.Error, options.Locks.Reentrancy);
        Assert.Equal(ExclusiveLockNodeFormat.WriteLock, options.Locks.ExclusiveNodeFormat);
        Assert.Equal([new(ZooKeeperPermissions.All, "auth", ""), new ZooKeeperAcl(ZooKeeperPermissions.Read | ZooKeeperPermissions.Delete, "digest", "ops:x")], options.Locks.Acl);
        Assert.False(options.HealthChecks.Enabled);
        Assert.Equal(3, options.HealthChecks.MaxListedLocks);
    }

    [Fact]
    public void Defaults_AreDocumentedValues()
    {
        var options = new ZkSyncOptions();

        Assert.Equal(TimeSpan.FromSeconds(20), options.SessionTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), options.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), options.RequestTimeout);
        Assert.Equal(1024 * 1024 - 1024, options.MaxRequestSize);
        Assert.Equal("/zksync/locks", options.Locks.RootPath);
        Assert.Equal(TimeSpan.Zero, options.Locks.DefaultTimeout);
        Assert.Equal(409, options.Locks.RejectionStatusCode);
        Assert.Equal(503, options.Locks.UnavailableStatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), options.Locks.RetryAfter);
        Assert.Equal("X-Fencing-Token", options.Locks.FencingTokenHeader);
        Assert.True(options.HealthChecks.Enabled);
    }

    [Theory]
    [InlineData(null, "ZkSync:ConnectionString is required")]
    [InlineData("", "ZkSync:ConnectionString is required")]
    [InlineData("   ", "ZkSync:ConnectionString is required")]
    [InlineData("zk1:99999", "ZkSync:ConnectionString is invalid")]
    [InlineData("zk1:2181,,zk2:2181", "ZkSync:ConnectionString is invalid")]
    [InlineData("zk1:2181/bad//chroot", "ZkSync:ConnectionString is invalid")]
    [InlineData("zk1:abc", "ZkSync:ConnectionString is invalid")]
    public void Validate_MissingOrMalformedConnectionString_NamesTheKey(string? connectionString, string expected)
    {
        var settings = new Dictionary<string, string?> { ["ZkSync:ConnectionString"] = connectionString };

        var ex = Assert.Throws<OptionsValidationException>(() => Resolve(settings));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ZkSync:SessionTimeout", "00:00:00.500", "ZkSync:SessionTimeout is invalid")]
    [InlineData("ZkSync:ConnectTimeout", "00:00:00", "ZkSync:ConnectTimeout is invalid")]
    [InlineData("ZkSync:RequestTimeout", "-00:00:02", "ZkSync:RequestTimeout is invalid")]
    [InlineData("ZkSync:MaxRequestSize", "100", "ZkSync:MaxRequestSize is invalid: MaxRequestSize must be at least 1024 bytes")]
    [InlineData("ZkSync:Auth:User", "a:b", "ZkSync:Auth:User must not contain ':'")]
    [InlineData("ZkSync:Auth:Password", "secret", "ZkSync:Auth:User is required")]
    [InlineData("ZkSync:Locks:RootPath", "locks", "ZkSync:Locks:RootPath 'locks' is not a valid ZooKeeper path")]
    [InlineData("ZkSync:Locks:RootPath", "/zookeeper/locks", "ZkSync:Locks:RootPath '/zookeeper/locks' is inside /zookeeper")]
    [InlineData("ZkSync:Locks:DefaultTimeout", "-00:00:01", "ZkSync:Locks:DefaultTimeout must be zero or positive")]
    [InlineData("ZkSync:Locks:RejectionStatusCode", "200", "ZkSync:Locks:RejectionStatusCode must be an HTTP error status code")]
    [InlineData("ZkSync:Locks:UnavailableStatusCode", "600", "ZkSync:Locks:UnavailableStatusCode must be an HTTP error status code")]
    [InlineData("ZkSync:Locks:RetryAfter", "-00:00:01", "ZkSync:Locks:RetryAfter must be zero")]
    [InlineData("ZkSync:Locks:FencingTokenHeader", "X Token", "ZkSync:Locks:FencingTokenHeader 'X Token' is not a valid HTTP header name")]
    [InlineData("ZkSync:HealthChecks:MaxListedLocks", "-1", "ZkSync:HealthChecks:MaxListedLocks must be zero or positive")]
    [InlineData("ZkSync:Leaders:RootPath", "leaders", "ZkSync:Leaders:RootPath 'leaders' is not a valid ZooKeeper path")]
    [InlineData("ZkSync:Leaders:RestartDelay", "-00:00:01", "ZkSync:Leaders:RestartDelay must be zero or positive")]
    public void Validate_BadSetting_NamesTheKey(string key, string value, string expected)
    {
        var settings = new Dictionary<string, string?> { ["ZkSync:ConnectionString"] = "127.0.0.1:2181", [key] = value };

        var ex = Assert.Throws<OptionsValidationException>(() => Resolve(settings));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_AclEntryWithoutPermissions_NamesTheKey()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Resolve(new Dictionary<string, string?>
        {
            ["ZkSync:ConnectionString"] = "127.0.0.1:2181",
            ["ZkSync:Locks:Acl:0:Scheme"] = "world",
            ["ZkSync:Locks:Acl:0:Id"] = "anyone",
            ["ZkSync:Locks:Acl:0:Permissions"] = "None",
        }));

        Assert.Contains("ZkSync:Locks:Acl[0] is invalid", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Permissions from Read, Write", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_UnsupportedAuthScheme_NamesTheKey()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Resolve(new Dictionary<string, string?>
        {
            ["ZkSync:ConnectionString"] = "127.0.0.1:2181",
            ["ZkSync:Auth:Scheme"] = "sasl",
            ["ZkSync:Auth:User"] = "u",
            ["ZkSync:Auth:Password"] = "p",
        }));

        Assert.Contains("ZkSync:Auth:Scheme 'sasl' is not supported", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_SeveralProblems_ReportsEach()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Resolve(new Dictionary<string, string?>
        {
            ["ZkSync:SessionTimeout"] = "00:00:00.100",
            ["ZkSync:Locks:RejectionStatusCode"] = "0",
        }));

        Assert.Equal(3, ex.Failures.Count());
        Assert.Contains(ex.Failures, f => f.StartsWith("ZkSync:ConnectionString", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.StartsWith("ZkSync:SessionTimeout", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.StartsWith("ZkSync:Locks:RejectionStatusCode", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_Password_NeverInTheMessage()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Resolve(new Dictionary<string, string?>
        {
            ["ZkSync:Auth:User"] = "bad:user",
            ["ZkSync:Auth:Password"] = "hunter2",
        }));

        Assert.DoesNotContain("hunter2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostStart_MissingConnectionString_FailsStartupNamingTheKey()
    {
        // No defaults: no appsettings.json (the sample's is copied next to the tests) and no environment.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddZkSync(builder.Configuration);
        using var host = builder.Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("ZkSync:ConnectionString is required", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddZkSync_Action_ConfiguresOptions()
    {
        var services = new ServiceCollection();
        services.AddZkSync(o =>
        {
            o.ConnectionString = "127.0.0.1:2181";
            o.Locks.RootPath = "/x";
        });

        using var provider = services.BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<ZkSyncOptions>>().Value;

        Assert.Equal("/x", options.Locks.RootPath);
    }

    [Fact]
    public void AddZkSync_CalledTwice_RegistersOnce()
    {
        var services = new ServiceCollection();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ZkSync:ConnectionString"] = "127.0.0.1:2181" }).Build();

        services.AddZkSync(configuration).AddLockPolicy("a", _ => { });
        services.AddZkSync(configuration).AddLockPolicy("b", _ => { });

        Assert.Single(services, d => d.ServiceType == typeof(ZooKeeperClient));
        Assert.Single(services, d => d.ServiceType == typeof(ZooKeeperLockProvider));
        Assert.Single(services, d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(ZkSyncClientService));
        Assert.Single(services, d => d.ServiceType == typeof(IStartupFilter) && d.ImplementationType == typeof(DistributedLockStartupFilter));
        Assert.Single(services, d => d.ServiceType == typeof(IFilterProvider) && d.ImplementationType == typeof(DistributedLockGuardFilterProvider));
        Assert.Single(services, d => d.ServiceType == typeof(IValidateOptions<ZkSyncOptions>) && d.ImplementationType == typeof(ZkSyncOptionsValidator));
        Assert.Single(services, d => d.ServiceType == typeof(IValidateOptions<ZkSyncOptions>) && d.ImplementationInstance is ZkSyncConfigurationValidator);
        Assert.Equal(2, services.Count(d => d.ServiceType == typeof(IValidateOptions<ZkSyncOptions>)));
        using var provider = services.BuildServiceProvider();
        var healthChecks = provider.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations;
        var check = Assert.Single(healthChecks);
        Assert.Equal("zookeeper", check.Name);
        Assert.Equal(["ready"], check.Tags);
        var registry = provider.GetRequiredService<DistributedLockPolicyRegistry>();
        Assert.Equal(["a", "b"], registry.Names.Order());
    }

    [Fact]
    public void AddZkSync_UserRegisteredClient_IsKept()
    {
        var services = new ServiceCollection();
        var mine = new ZooKeeperClientOptions { ConnectionString = "127.0.0.1:1" };
        services.AddSingleton(_ => new ZooKeeperClient(mine));

        services.AddZkSync(o => o.ConnectionString = "127.0.0.1:2181");

        Assert.Single(services, d => d.ServiceType == typeof(ZooKeeperClient));
    }

    [Fact]
    public void HealthChecksDisabled_RegistersNoCheck_AndAddZooKeeperRegistersACustomOne()
    {
        var services = new ServiceCollection();
        services.AddZkSync(o =>
        {
            o.ConnectionString = "127.0.0.1:2181";
            o.HealthChecks.Enabled = false;
        });
        services.AddHealthChecks().AddZooKeeper("zk", HealthStatus.Degraded, ["coordination"]);

        using var provider = services.BuildServiceProvider();
        var check = Assert.Single(provider.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations);

        Assert.Equal("zk", check.Name);
        Assert.Equal(HealthStatus.Degraded, check.FailureStatus);
        Assert.Equal(["coordination"], check.Tags);
    }

    [Fact]
    public void AddLockPolicy_DuplicateName_Throws()
    {
        var builder = new ServiceCollection().AddZkSync(o => o.ConnectionString = "127.0.0.1:2181").AddLockPolicy("orders", _ => { });

        var ex = Assert.Throws<ArgumentException>(() => builder.AddLockPolicy("orders", _ => { }));

        Assert.Contains("'orders' is already registered", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Policy_InvalidValues_Throw()
    {
        var policy = new DistributedLockPolicy();

        Assert.Throws<ArgumentOutOfRangeException>(() => policy.WaitTimeout = TimeSpan.FromSeconds(-2));
        Assert.Throws<ArgumentOutOfRangeException>(() => policy.Ttl = TimeSpan.Zero);
        policy.WaitTimeout = Timeout.InfiniteTimeSpan;
        Assert.Equal(Timeout.InfiniteTimeSpan, policy.WaitTimeout);
    }

    private static ZkSyncOptions Resolve(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddZkSync(configuration);
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<ZkSyncOptions>>().Value;
    }
}
