using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using ZkSync.Locks;

namespace ZkSync.AspNetCore.Tests.Support;

/// <summary>Builds the apps of a test: small WebApplications on a TestServer, or the sample through WebApplicationFactory.</summary>
internal static class TestApps
{
    /// <summary>An address where nothing listens: ZooKeeper "unreachable".</summary>
    public const string UnreachableZooKeeper = "127.0.0.1:46398";

    /// <summary>A WebApplication on a TestServer whose only configuration is <paramref name="settings"/> plus ZkSync's connection and root.</summary>
    public static WebApplicationBuilder CreateBuilder(string connectionString, string lockRoot = "/zksync-tests/aspnet-unit", IDictionary<string, string?>? settings = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = "Testing",
            ApplicationName = typeof(TestApps).Assembly.GetName().Name,
        });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();

        // Only what the test says: no appsettings.json (the sample's is copied next to the tests), no environment.
        builder.Configuration.Sources.Clear();
        var values = new Dictionary<string, string?>
        {
            ["ZkSync:ConnectionString"] = connectionString,
            ["ZkSync:SessionTimeout"] = "00:00:10",
            ["ZkSync:Locks:RootPath"] = lockRoot,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(values);
        return builder;
    }

    /// <summary>Adds the test controllers (and what they need) to a custom app.</summary>
    public static IZkSyncBuilder AddTestControllers(this WebApplicationBuilder builder, TestGates? gates = null, LockRecorder? recorder = null, string name = "app")
    {
        builder.Services.AddControllers().AddApplicationPart(typeof(TestOrdersController).Assembly);
        return builder.Services.AddTestServices(gates ?? new TestGates(), recorder ?? new LockRecorder(), name);
    }

    public static IZkSyncBuilder AddTestServices(this IServiceCollection services, TestGates gates, LockRecorder recorder, string name)
    {
        services.AddSingleton(gates);
        services.AddSingleton(recorder);
        services.AddSingleton(new TestAppIdentity(name));
        return services.AddZkSync(o => { }).AddLockPolicy("reads", p => p.Mode = ZooKeeperLockMode.Shared);
    }

    /// <summary>The sample app (samples/WebApp) with the test controllers, on this test's ZooKeeper root.</summary>
    public sealed class SampleApp(string name, string connectionString, string lockRoot, TestGates gates, LockRecorder recorder) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Testing");
            builder.ConfigureLogging(logging => logging.ClearProviders());
            builder.ConfigureAppConfiguration((_, config) => config.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ZkSync:ConnectionString"] = connectionString,
                ["ZkSync:SessionTimeout"] = "00:00:10",
                ["ZkSync:Locks:RootPath"] = lockRoot,
            }));
            builder.ConfigureServices(services =>
            {
                services.AddControllers().AddApplicationPart(typeof(TestOrdersController).Assembly);
                services.AddTestServices(gates, recorder, name);
            });
        }
    }
}
