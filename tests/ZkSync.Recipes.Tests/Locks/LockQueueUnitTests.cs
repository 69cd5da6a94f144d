using System.Text;
using System.Text.RegularExpressions;
using ZkSync.Internal.Recipes;

namespace ZkSync.Recipes.Tests.Locks;

/// <summary>Naming, sorting and decision rules of the lock queue, without a server.</summary>
public sealed partial class LockQueueUnitTests
{
    private const string Guid1 = "53345f98-9423-4e0c-a7b5-9f819e3ec2e1";

    [GeneratedRegex("^_c_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-lock-$")]
    private static partial Regex CuratorMutexPrefix();

    [Fact]
    public void ProtectedNodeName_Create_IsCuratorProtectedFormat()
    {
        var id = Guid.NewGuid();

        var name = ProtectedNodeName.Create(id, "lock-");

        Assert.Matches(CuratorMutexPrefix(), name);
        Assert.Equal("_c_" + id.ToString().ToLowerInvariant() + "-lock-", name);
        Assert.Equal(ProtectedNodeName.ProtectionLength, ProtectedNodeName.GetProtection(id).Length);
        Assert.True(ProtectedNodeName.Matches(name + "0000000001", ProtectedNodeName.GetProtection(id)));
        Assert.False(ProtectedNodeName.Matches(name + "0000000001", ProtectedNodeName.GetProtection(Guid.NewGuid())));
    }

    [Theory]
    [InlineData("0000000000", 0)]
    [InlineData("0000000042", 42)]
    [InlineData("2147483647", int.MaxValue)]
    [InlineData("-2147483648", int.MinValue)]
    [InlineData("-000000001", -1)]
    [InlineData("-999999999", -999999999)]
    [InlineData("-1000000000", -1000000000)]
    public void TryParseSequence_ZooKeeperFormat_ParsesValue(string suffix, int expected)
    {
        Assert.True(SequentialNodeOrdering.TryParseSequence(suffix, out var value));
        Assert.Equal(expected, value);
        Assert.Equal(suffix, SequentialNodeOrdering.FormatSequence(value));
    }

    [Theory]
    [InlineData("42")]
    [InlineData("000000042")]
    [InlineData("00000000042")]
    [InlineData("2147483648")]
    [InlineData("9999999999")]
    [InlineData("+000000042")]
    [InlineData("-0000000001")]
    [InlineData("-000000000")]
    [InlineData("00000000x1")]
    [InlineData("")]
    public void TryParseSequence_NotZooKeeperFormat_IsRejected(string suffix)
    {
        Assert.False(SequentialNodeOrdering.TryParseSequence(suffix, out _));
    }

    [Fact]
    public void Sort_CuratorAndForeignChildren_OrdersBySequenceAndDropsForeign()
    {
        string[] children =
        [
            $"_c_{Guid1}-lock-0000000007",
            "orders",                                  // a nested lock's container
            "5e1da4__lock__",                          // kazoo's prefix without a sequence
            $"_c_{Guid1}-lock-0000000003",
            "lock-0000000005",                         // madelson / plain
            "_c_38553bd6d1d57f710ae70ddcc3d24715-lock-0000000004", // go-zookeeper
            "lock-5",                                  // not a ZooKeeper sequence
            $"_c_{Guid1}-__READ__0000000006",
        ];

        var sorted = LockContention.Sort(children);

        Assert.Equal(
            [3, 4, 5, 6, 7],
            sorted.Select(n => n.Sequence));
        Assert.Equal(LockNodeKind.Read, LockContention.KindOf(sorted[3]));
        Assert.Equal(-1, SequentialNodeOrdering.IndexOf(sorted, "orders"));
    }

