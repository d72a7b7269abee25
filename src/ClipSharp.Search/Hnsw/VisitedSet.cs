namespace ClipSharp.Search.Hnsw;

/// <summary>
/// A set of node numbers cleared in O(1) by bumping a generation stamp; pooled so concurrent searches
/// each get their own.
/// </summary>
internal sealed class VisitedSet
{
    private int[] _marks = [];
    private int _generation;

    public void Reset(int capacity)
    {
        if (_marks.Length < capacity)
        {
            _marks = new int[Math.Max(capacity, _marks.Length * 2)];
            _generation = 0;
        }
        if (++_generation == int.MaxValue)
        {
            Array.Clear(_marks);
            _generation = 1;
        }
    }

    /// <summary>Marks <paramref name="node"/>; returns false if it was already marked.</summary>
    public bool Add(int node)
    {
        if (_marks[node] == _generation) return false;
        _marks[node] = _generation;
        return true;
    }
}
