using ClipSharp.Distributed;

namespace ClipSharp.Tests;

/// <summary>
/// A data-parallel job whose ranks are threads of this process, for testing the trainer's exchange without
/// mpirun: each collective posts this rank's data, waits for every rank, then combines the posts in rank
/// order (so every rank gets bit-identical results, as MPI's reductions give). A rank that stops calling
/// makes the others fail after <see cref="Timeout"/> instead of hanging the test run.
/// </summary>
internal sealed class InProcessJob
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private readonly Barrier _barrier;
    private readonly object?[] _posts;

    public IReadOnlyList<ICollective> Ranks { get; }

    public InProcessJob(int size)
    {
        _barrier = new Barrier(size);
        _posts = new object?[size];
        Ranks = Enumerable.Range(0, size).Select(r => (ICollective)new Member(this, r)).ToArray();
    }

    /// <summary>Runs <paramref name="body"/> once per rank on its own thread and returns each rank's result.</summary>
    public T[] Run<T>(Func<ICollective, T> body)
    {
        var results = new T[Ranks.Count];
        var threads = new Thread[Ranks.Count];
        var errors = new Exception?[Ranks.Count];
        for (int r = 0; r < threads.Length; r++)
        {
            int rank = r;
            threads[r] = new Thread(() =>
            {
                try { results[rank] = body(Ranks[rank]); }
                catch (Exception e) { errors[rank] = e; }
            });
            threads[r].Start();
        }
        foreach (var t in threads) t.Join();
        if (errors.Any(e => e is not null)) throw new AggregateException(errors.OfType<Exception>());
        return results;
    }

    private void Wait()
    {
        if (!_barrier.SignalAndWait(Timeout)) throw new TimeoutException("a rank did not reach the collective");
    }

    /// <summary>Posts <paramref name="mine"/>, waits for all, lets <paramref name="combine"/> read every post, waits again.</summary>
    private void Exchange(int rank, object? mine, Action<object?[]> combine)
    {
        _posts[rank] = mine;
        Wait();
        combine(_posts);
        Wait();
    }

    private sealed class Member(InProcessJob job, int rank) : ICollective
    {
        public int Rank => rank;
        public int Size => job.Ranks.Count;

        public void AllReduceSum(Span<float> values)
        {
            var sum = new float[values.Length];
            job.Exchange(rank, values.ToArray(), posts =>
            {
                foreach (float[] post in posts.Cast<float[]>())
                    for (int i = 0; i < sum.Length; i++) sum[i] += post[i];
            });
            sum.CopyTo(values);
        }

        public void AllGather(ReadOnlySpan<float> local, Span<float> all) => Gather(local, all);
        public void AllGather(ReadOnlySpan<int> local, Span<int> all) => Gather(local, all);

        private void Gather<T>(ReadOnlySpan<T> local, Span<T> all)
        {
            if (all.Length != local.Length * Size) throw new ArgumentException("gather size");
            var joined = new T[all.Length];
            int n = local.Length;
            job.Exchange(rank, local.ToArray(), posts =>
            {
                for (int r = 0; r < posts.Length; r++) ((T[])posts[r]!).CopyTo(joined, r * n);
            });
            joined.CopyTo(all);
        }

        public void Broadcast(Span<byte> data, int root)
        {
            byte[]? received = null;
            job.Exchange(rank, rank == root ? data.ToArray() : null, posts => received = (byte[])posts[root]!);
            received!.CopyTo(data);
        }

        public void Barrier() => job.Exchange(rank, null, _ => { });
    }
}