    [Fact]
    public void Sort_KazooNodes_AreContendersOrderedBySequenceAcrossLayouts()
    {
        // One parent counter: kazoo's and Curator's suffixes come from the same sequence.
        string[] children =
        [
            $"_c_{Guid1}-lock-0000000004",
            "0f1e2d3c4b5a69788796a5b4c3d2e1f0__rlock__0000000003",   // kazoo ReadLock
            "orders",                                                 // a nested lock's container
            "5e1da4c2b3a4d5e6f708192a3b4c5d6e__lock__0000000001",     // kazoo Lock / WriteLock
            "5e1da4c2b3a4d5e6f708192a3b4c5d6e__lock__17",             // not a ZooKeeper sequence
            "__lock__0000000008x",                                    // not a sequence suffix
            "aa__rlock__-5",                                          // not a sequence suffix
            $"_c_{Guid1}-__READ__0000000002",
            "77__lock__0000000005",
        ];

        var sorted = LockContention.Sort(children);

        Assert.Equal([1, 2, 3, 4, 5], sorted.Select(n => n.Sequence));
        Assert.Equal(
            [LockNodeKind.KazooLock, LockNodeKind.Read, LockNodeKind.KazooRead, LockNodeKind.Mutex, LockNodeKind.KazooLock],
            sorted.Select(n => LockContention.KindOf(n)));
        Assert.Equal(5, LockContention.Sort(children, LockNodeKind.Mutex).Count);
        Assert.Empty(LockContention.Sort(children, LockNodeKind.Latch));
    }

    [Fact]
    public void Evaluate_KazooNodesAhead_BlockLikeKazoosExcludeNames()
    {
        // kazoo: __lock__ (Lock, WriteLock) is exclusive, __rlock__ (ReadLock) is shared.
        const string kazooLock = "5e1da4__lock__0000000000";
        const string kazooRead = "5e1da4__rlock__0000000000";
        const string ours = "_c_" + Guid1 + "-";

        // Exclusive: waits for any kazoo node ahead, watching it.
        Assert.Equal(new LockDecision(false, 0), Decide([kazooLock, ours + "lock-0000000001"], 1));
        Assert.Equal(new LockDecision(false, 0), Decide([kazooRead, ours + "lock-0000000001"], 1));
        Assert.Equal(new LockDecision(false, 0), Decide([kazooRead, ours + "__WRIT__0000000001"], 1));

        // Shared: waits for kazoo's exclusive nodes only.
        Assert.Equal(new LockDecision(false, 0), Decide([kazooLock, ours + "__READ__0000000001"], 1));
        Assert.Equal(new LockDecision(true, -1), Decide([kazooRead, ours + "__READ__0000000001"], 1));
        Assert.Equal(new LockDecision(false, 2), Decide([kazooLock, "77__rlock__0000000001", "88__lock__0000000002", "99__rlock__0000000003", ours + "__READ__0000000004"], 4));

        // Nodes behind us never block us.
        Assert.Equal(new LockDecision(true, -1), Decide([ours + "lock-0000000000", "5e1da4__lock__0000000001", "77__rlock__0000000002"], 0));

        // And kazoo's holders are judged by the same rules (the inspector's view): readers share, a lock excludes.
        var sorted = LockContention.Sort(["a__rlock__0000000000", ours + "__READ__0000000001", "b__lock__0000000002"]);
        Assert.Equal([true, true, false], Enumerable.Range(0, 3).Select(i => LockContention.IsHolder(sorted, i)));

        static LockDecision Decide(string[] children, int index) => LockContention.Evaluate(LockContention.Sort(children), index);
    }

    [Fact]
    public void Sort_TokenInsideName_UsesLastOccurrenceLikeCurator()
    {
        // Curator: key = text after lastIndexOf(token).
        var ok = SequentialNodeOrdering.TryParse("lock-lock-0000000009", LockContention.Tokens, out var kind, out var sequence);

        Assert.True(ok);
        Assert.Equal((int)LockNodeKind.Mutex, kind);
        Assert.Equal(9, sequence);
    }

