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
        RepairReachability();
    }

    /// <summary>
    /// Inserts <paramref name="labels"/>.Count vectors, row i fetched by <paramref name="copyRow"/>, on up to
    /// <paramref name="threads"/> threads. All vectors are validated and stored first (nothing changes if
    /// one is bad or a label is already live); then nodes are linked: the first one alone if the index was
    /// empty, the rest by workers taking node numbers in ascending order. Each link list is guarded by its
    /// node's lock, so no link is lost; with one thread the graph equals that of <see cref="Add"/> in a loop.
    /// Finally every node is made reachable from the entry point on layer 0 (see <see cref="RepairReachability"/>).
    /// <paramref name="progress"/> receives the number of nodes linked so far (every 1,024 nodes).
    /// </summary>
    public void AddRange(IReadOnlyList<long> labels, RowCopier copyRow, int threads = 1, IProgress<int>? progress = null)
    {
        int first = StoreNodes(labels, default, copyRow);
        LinkNodes(first, labels.Count, threads, progress);
        RepairReachability();
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

    /// <summary>
    /// Makes every node reachable from the entry point over layer-0 links; returns how many nodes were
    /// relinked. The heuristic prune of an overfull list can drop a node's last in-link (on any thread
    /// count; how often depends on the data, M and, in a parallel build, on scheduling), and such a node
    /// could never be returned by a search. For each unreachable node u, the most similar reachable node r
    /// (from u's own list, else a layer-0 search from the entry) gets a link r → u; when r's list is full,
    /// its least similar link r → t gives way and u takes over t (u → t, replacing u's least similar link if
    /// u's list is full too). No reachable node is lost by that: t stays reachable through r → u → t, and
    /// the link u drops led nowhere reachable (u itself was not). So the reachable set only grows, and
    /// the pass ends after at most one relink per lost node. On a graph that loses nothing it only walks
    /// the graph once and changes nothing.
    /// </summary>
    internal int RepairReachability()
    {
        if (_entry < 0) return 0;
        var seen = new bool[_count];
        var stack = new Stack<int>();
        MarkReachable(_entry, seen, stack);
        int repaired = 0;
        SearchScratch? s = null;
        for (int u = 0; u < _count; u++)
        {
            if (seen[u]) continue;
            s ??= RentScratch(_p.EfConstruction);
            int r = ReachableNeighbourFor(u, seen, s);
            var rl = Links(r, 0);
            if (rl[0] < _p.MaxM0) rl[1 + rl[0]++] = u;
            else
            {
                int slot = LeastSimilarSlot(r, rl);
                int t = rl[slot];
                rl[slot] = u;
                var ul = Links(u, 0);
                if (!ul[1..(1 + ul[0])].Contains(t))
                {
                    if (ul[0] < _p.MaxM0) ul[1 + ul[0]++] = t;
                    else ul[LeastSimilarSlot(u, ul)] = t;
                }
            }
            MarkReachable(u, seen, stack);
            repaired++;
        }
        if (s != null) _scratchPool.Add(s);
        RelinkedByLastBuild = repaired;
        return repaired;
    }

    /// <summary>Nodes the last <see cref="RepairReachability"/> relinked (for tests and build reports).</summary>
    internal int RelinkedByLastBuild { get; private set; }

    /// <summary>Marks <paramref name="from"/> and every node it reaches over layer-0 links (not yet marked); returns how many.</summary>
    private int MarkReachable(int from, bool[] seen, Stack<int> stack)
    {
        stack.Push(from);
        seen[from] = true;
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

    /// <summary>The reachable node most similar to unreachable node <paramref name="u"/>: from u's own list if any is reachable, else by a search from the entry.</summary>
    private int ReachableNeighbourFor(int u, bool[] seen, SearchScratch s)
    {
        var q = Vec(u);
        var links = Links(u, 0);
        int best = -1;
        float bestSim = float.NegativeInfinity;
        for (int i = 1; i <= links[0]; i++)
        {
            int nb = links[i];
            float sim;
            if (seen[nb] && (sim = Sim(q, nb)) > bestSim) { best = nb; bestSim = sim; }
        }
        if (best >= 0) return best;
        // Layer 0 from the entry itself (not from where the upper layers lead, which need not be
        // reachable on layer 0): every node this search meets is reachable, so u is never among them.
        SearchLayer(s, q, _entry, _p.EfConstruction, 0, excludeDeleted: false, concurrent: false);
        return s.Found[0].Node;
    }

    /// <summary>Index (into the list span, slot [0] being the count) of the link least similar to <paramref name="owner"/>.</summary>
    private int LeastSimilarSlot(int owner, Span<int> links)
    {
        var v = Vec(owner);
        int slot = 1;
        float worst = float.PositiveInfinity;
        for (int i = 1; i <= links[0]; i++)
        {
            float sim = Sim(v, links[i]);
            if (sim < worst) { worst = sim; slot = i; }
        }
        return slot;
    }

    /// <summary>Nodes reachable from the entry point over layer-0 links (for tests: a build loses none).</summary>
    internal int ReachableFromEntry() => _entry < 0 ? 0 : MarkReachable(_entry, new bool[_count], new Stack<int>());

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
