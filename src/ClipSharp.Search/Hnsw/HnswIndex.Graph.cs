using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using ClipSharp.Search.Vectors;

namespace ClipSharp.Search.Hnsw;

/// <summary>
/// Graph walks shared by insertion and search. With <c>concurrent</c> set (parallel build), a link list
/// is read and written only under its node's lock (striped: node mod <see cref="LockStripes"/>), and the
/// entry point under <see cref="_topLock"/>; no thread holds two node locks at once, so there is no
/// lock order to get wrong. Without it (single-threaded insert, or searches) no lock is taken.
/// </summary>
public sealed unsafe partial class HnswIndex
{
    private const int LockStripes = 1 << 14;
    private readonly object[] _nodeLocks = Enumerable.Range(0, LockStripes).Select(_ => new object()).ToArray();
    private readonly object _topLock = new();

    /// <summary>
    /// Test tap for parallel inserts: called on the inserting thread as (node, layer) once the node's own
    /// links on that layer are stored, and as (node, -1) when its insertion is complete. Lets a test hold
    /// one insertion at a chosen point while another runs, to replay an interleaving deterministically.
    /// </summary>
    internal Action<int, int>? ConcurrentInsertStep;

    /// <summary>
    /// Algorithm 1 (INSERT) for a node whose vector, label and level are already stored: greedy descent
    /// to its level, then per layer a best-first search of efConstruction and the heuristic selection of up
    /// to M neighbours (2M on layer 0, the list's limit there, as faiss does: on hard data this buys recall at
    /// the same query cost), stored as the node's own links; then, once every layer's list is stored, the
    /// links back to it (shrinking overfull lists with the same heuristic).
    /// </summary>
    /// <remarks>
    /// Publication order: a node becomes reachable only through a back link, and no back link is made
    /// until its own lists on all its layers are stored. (Making them layer by layer let a parallel insert
    /// that met the node on layer l+1 carry it down as the entry to layer l while its list there was still
    /// empty: that insert found nothing else, linked to this one node alone, and when the node's own list
    /// was later merged and pruned the single link back could be dropped, leaving the newcomer unreachable.)
    /// Layers are independent (a search on layer l reads only layer-l lists), so deferring the back links
    /// leaves the single-threaded graph exactly as it was.
    /// </remarks>
    private void Insert(int node, SearchScratch s, bool concurrent)
    {
        var q = Vec(node);
        int level = _levels[node];
        int ep, top;
        bool holdTop = false;
        if (concurrent)
        {
            Monitor.Enter(_topLock);
            ep = _entry; top = _maxLevel;
            if (level > top) holdTop = true; // a new top level: keep other inserts out until the entry moves
            else Monitor.Exit(_topLock);
        }
        else { ep = _entry; top = _maxLevel; }
        try
        {
            if (ep < 0) { _entry = node; _maxLevel = level; return; }

            for (int lc = top; lc > level; lc--) ep = Greedy(s, q, ep, lc, concurrent);
            int low = Math.Min(level, top);
            for (int lc = low; lc >= 0; lc--)
            {
                SearchLayer(s, q, ep, _p.EfConstruction, lc, excludeDeleted: false, concurrent);
                var chosen = s.ChosenOn(lc, _p.MaxM0, _p.M);
                int count = SelectNeighbours(s.Found.AsSpan(0, s.FoundCount), lc == 0 ? _p.MaxM0 : _p.M, chosen);
                s.ChosenCount[lc] = count;
                SetLinks(s, node, lc, chosen[..count], concurrent);
                ep = s.Found[0].Node;
                if (concurrent) ConcurrentInsertStep?.Invoke(node, lc);
            }
            for (int lc = low; lc >= 0; lc--)
            {
                var chosen = s.ChosenOn(lc, _p.MaxM0, _p.M);
                for (int i = 0; i < s.ChosenCount[lc]; i++) Connect(s, chosen[i], node, lc, concurrent);
            }
            if (level > top) { _entry = node; _maxLevel = level; }
            if (concurrent) ConcurrentInsertStep?.Invoke(node, -1);
        }
        finally
        {
            if (holdTop) Monitor.Exit(_topLock);
        }
    }

