using System.Globalization;
using ZkSync.Internal.Recipes;
using ZkSync.TestSupport;

namespace ZkSync.Recipes.Tests.Locks;

/// <summary>
/// What the names-over-time benchmark relies on, at small scale (issue #20): the per-name hints stay bounded, and
/// names taken and released leave no node and no watch behind once the container reaper has run.
/// </summary>
public sealed class LockScaleTests
{
    [Fact]
    public void PathHints_MorePathsThanCapacity_StaysWithinCapacityAndKeepsTheLatest()
    {
        var hints = new PathHints(capacity: 8);

        for (var i = 0; i < 100; i++)
        {
            hints.Add("/locks/name-" + i.ToString(CultureInfo.InvariantCulture));
            Assert.InRange(hints.Count, 1, 8);
        }

        Assert.True(hints.Contains("/locks/name-99"));
    }

    [Fact]
    public async Task AcquireAsync_ManyDistinctNamesTakenAndReleased_LeaveNoNodeAndNoWatch()
    {
        const int names = 300;
        await using var env = await LockTestEnvironment.CreateAsync();
        var (client, provider) = await env.NewContenderAsync();
        var baseline = client.WatchCount;

        await Parallel.ForAsync(0, names, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            await using var handle = await provider.AcquireAsync("names/" + i.ToString(CultureInfo.InvariantCulture), TimeSpan.FromSeconds(20), ct);
        });

        // Every parent is a container: the reaper (znode.container.checkIntervalMs) removes them bottom-up, the root last.
        await env.WaitForDeletionAsync(env.Root, TimeSpan.FromSeconds(60));
        await WaitHelper.WaitUntilAsync(() => client.WatchCount <= baseline, TimeSpan.FromSeconds(20));
    }
}
