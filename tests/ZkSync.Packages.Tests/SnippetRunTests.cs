using Microsoft.Extensions.DependencyInjection;
using ZkSync.Client;
using ZkSync.TestSupport;

namespace ZkSync.Packages.Tests;

/// <summary>The docs' snippets do what they say, against the test ensemble (the quick start runs in the packed-package test).</summary>
public sealed class SnippetRunTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WithoutAspNetCore_TakesALockLeadsAndLeases() =>
        await WithoutAspNetCore.RunAsync(ZooKeeperEnsemble.ConnectionString, Ct).WaitAsync(WaitHelper.DefaultTimeout, Ct);

    [Fact]
    public async Task DistributedLockSnippet_RunsUnchangedDistributedLockCode()
    {
        await using var app = DistributedLockSnippets.Build([$"--ZkSync:ConnectionString={ZooKeeperEnsemble.ConnectionString}"]);
        await app.Services.GetRequiredService<ZooKeeperClient>().WaitForConnectedAsync(Ct).WaitAsync(WaitHelper.DefaultTimeout, Ct);

        await app.Services.GetRequiredService<InvoiceRun>().RunAsync("2026-12", Ct).WaitAsync(WaitHelper.DefaultTimeout, Ct);
    }
}
