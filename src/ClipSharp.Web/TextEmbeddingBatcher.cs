namespace ClipSharp.Web;

/// <summary>
/// Text query embeddings for a server: answered from a bounded LRU cache keyed by model and text when
/// possible; otherwise queued, and one worker embeds everything queued (up to <c>maxBatch</c> texts) in a
/// single forward pass. There is no waiting window: while one pass runs, the texts that arrive meanwhile
/// gather into the next, so an idle server answers at once and a busy one batches as deep as its load.
/// Concurrent requests for the same text share one embedding. With <c>maxBatch</c> 1 batching is off: each
/// request not answered by the cache runs its own forward pass (nothing queued or shared), as a server without
/// the batcher would, so the two can be measured against each other. Returned arrays are shared: do not modify.
/// </summary>
internal sealed class TextEmbeddingBatcher(string modelId, Func<IReadOnlyList<string>, float[][]> embed, int maxBatch, int cacheEntries)
{
    private readonly Lock _gate = new();
    private readonly LruCache<(string Model, string Text), float[]> _cache = new(cacheEntries);
    private readonly Dictionary<string, TaskCompletionSource<float[]>> _inFlight = [];
    private readonly Queue<string> _queue = new();
    private bool _draining;
    private long _passes, _embedded, _hits;

    public int MaxBatch { get; } = maxBatch >= 1 ? maxBatch : throw new ArgumentOutOfRangeException(nameof(maxBatch), "must be >= 1");

    /// <summary>Forward passes run so far.</summary>
    public long ForwardPasses => Interlocked.Read(ref _passes);

    /// <summary>Texts embedded so far (each pass embeds one or more).</summary>
    public long TextsEmbedded => Interlocked.Read(ref _embedded);

    /// <summary>Requests answered from the cache.</summary>
    public long CacheHits => Interlocked.Read(ref _hits);

    /// <summary>The (normalised) embedding of <paramref name="text"/>.</summary>
    public Task<float[]> EmbedAsync(string text)
    {
        if (_cache.TryGet((modelId, text), out var cached))
        {
            Interlocked.Increment(ref _hits);
            return Task.FromResult(cached);
        }
        if (MaxBatch == 1) return Task.Run(() => EmbedAlone(text));
        bool start = false;
        TaskCompletionSource<float[]>? waiter;
        lock (_gate)
        {
            if (!_inFlight.TryGetValue(text, out waiter))
            {
                waiter = new TaskCompletionSource<float[]>(TaskCreationOptions.RunContinuationsAsynchronously);
                _inFlight[text] = waiter;
                _queue.Enqueue(text);
                start = !_draining;
                _draining = true;
            }
        }
        if (start) _ = Task.Run(Drain);
        return waiter.Task;
    }

    private float[] EmbedAlone(string text)
    {
        var vectors = embed([text]);
        Interlocked.Increment(ref _passes);
        Interlocked.Increment(ref _embedded);
        if (vectors.Length != 1) throw new InvalidOperationException($"text encoder returned {vectors.Length} embeddings for 1 text");
        _cache.Set((modelId, text), vectors[0]);
        return vectors[0];
    }

    private void Drain()
    {
        while (true)
        {
            var batch = new List<string>();
            lock (_gate)
            {
                if (_queue.Count == 0)
                {
                    _draining = false;
                    return;
                }
                while (batch.Count < MaxBatch && _queue.TryDequeue(out var t)) batch.Add(t);
            }
            float[][]? vectors = null;
            Exception? error = null;
            try
            {
                vectors = embed(batch);
                if (vectors.Length != batch.Count) throw new InvalidOperationException($"text encoder returned {vectors.Length} embeddings for {batch.Count} texts");
            }
            catch (Exception e) { error = e; }
            Interlocked.Increment(ref _passes);
            Interlocked.Add(ref _embedded, batch.Count);
            for (int i = 0; i < batch.Count; i++)
            {
                if (vectors != null) _cache.Set((modelId, batch[i]), vectors[i]);
                TaskCompletionSource<float[]> waiter;
                lock (_gate) _inFlight.Remove(batch[i], out waiter!);
                if (vectors != null) waiter.SetResult(vectors[i]);
                else waiter.SetException(error!);
            }
        }
    }
}
