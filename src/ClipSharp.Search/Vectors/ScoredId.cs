namespace ClipSharp.Search.Vectors;

/// <summary>A search result: an id (row number or caller id) and its similarity (dot product of unit vectors).</summary>
public readonly record struct ScoredId(long Id, float Score)
{
    /// <summary>Result order: higher score first, ties broken by lower id. A total order, so results are unique.</summary>
    public static bool Precedes(ScoredId a, ScoredId b) => a.Score > b.Score || (a.Score == b.Score && a.Id < b.Id);

    /// <summary>Comparison for sorting in result order.</summary>
    public static int CompareForRanking(ScoredId a, ScoredId b)
    {
        int c = b.Score.CompareTo(a.Score);
        return c != 0 ? c : a.Id.CompareTo(b.Id);
    }
}
