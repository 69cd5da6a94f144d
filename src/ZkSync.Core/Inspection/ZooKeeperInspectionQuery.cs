namespace ZkSync.Inspection;

/// <summary>What one listing of <see cref="ZooKeeperInspector"/> reads: where, how many, and how much it may cost the ensemble.</summary>
public sealed class ZooKeeperInspectionQuery
{
    /// <summary>
    /// Lists only names under this prefix (relative to the root): <c>orders</c> lists <c>orders</c> and every name below it;
    /// when no such node exists, its last component filters its siblings by name (<c>orders/4</c> lists <c>orders/4…</c>).
    /// Null or empty: everything under the root.
    /// </summary>
    public string? Prefix { get; set; }

    /// <summary>Resumes a listing: the <see cref="ZooKeeperInspectionPage{T}.ContinueAfter"/> of the previous page. Null: from the start.</summary>
    public string? After { get; set; }

    /// <summary>The most items one page returns (1 to 10,000). Default 100.</summary>
    public int PageSize { get; set; } = 100;

    /// <summary>
    /// The most reads (getChildren and getData requests) one page may send (at least 1). When a page would exceed it, it
    /// ends early with a <see cref="ZooKeeperInspectionPage{T}.ContinueAfter"/>, so walking a root with 100,000 names costs
    /// the ensemble a bounded amount per page. Default 5,000.
    /// </summary>
    public int NodeBudget { get; set; } = 5000;

    /// <summary>The most queue nodes read (with their data) per lock or election (1 to 10,000); the rest are only counted. Default 50.</summary>
    public int MaxQueueNodes { get; set; } = 50;

    internal void Validate()
    {
        if (PageSize is < 1 or > 10_000)
        {
            throw new ArgumentOutOfRangeException(nameof(PageSize), PageSize, "PageSize must be between 1 and 10000.");
        }

        if (NodeBudget < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(NodeBudget), NodeBudget, "NodeBudget must be at least 1.");
        }

        if (MaxQueueNodes is < 1 or > 10_000)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxQueueNodes), MaxQueueNodes, "MaxQueueNodes must be between 1 and 10000.");
        }
    }
}

/// <summary>One page of a listing, in name order.</summary>
/// <typeparam name="T">The item type.</typeparam>
/// <param name="Items">The items.</param>
/// <param name="ContinueAfter">
/// Null when the listing is complete; otherwise pass it as <see cref="ZooKeeperInspectionQuery.After"/> to read the next page
/// (a path: the walk resumes after it, in the order of its names).
/// </param>
/// <param name="Reads">How many read requests the page sent.</param>
public sealed record ZooKeeperInspectionPage<T>(IReadOnlyList<T> Items, string? ContinueAfter, int Reads)
{
    /// <summary>True when there is nothing after this page.</summary>
    public bool IsComplete => ContinueAfter is null;
}

/// <summary>Settings of a <see cref="ZooKeeperInspector"/>.</summary>
public sealed class ZooKeeperInspectorOptions
{
    /// <summary>How many read requests one listing keeps in flight at most (1 to 64). Default 8.</summary>
    public int MaxConcurrency { get; set; } = 8;
}