    [Fact]
    public void Sort_BelowOverflow_MatchesCuratorStringOrder()
    {
        var random = new Random(42);
        var children = Enumerable.Range(0, 200)
            .Select(_ => $"_c_{Guid.NewGuid()}-lock-{SequentialNodeOrdering.FormatSequence(random.Next())}")
            .ToList();

        var sorted = LockContention.Sort(children).Select(n => n.Name);
        var curator = children.OrderBy(c => c[(c.LastIndexOf("lock-", StringComparison.Ordinal) + 5)..], StringComparer.Ordinal)
            .ThenBy(c => c, StringComparer.Ordinal);

        Assert.Equal(curator, sorted);
    }

    [Fact]
    public void Sort_AcrossSignedOverflow_KeepsCreationOrder()
    {
        // Created in this order: the counter passed 2^31-1 and went negative.
        string[] created = ["lock-2147483646", "lock-2147483647", "lock--2147483648", "lock--2147483647", "lock--000000002", "lock--000000001"];

        var sorted = LockContention.Sort([.. created.Reverse()]);

        Assert.Equal(created, sorted.Select(n => n.Name));
    }

    [Fact]
    public void Sort_AcrossFullUnsignedWrap_KeepsCreationOrder()
    {
        string[] created = ["lock--000000002", "lock--000000001", "lock-0000000000", "lock-0000000001"];

        var sorted = LockContention.Sort([.. created.Reverse()]);

        Assert.Equal(created, sorted.Select(n => n.Name));
    }

    [Fact]
    public void Sort_EqualSequences_AreTiedByName()
    {
        // Curator's write-to-read downgrade reuses the writer's sequence for the read node (CURATOR-621).
        string[] children = [$"_c_{Guid1}-__WRIT__0000000004", $"_c_{Guid1}-__READ__0000000004", $"_c_{Guid1}-__WRIT__0000000003"];

        var sorted = LockContention.Sort(children);

        Assert.Equal([3, 4, 4], sorted.Select(n => n.Sequence));
        Assert.True(string.CompareOrdinal(sorted[1].Name, sorted[2].Name) < 0);
    }

    [Fact]
    public void Evaluate_ExclusiveQueue_FirstHoldsOthersWatchImmediatePredecessor()
    {
        var sorted = LockContention.Sort(["lock-0000000000", "lock-0000000001", "lock-0000000002"]);

        Assert.Equal(new LockDecision(true, -1), LockContention.Evaluate(sorted, 0));
        Assert.Equal(new LockDecision(false, 0), LockContention.Evaluate(sorted, 1));
        Assert.Equal(new LockDecision(false, 1), LockContention.Evaluate(sorted, 2));
    }

    [Fact]
    public void Evaluate_ZkGemOrder_GrantsInTheDocumentedSets()
    {
        // zk gem order [ex00, sh01, sh02, sh03, ex04, ex05, sh06, sh07], released set by set.
        var queue = new List<string>
        {
            "ex00:__WRIT__0000000000", "sh01:__READ__0000000001", "sh02:__READ__0000000002", "sh03:__READ__0000000003",
            "ex04:__WRIT__0000000004", "ex05:__WRIT__0000000005", "sh06:__READ__0000000006", "sh07:__READ__0000000007",
        };
        string[][] expected = [["ex00"], ["sh01", "sh02", "sh03"], ["ex04"], ["ex05"], ["sh06", "sh07"]];

        foreach (var set in expected)
        {
            var sorted = LockContention.Sort(queue);
            var granted = Enumerable.Range(0, sorted.Count).Where(i => LockContention.Evaluate(sorted, i).Acquired)
                .Select(i => sorted[i].Name[..4]).ToArray();
            Assert.Equal(set, granted);
            queue.RemoveAll(n => set.Contains(n[..4]));
        }

        Assert.Empty(queue);
    }