    /// <summary>Copies the links of <paramref name="node"/> on a layer into <paramref name="dest"/>; returns the count.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int ReadLinks(int node, int level, int[] dest, bool concurrent)
    {
        if (!concurrent) return CopyLinks(node, level, dest);
        lock (_nodeLocks[node & (LockStripes - 1)]) return CopyLinks(node, level, dest);
    }

    private int CopyLinks(int node, int level, int[] dest)
    {
        var links = Links(node, level);
        int count = links[0];
        links.Slice(1, count).CopyTo(dest);
        return count;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Prefetch(int node, int lines)
    {
        if (!Sse.IsSupported) return;
        byte* p = (byte*)(_vectors + (long)node * Dimension);
        for (int i = 0; i < lines; i++) Sse.Prefetch0(p + 64 * i);
    }

    private int VectorLines => (Dimension * 4 + 63) / 64;

    /// <summary>Hill-climb on one layer: move to the best neighbour until none improves.</summary>
    private int Greedy(SearchScratch s, ReadOnlySpan<float> q, int ep, int level, bool concurrent)
    {
        float best = Sim(q, ep);
        bool moved = true;
        int lines = VectorLines;
        while (moved)
        {
            moved = false;
            int n = ReadLinks(ep, level, s.Links, concurrent);
            for (int i = 0; i < n; i++) Prefetch(s.Links[i], 1);
            int current = ep;
            for (int i = 0; i < n; i++)
            {
                if (i + 1 < n) Prefetch(s.Links[i + 1], lines);
                int nb = s.Links[i];
                float sim = Sim(q, nb);
                s.Distances++;
                if (sim > best) { best = sim; ep = nb; }
            }
            moved = ep != current;
        }
        return ep;
    }

    /// <summary>
    /// Algorithm 2 (SEARCH-LAYER): best-first search from <paramref name="ep"/> keeping the
    /// <paramref name="ef"/> most similar nodes, written to <see cref="SearchScratch.Found"/> most similar
    /// first (ties by node number). With <paramref name="excludeDeleted"/>, deleted nodes are expanded but
    /// not kept. The unvisited neighbours of a node are gathered first and their vectors prefetched (the
    /// next one in full while the current one is scored), so memory latency overlaps arithmetic.
    /// </summary>
    private void SearchLayer(SearchScratch s, ReadOnlySpan<float> q, int ep, int ef, int level, bool excludeDeleted, bool concurrent)
    {
        var visited = s.Visited;
        visited.Reset(_count);
        var cand = s.Candidates;
        var res = s.Results;
        cand.Clear();
        res.Clear();
        int lines = VectorLines;
        bool anyDeleted = excludeDeleted && _deletedCount > 0;

        float s0 = Sim(q, ep);
        visited.Add(ep);
        cand.Push(-s0, ep);
        if (!anyDeleted || !_deleted[ep]) res.Push(s0, ep);

        while (cand.Count > 0)
        {
            float cs = -cand.TopKey;
            int c = cand.TopNode;
            if (res.Count >= ef && cs < res.TopKey) break;
            cand.Pop();
            int n = ReadLinks(c, level, s.Links, concurrent);
            int fresh = 0;
            for (int i = 0; i < n; i++)
            {
                int nb = s.Links[i];
                if (!visited.Add(nb)) continue;
                s.Fresh[fresh++] = nb;
                Prefetch(nb, 1);
            }
            for (int i = 0; i < fresh; i++)
            {
                if (i + 1 < fresh) Prefetch(s.Fresh[i + 1], lines);
                int nb = s.Fresh[i];
                float sim = Sim(q, nb);
                s.Distances++;
                if (res.Count < ef || sim > res.TopKey)
                {
                    cand.Push(-sim, nb);
                    if (!anyDeleted || !_deleted[nb])
                    {
                        res.Push(sim, nb);
                        if (res.Count > ef) res.Pop();
                    }
                }
            }
        }

        int count = res.Count;
        if (s.Found.Length < count) s.Found = new (int, float)[count];
        for (int i = count - 1; i >= 0; i--)
        {
            s.Found[i] = (res.TopNode, res.TopKey);
            res.Pop();
        }
        s.FoundCount = count;
    }

    /// <summary>
    /// Algorithm 4 (SELECT-NEIGHBORS-HEURISTIC) without extension or pruned-fill: walk
    /// <paramref name="sorted"/> (most similar first) and keep a candidate only if it is more similar to
    /// the base than to every neighbour kept so far. Writes at most <paramref name="m"/> nodes to
    /// <paramref name="kept"/>; returns how many.
    /// </summary>
    private int SelectNeighbours(ReadOnlySpan<(int Node, float Sim)> sorted, int m, Span<int> kept)
    {
        int count = 0;
        if (sorted.Length <= m)
        {
            foreach (var c in sorted) kept[count++] = c.Node;
            return count;
        }
        foreach (var (node, sim) in sorted)
        {
            if (count >= m) break;
            var v = Vec(node);
            bool diverse = true;
            for (int i = 0; i < count; i++)
                if (VectorKernels.Dot(v, Vec(kept[i])) > sim) { diverse = false; break; }
            if (diverse) kept[count++] = node;
        }
        return count;
    }

    /// <summary>
    /// Sets the new node's own links on a layer. Links other inserts already made to it are merged back in;
    /// with the publication order of <see cref="Insert"/> there are none (nobody can reach the node yet),
    /// the merge only keeps the list whole if that order is ever relaxed.
    /// </summary>
    private void SetLinks(SearchScratch s, int node, int level, ReadOnlySpan<int> chosen, bool concurrent)
    {
        if (concurrent) Monitor.Enter(_nodeLocks[node & (LockStripes - 1)]);
        try
        {
            var links = Links(node, level);
            int earlier = links[0];
            Span<int> before = earlier == 0 ? [] : links.Slice(1, earlier).ToArray();
            links[0] = chosen.Length;
            chosen.CopyTo(links[1..]);
            foreach (int e in before)
                if (!chosen.Contains(e)) Connect(s, node, e, level, concurrent: false); // lock already held
        }
        finally
        {
            if (concurrent) Monitor.Exit(_nodeLocks[node & (LockStripes - 1)]);
        }
    }

    /// <summary>Adds a link e → node on a layer, shrinking e's list with the heuristic when it overflows.</summary>
    private void Connect(SearchScratch s, int e, int node, int level, bool concurrent)
    {
        if (concurrent) Monitor.Enter(_nodeLocks[e & (LockStripes - 1)]);
        try
        {
            var links = Links(e, level);
            int count = links[0], max = level == 0 ? _p.MaxM0 : _p.M;
            for (int i = 1; i <= count; i++) if (links[i] == node) return;
            if (count < max)
            {
                links[1 + count] = node;
                links[0] = count + 1;
                return;
            }
            var ve = Vec(e);
            var cands = s.ConnectCandidates;
            for (int i = 0; i < count; i++) cands[i] = (links[1 + i], VectorKernels.Dot(ve, Vec(links[1 + i])));
            cands[count] = (node, VectorKernels.Dot(ve, Vec(node)));
            var span = cands.AsSpan(0, count + 1);
            span.Sort(static (a, b) => a.Sim != b.Sim ? b.Sim.CompareTo(a.Sim) : a.Node.CompareTo(b.Node));
            int kept = SelectNeighbours(span, max, s.Kept);
            links[0] = kept;
            s.Kept.AsSpan(0, kept).CopyTo(links[1..]);
        }
        finally
        {
            if (concurrent) Monitor.Exit(_nodeLocks[e & (LockStripes - 1)]);
        }
    }
}
