namespace ClipSharp.Search.Hnsw;

/// <summary>
/// HNSW construction and search parameters (Malkov &amp; Yashunin 2016/2018). Validated on construction.
/// </summary>
public sealed record HnswParameters
{
    /// <summary>Links per node on layers ≥ 1 (layer 0 keeps 2·M). Typical 12–48.</summary>
    public int M { get; }

    /// <summary>Candidate list size while inserting; larger builds a better graph, slower.</summary>
    public int EfConstruction { get; }

    /// <summary>Default candidate list size while searching (raised to k when k is larger).</summary>
    public int EfSearch { get; init; }

    /// <summary>Seed of the level generator: node n's level is a pure function of (Seed, n).</summary>
    public ulong Seed { get; }

    public HnswParameters(int m = 16, int efConstruction = 200, int efSearch = 64, ulong seed = 0x5EED)
    {
        if (m < 2 || m > 1024) throw new ArgumentOutOfRangeException(nameof(m), m, "M must be in [2, 1024]");
        if (efConstruction < 1) throw new ArgumentOutOfRangeException(nameof(efConstruction), efConstruction, "efConstruction must be ≥ 1");
        if (efSearch < 1) throw new ArgumentOutOfRangeException(nameof(efSearch), efSearch, "efSearch must be ≥ 1");
        M = m; EfConstruction = efConstruction; EfSearch = efSearch; Seed = seed;
    }

    /// <summary>Maximum links on layer 0.</summary>
    public int MaxM0 => 2 * M;

    /// <summary>Level multiplier mL = 1 / ln M.</summary>
    public double LevelMultiplier => 1.0 / Math.Log(M);
}