    [Fact]
    public void Evaluate_WaitingReader_WatchesNearestEarlierWriter()
    {
        var sorted = LockContention.Sort(["__WRIT__0000000000", "__READ__0000000001", "__WRIT__0000000002", "__READ__0000000003", "__READ__0000000004"]);

        Assert.Equal(new LockDecision(false, 0), LockContention.Evaluate(sorted, 1));
        Assert.Equal(new LockDecision(false, 2), LockContention.Evaluate(sorted, 3));
        Assert.Equal(new LockDecision(false, 2), LockContention.Evaluate(sorted, 4)); // Curator would watch index 0.
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void WouldWait_AgreesWithEvaluateForANodeJoiningLast(int kindValue)
    {
        var kind = (LockNodeKind)kindValue; // Mutex, Read, Write
        string[][] queues =
        [
            [],
            ["__READ__0000000000"],
            ["__READ__0000000000", "__READ__0000000001"],
            ["__WRIT__0000000000"],
            ["lock-0000000000"],
            ["__READ__0000000000", "__WRIT__0000000001"],
            ["__WRIT__0000000000", "__READ__0000000001"],
            ["a__lock__0000000000"],
            ["a__rlock__0000000000"],
            ["a__rlock__0000000000", "b__rlock__0000000001"],
            ["a__rlock__0000000000", "__READ__0000000001", "b__lock__0000000002"],
        ];
        foreach (var queue in queues)
        {
            var joined = LockContention.Sort([.. queue, "zz-" + LockContention.TokenOf(kind) + "0000000009"], kind);

            Assert.Equal(!LockContention.Evaluate(joined, joined.Count - 1).Acquired, LockContention.WouldWait(LockContention.Sort(queue, kind), kind));
        }
    }

    [Fact]
    public void Evaluate_ReaderBehindMutexNode_WaitsForIt()
    {
        // ZkSync's own exclusive holds in the default (mutex) format exclude readers too.
        var sorted = LockContention.Sort(["_c_a-lock-0000000000", "_c_b-__READ__0000000001"]);

        Assert.Equal(new LockDecision(false, 0), LockContention.Evaluate(sorted, 1));
        Assert.True(LockContention.IsHolder(sorted, 0));
        Assert.False(LockContention.IsHolder(sorted, 1));
    }

    [Fact]
    public void Evaluate_WriterBehindReaders_WatchesImmediatePredecessor()
    {
        var sorted = LockContention.Sort(["__READ__0000000000", "__READ__0000000001", "__WRIT__0000000002"]);

        Assert.True(LockContention.IsHolder(sorted, 0));
        Assert.True(LockContention.IsHolder(sorted, 1));
        Assert.Equal(new LockDecision(false, 1), LockContention.Evaluate(sorted, 2));
    }

    [Fact]
    public void LockNodeData_RoundTrip_KeepsOwnerTimeAndTtl()
    {
        var at = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123);

        var data = LockNodeData.Encode("job-\"7\"", at, TimeSpan.FromSeconds(30));

        Assert.True(LockNodeData.TryDecode(data, out var owner, out var acquiredAt, out var ttl));
        Assert.Equal("job-\"7\"", owner);
        Assert.Equal(1_700_000_000_123, acquiredAt);
        Assert.Equal(30_000, ttl);
        Assert.Equal("{\"owner\":\"job-\\u00227\\u0022\",\"acquiredAt\":1700000000123,\"ttlMs\":30000}", Encoding.UTF8.GetString(data));
    }

    [Fact]
    public void LockNodeData_AnonymousWithoutTtl_IsEmpty()
    {
        Assert.Empty(LockNodeData.Encode(null, DateTimeOffset.UtcNow, null));
    }

    [Theory]
    [InlineData("")]
    [InlineData("10.0.0.7")]                      // Curator's default data: the local IP
    [InlineData("{\"ttlMs\":")]                   // truncated
    [InlineData("[1,2]")]
    public void LockNodeData_ForeignData_HasNoTtl(string text)
    {
        LockNodeData.TryDecode(Encoding.UTF8.GetBytes(text), out _, out _, out var ttl);

        Assert.Null(ttl);
    }
}
