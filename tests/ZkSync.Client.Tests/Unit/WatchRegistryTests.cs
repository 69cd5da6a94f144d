using ZkSync.Client;
using ZkSync.Client.Internal;

namespace ZkSync.Client.Tests.Unit;

public sealed class WatchRegistryTests
{
    [Fact]
    public void Materialize_FollowsZooKeeperRules()
    {
        var registry = new WatchRegistry();
        Action<ZooKeeperWatchEvent> data = _ => { }, exist = _ => { }, child = _ => { }, recursive = _ => { };
        registry.Add(WatchKind.Data, "/a", data);
        registry.Add(WatchKind.Exist, "/b", exist);
        registry.Add(WatchKind.Child, "/a", child);
        registry.Add(WatchKind.PersistentRecursive, "/", recursive);

        Assert.Equal([child], registry.Materialize(ZooKeeperEventType.NodeChildrenChanged, "/a"));
        Assert.Equal([exist, recursive], registry.Materialize(ZooKeeperEventType.NodeCreated, "/b"));
        Assert.Equal([data, recursive], registry.Materialize(ZooKeeperEventType.NodeDeleted, "/a"));
        Assert.Equal([recursive], registry.Materialize(ZooKeeperEventType.NodeDataChanged, "/a"));
        Assert.Equal(1, registry.Count);
    }

    [Fact]
    public void Materialize_SameWatcherInTwoTables_IsCalledOnce()
    {
        var registry = new WatchRegistry();
        Action<ZooKeeperWatchEvent> watcher = _ => { };
        registry.Add(WatchKind.Data, "/a", watcher);
        registry.Add(WatchKind.Child, "/a", watcher);

        Assert.Single(registry.Materialize(ZooKeeperEventType.NodeDeleted, "/a"));
    }
}
