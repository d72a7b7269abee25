namespace ClipSharp.Search.Hnsw;

/// <summary>
/// Binary min-heap of (key, node) pairs in two parallel growable arrays: the root is the smallest key
/// (ties: larger node number at the root, so the kept set is a function of the inputs, not their order).
/// Reused across searches (<see cref="Clear"/> keeps the storage), so a search allocates nothing once warm.
/// A max-heap is this heap over negated keys.
/// </summary>
internal sealed class NodeHeap
{
    private float[] _keys = new float[64];
    private int[] _nodes = new int[64];

    public int Count { get; private set; }

    public float TopKey => _keys[0];
    public int TopNode => _nodes[0];

    public void Clear() => Count = 0;

    /// <summary>True when (ka, na) belongs nearer the root than (kb, nb).</summary>
    private static bool Above(float ka, int na, float kb, int nb) => ka < kb || (ka == kb && na > nb);

    public void Push(float key, int node)
    {
        if (Count == _keys.Length)
        {
            Array.Resize(ref _keys, Count * 2);
            Array.Resize(ref _nodes, Count * 2);
        }
        int i = Count++;
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            if (!Above(key, node, _keys[parent], _nodes[parent])) break;
            _keys[i] = _keys[parent];
            _nodes[i] = _nodes[parent];
            i = parent;
        }
        _keys[i] = key;
        _nodes[i] = node;
    }

    /// <summary>Removes the root.</summary>
    public void Pop()
    {
        int n = --Count;
        if (n == 0) return;
        float key = _keys[n];
        int node = _nodes[n];
        int i = 0;
        while (true)
        {
            int child = 2 * i + 1;
            if (child >= n) break;
            if (child + 1 < n && Above(_keys[child + 1], _nodes[child + 1], _keys[child], _nodes[child])) child++;
            if (!Above(_keys[child], _nodes[child], key, node)) break;
            _keys[i] = _keys[child];
            _nodes[i] = _nodes[child];
            i = child;
        }
        _keys[i] = key;
        _nodes[i] = node;
    }

    /// <summary>Entry <paramref name="i"/> in heap (not sorted) order.</summary>
    public (int Node, float Key) At(int i) => (_nodes[i], _keys[i]);
}
