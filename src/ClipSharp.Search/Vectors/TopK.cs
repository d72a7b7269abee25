namespace ClipSharp.Search.Vectors;

/// <summary>
/// Keeps the k best <see cref="ScoredId"/> seen so far in a bounded binary min-heap whose root is the
/// worst kept item (lowest score; among equal scores, highest id). Offer is O(log k); the kept set is
/// independent of the order items are offered in, because <see cref="ScoredId.Precedes"/> is a total order.
/// </summary>
public sealed class TopK
{
    private readonly ScoredId[] _heap;
    private int _count;

    public TopK(int k)
    {
        if (k <= 0) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be positive");
        _heap = new ScoredId[k];
    }

    public int Capacity => _heap.Length;
    public int Count => _count;

    /// <summary>True when full: <see cref="Worst"/> is then the bar an item must beat.</summary>
    public bool IsFull => _count == _heap.Length;

    /// <summary>The worst kept item (only meaningful when <see cref="Count"/> &gt; 0).</summary>
    public ScoredId Worst => _heap[0];

    /// <summary>Offers an item; returns true if it was kept.</summary>
    public bool Offer(long id, float score)
    {
        var item = new ScoredId(id, score);
        if (_count < _heap.Length)
        {
            int i = _count++;
            while (i > 0)
            {
                int parent = (i - 1) >> 1;
                if (!ScoredId.Precedes(_heap[parent], item)) break; // parent worse than item: stop
                _heap[i] = _heap[parent];
                i = parent;
            }
            _heap[i] = item;
            return true;
        }
        if (!ScoredId.Precedes(item, _heap[0])) return false;
        SiftDown(item);
        return true;
    }

    /// <summary>Offers every item kept by <paramref name="other"/>.</summary>
    public void Merge(TopK other)
    {
        for (int i = 0; i < other._count; i++) Offer(other._heap[i].Id, other._heap[i].Score);
    }

    private void SiftDown(ScoredId item)
    {
        int i = 0, n = _count;
        while (true)
        {
            int child = 2 * i + 1;
            if (child >= n) break;
            // pick the worse child (the one that does not precede the other)
            if (child + 1 < n && ScoredId.Precedes(_heap[child], _heap[child + 1])) child++;
            if (!ScoredId.Precedes(item, _heap[child])) break; // worse child still beats item: item sits here
            _heap[i] = _heap[child];
            i = child;
        }
        _heap[i] = item;
    }

    /// <summary>The kept items in result order (best first).</summary>
    public ScoredId[] ToSortedArray()
    {
        var result = _heap.AsSpan(0, _count).ToArray();
        Array.Sort(result, ScoredId.CompareForRanking);
        return result;
    }
}
