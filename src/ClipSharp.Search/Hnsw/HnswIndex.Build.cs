using ClipSharp.Search.Vectors;

namespace ClipSharp.Search.Hnsw;

/// <summary>Writes row <paramref name="row"/> of a caller's data set (length D) into <paramref name="destination"/>.</summary>
public delegate void RowCopier(int row, Span<float> destination);

/// <summary>Bulk and parallel insertion.</summary>
public sealed unsafe partial class HnswIndex
{
    /// <summary>
    /// Inserts rows of a row-major (labels.Count, D) matrix (normalised on the way in) under new labels,
    /// on up to <paramref name="threads"/> threads. See <see cref="AddRange(IReadOnlyList{long}, RowCopier, int, IProgress{int}?)"/>.
    /// </summary>
    public void AddRange(IReadOnlyList<long> labels, ReadOnlySpan<float> rows, int threads = 1, IProgress<int>? progress = null)
    {
        if (rows.Length != (long)labels.Count * Dimension)
            throw new ArgumentException($"rows holds {rows.Length} floats, {labels.Count} labels × dimension {Dimension} need {(long)labels.Count * Dimension}");
        int first = StoreNodes(labels, rows, null);
        LinkNodes(first, labels.Count, threads, progress);
    }

    /// <summary>
    /// Inserts <paramref name="labels"/>.Count vectors, row i fetched by <paramref name="copyRow"/>, on up to
    /// <paramref name="threads"/> threads. All vectors are validated and stored first (nothing changes if
    /// one is bad or a label is already live); then nodes are linked: the first one alone if the index was
    /// empty, the rest by workers taking node numbers in ascending order. Each link list is guarded by its
    /// node's lock, so no link is lost; with one thread the graph equals that of <see cref="Add"/> in a loop.
    /// <paramref name="progress"/> receives the number of nodes linked so far (every 1,024 nodes).
    /// </summary>
    public void AddRange(IReadOnlyList<long> labels, RowCopier copyRow, int threads = 1, IProgress<int>? progress = null)
    {
        int first = StoreNodes(labels, default, copyRow);
        LinkNodes(first, labels.Count, threads, progress);
    }

    /// <summary>Validates, normalises and stores vectors and labels; returns the first new node number.</summary>
    private int StoreNodes(IReadOnlyList<long> labels, ReadOnlySpan<float> rows, RowCopier? copyRow)
    {
        var seen = new HashSet<long>(labels.Count);
        foreach (long label in labels)
            if (_nodeOf.ContainsKey(label) || !seen.Add(label))
                throw new ArgumentException($"label {label} is already in the index or given twice; Remove it first");
        int first = _count;
        EnsureCapacity(first + labels.Count);
        for (int i = 0; i < labels.Count; i++)
        {
            var dest = VecMut(first + i);
            if (copyRow != null) copyRow(i, dest);
            else rows.Slice(i * Dimension, Dimension).CopyTo(dest);
            float norm = VectorKernels.Normalize(dest);
            if (!(norm > 0) || !float.IsFinite(norm))
                throw new ArgumentException($"vector for label {labels[i]} (row {i}) has norm {norm}; cannot normalise");
        }
        for (int i = 0; i < labels.Count; i++)
        {
            InitNode(first + i, labels[i]);
            _nodeOf[labels[i]] = first + i;
        }
        _count = first + labels.Count;
        return first;
    }

    private void LinkNodes(int first, int count, int threads, IProgress<int>? progress)
    {
        if (count == 0) return;
        threads = Math.Clamp(threads, 1, Environment.ProcessorCount * 4);
        int next = first;
        var s0 = RentScratch(_p.EfConstruction);
        if (threads == 1 || count < 2 * threads)
        {
            for (int n = first; n < first + count; n++)
            {
                Insert(n, s0, concurrent: false);
                if (((n - first + 1) & 1023) == 0) progress?.Report(n - first + 1);
            }
            _scratchPool.Add(s0);
            progress?.Report(count);
            return;
        }
        if (_entry < 0) Insert(next++, s0, concurrent: false);
        _scratchPool.Add(s0);
        int done = next - first;
        int end = first + count;
        var workers = new Thread[threads];
        Exception? failure = null;
        for (int w = 0; w < threads; w++)
        {
            workers[w] = new Thread(() =>
            {
                var s = RentScratch(_p.EfConstruction);
                try
                {
                    int n;
                    while ((n = Interlocked.Increment(ref next) - 1) < end && failure == null)
                    {
                        Insert(n, s, concurrent: true);
                        int d = Interlocked.Increment(ref done);
                        if ((d & 1023) == 0) progress?.Report(d);
                    }
                }
                catch (Exception e) { Interlocked.CompareExchange(ref failure, e, null); }
                finally { _scratchPool.Add(s); }
            }) { IsBackground = true, Name = $"hnsw-build-{w}" };
            workers[w].Start();
        }
        foreach (var t in workers) t.Join();
        if (failure != null) throw new InvalidOperationException("parallel HNSW insertion failed; the index is incomplete", failure);
        progress?.Report(count);
    }

    /// <summary>Nodes reachable from the entry point over layer-0 links (for tests: a parallel build loses none).</summary>
    internal int ReachableFromEntry()
    {
        if (_entry < 0) return 0;
        var seen = new bool[_count];
        var stack = new Stack<int>();
        stack.Push(_entry);
        seen[_entry] = true;
        int reached = 0;
        while (stack.TryPop(out int n))
        {
            reached++;
            var links = Links(n, 0);
            for (int i = 1; i <= links[0]; i++)
                if (!seen[links[i]]) { seen[links[i]] = true; stack.Push(links[i]); }
        }
        return reached;
    }

    /// <summary>Number of links node <paramref name="node"/> holds on a layer (for tests).</summary>
    internal int LinkCount(int node, int level) => Links(node, level)[0];

    /// <summary>Level of node number <paramref name="node"/> (for tests).</summary>
    internal int LevelOf(int node) => _levels[node];

    /// <summary>Structural faults (for tests): a link out of range, to itself or repeated, or a list over its limit.</summary>
    internal List<string> GraphFaults()
    {
        var faults = new List<string>();
        for (int n = 0; n < _count; n++)
            for (int lc = 0; lc <= _levels[n]; lc++)
            {
                var links = Links(n, lc);
                int count = links[0], max = lc == 0 ? _p.MaxM0 : _p.M;
                if (count < 0 || count > max) { faults.Add($"node {n} layer {lc}: {count} links, limit {max}"); continue; }
                var seen = new HashSet<int>();
                foreach (int nb in links.Slice(1, count))
                    if (nb == n || (uint)nb >= (uint)_count || _levels[nb] < lc || !seen.Add(nb))
                        faults.Add($"node {n} layer {lc}: bad link {nb}");
            }
        return faults;
    }
}
