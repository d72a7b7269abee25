namespace ClipSharp.Search.Hnsw;

/// <summary>
/// Per-thread working memory of one graph search or insertion: visited stamps, the candidate and result
/// heaps, a neighbour buffer and the sorted result list. Pooled by the index so that a warm search
/// allocates nothing but its returned array.
/// </summary>
internal sealed class SearchScratch
{
    public readonly VisitedSet Visited = new();

    /// <summary>Max-heap by similarity (keys are negated similarities): next node to expand at the root.</summary>
    public readonly NodeHeap Candidates = new();

    /// <summary>Min-heap by similarity: the worst of the ef kept nodes at the root.</summary>
    public readonly NodeHeap Results = new();

    /// <summary>Neighbour ids copied out of a link list (under its lock while building).</summary>
    public int[] Links = [];

    /// <summary>Unvisited neighbours gathered before their vectors are fetched.</summary>
    public int[] Fresh = [];

    /// <summary>Results of the last layer search, most similar first; <see cref="FoundCount"/> are valid.</summary>
    public (int Node, float Sim)[] Found = [];
    public int FoundCount;

    /// <summary>
    /// Neighbours chosen by the selection heuristic on every layer of the node being inserted, kept until
    /// its back links are made: layer 0's 2M slots first, then M per upper layer (see <see cref="ChosenOn"/>).
    /// </summary>
    public int[] Chosen = [];

    /// <summary>How many of a layer's <see cref="Chosen"/> slots are used.</summary>
    public readonly int[] ChosenCount = new int[HnswIndex.MaxLevelCap + 1];

    /// <summary>The chosen-neighbour slots of layer <paramref name="level"/>.</summary>
    public Span<int> ChosenOn(int level, int maxM0, int m) =>
        level == 0 ? Chosen.AsSpan(0, maxM0) : Chosen.AsSpan(maxM0 + (level - 1) * m, m);

    /// <summary>A full link list plus the new node, scored against the list's owner, when it overflows.</summary>
    public (int Node, float Sim)[] ConnectCandidates = [];

    /// <summary>Links kept when an overfull list is shrunk.</summary>
    public int[] Kept = [];

    /// <summary>Similarities computed since the counter was last cleared.</summary>
    public long Distances;

    /// <summary>The normalised query.</summary>
    public float[] Query = [];

    public void Ensure(int dimension, int maxLinks, int ef)
    {
        if (Query.Length != dimension) Query = new float[dimension];
        int chosen = maxLinks + HnswIndex.MaxLevelCap * (maxLinks / 2);
        if (Chosen.Length < chosen) Chosen = new int[chosen];
        if (Links.Length < maxLinks + 1) { Links = new int[maxLinks + 1]; Fresh = new int[maxLinks + 1]; Kept = new int[maxLinks + 1]; ConnectCandidates = new (int, float)[maxLinks + 1]; }
        if (Found.Length < Math.Max(ef, maxLinks + 1)) Found = new (int, float)[Math.Max(ef, maxLinks + 1)];
    }
}
