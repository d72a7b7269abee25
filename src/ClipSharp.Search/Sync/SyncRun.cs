using System.Diagnostics;
using System.Security.Cryptography;
using System.Threading.Channels;
using ClipSharp.Search.Embedding;
using ClipSharp.Search.Store;
using ClipSharp.Search.Vectors;

namespace ClipSharp.Search.Sync;

/// <summary>
/// One folder sync. Stages: walk and compare with the database (size + mtime); worker threads read,
/// hash (SHA-256) and — unless the content is already indexed — prepare each new or changed file,
/// feeding a bounded channel; the calling task plans database changes in arrival order, embeds prepared
/// images in batches and commits each batch in one transaction. Files whose content is known are moved,
/// touched or copied without the model. Deleted files are dropped at the end of a complete run.
/// </summary>
internal sealed class SyncRun
{
    private readonly EmbeddingStore _store;
    private readonly object _gate;
    private readonly IEmbeddingSource _source;
    private readonly SyncOptions _options;
    private readonly VectorPrecision _precision;
    private readonly IProgress<IndexProgress>? _progress;
    private readonly SyncReport _report = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    // state of the index as planned so far (committed rows + planned changes), touched only by the planning task
    private Dictionary<string, ImageRecord> _byPath = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<ImageRecord>> _byHash = new(StringComparer.Ordinal);
    private readonly Dictionary<long, ImageRecord> _missing = new();
    private HashSet<string> _knownHashes = new(StringComparer.Ordinal); // snapshot read by workers

    private readonly List<Action<StoreBatch, float[][]>> _pendingOps = [];
    private readonly List<PreparedImage> _pendingImages = [];

    /// <summary>New content embedded in the batch being planned (not committed yet), by hash: a second file with the same
    /// content in the same batch copies its embedding, as it would once the first is committed (whatever the order in
    /// which the decode workers deliver them).</summary>
    private readonly Dictionary<string, PendingContent> _pendingByHash = [];

    private sealed class PendingContent(int width, int height)
    {
        public int Width { get; } = width;
        public int Height { get; } = height;
        public long Id { get; set; } = -1;          // set when its row is inserted (earlier in the same transaction)
        public string? Failure { get; set; }        // set instead when the model gave no usable embedding
    }
    private readonly List<Action> _afterCommit = [];
    private int _pendingResults, _done, _total, _failed;

    public SyncRun(EmbeddingStore store, object gate, IEmbeddingSource source, SyncOptions options, VectorPrecision precision,
        IProgress<IndexProgress>? progress)
    {
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "BatchSize must be ≥ 1");
        if (options.DecodeThreads < 1) throw new ArgumentOutOfRangeException(nameof(options), options.DecodeThreads, "DecodeThreads must be ≥ 1");
        _store = store; _gate = gate; _source = source; _options = options; _precision = precision; _progress = progress;
    }

    private abstract record WorkItem(WalkedFile File);
    private sealed record Failed(WalkedFile File, string Reason) : WorkItem(File);
    private sealed record Hashed(WalkedFile File, byte[] Hash, string HashHex, PreparedImage? Prepared) : WorkItem(File);

    public async Task<SyncReport> RunAsync(WalkResult walk, CancellationToken ct)
    {
        var suspects = Plan(walk);
        _total = suspects.Count;
        Report(SyncPhase.Scanning);

        using var workerCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var channel = Channel.CreateBounded<WorkItem>(new BoundedChannelOptions(_options.QueueCapacity ?? 2 * _options.BatchSize)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        int next = -1;
        var workers = Enumerable.Range(0, Math.Min(_options.DecodeThreads, Math.Max(1, suspects.Count))).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                int i = Interlocked.Increment(ref next);
                if (i >= suspects.Count) return;
                workerCts.Token.ThrowIfCancellationRequested();
                await channel.Writer.WriteAsync(Process(suspects[i], workerCts.Token), workerCts.Token).ConfigureAwait(false);
            }
        }, workerCts.Token)).ToArray();
        var allWorkers = Task.WhenAll(workers);
        _ = allWorkers.ContinueWith(t => channel.Writer.TryComplete(t.Exception?.GetBaseException()), TaskScheduler.Default);

        try
        {
            await foreach (var item in channel.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                Apply(item);
                if (_pendingImages.Count >= _options.BatchSize || _pendingResults >= 4 * _options.BatchSize) Flush(ct);
            }
            Flush(ct);
        }
        catch
        {
            workerCts.Cancel();
            try { await allWorkers.ConfigureAwait(false); } catch { /* the first error is the one that matters */ }
            throw;
        }
        await allWorkers.ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
        RemoveMissing(walk);
        _report.Elapsed = _clock.Elapsed;
        Report(SyncPhase.Finished);
        return _report;
    }

    /// <summary>Compares the walk with the database; returns the files that must be read.</summary>
    private List<WalkedFile> Plan(WalkResult walk)
    {
        List<ImageRecord> images;
        Dictionary<string, FailureRecord> failures;
        lock (_gate)
        {
            images = _store.LoadImages();
            failures = _store.LoadFailures();
        }
        _byPath = images.ToDictionary(r => r.Path, StringComparer.Ordinal);
        foreach (var r in images) AddHash(r);
        _knownHashes = new HashSet<string>(_byHash.Keys, StringComparer.Ordinal);
        _report.Found = walk.Files.Count;
        _report.Skipped.AddRange(walk.Skipped);
        _report.Failures.AddRange(walk.Refused);

        var found = new HashSet<string>(walk.Files.Select(f => f.RelativePath), StringComparer.Ordinal);
        foreach (var r in images)
            if (!found.Contains(r.Path)) _missing[r.Id] = r;

        var suspects = new List<WalkedFile>();
        foreach (var f in walk.Files)
        {
            if (_byPath.TryGetValue(f.RelativePath, out var r) && r.Size == f.Size && r.MtimeTicks == f.MtimeTicks)
                _report.Unchanged++;
            else if (r == null && failures.TryGetValue(f.RelativePath, out var bad) && bad.Size == f.Size && bad.MtimeTicks == f.MtimeTicks)
                _report.Failures.Add(new SyncIssue(f.RelativePath, bad.Reason)); // failed before, file unchanged since
            else
                suspects.Add(f);
        }
        return suspects;
    }

    /// <summary>Worker: read, hash and (unless the content is indexed) prepare one file.</summary>
    private WorkItem Process(WalkedFile f, CancellationToken ct)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(f.FullPath); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new Failed(f, $"cannot read file: {e.Message}");
        }
        var hash = SHA256.HashData(bytes);
        string hex = Convert.ToHexString(hash);
        if (_knownHashes.Contains(hex)) return new Hashed(f, hash, hex, null);
        ct.ThrowIfCancellationRequested();
        return TryPrepare(f, bytes, hash, hex);
    }

    private WorkItem TryPrepare(WalkedFile f, byte[] bytes, byte[] hash, string hex)
    {
        try
        {
            var prepared = _source.Prepare(bytes, f.FullPath);
            return new Hashed(f, hash, hex, prepared);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new Failed(f, e is InvalidDataException or NotSupportedException or IOException ? e.Message : $"{e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>Plans the database changes for one worker result, in arrival order.</summary>
    private void Apply(WorkItem item)
    {
        _pendingResults++;
        var f = item.File;
        _byPath.TryGetValue(f.RelativePath, out var existing);
        if (item is Failed failed)
        {
            if (existing != null) PlanDelete(existing); // the indexed content is gone; do not keep a stale embedding
            PlanFailure(f, failed.Reason);
            return;
        }
        var h = (Hashed)item;
        if (existing != null && Convert.ToHexString(existing.Sha256) == h.HashHex)
        {
            var touched = existing with { Size = f.Size, MtimeTicks = f.MtimeTicks };
            _byPath[f.RelativePath] = touched;
            ReplaceHash(existing, touched);
            _pendingOps.Add((b, _) => { b.UpdateFile(existing.Id, f.RelativePath, f.Size, f.MtimeTicks); b.ClearFailure(f.RelativePath); });
            _afterCommit.Add(() => _report.Touched++);
            return;
        }
        if (existing != null) PlanDelete(existing);
        bool changed = existing != null;

        var sources = _byHash.GetValueOrDefault(h.HashHex);
        var moveFrom = sources?.FirstOrDefault(s => _missing.ContainsKey(s.Id));
        if (moveFrom != null)
        {
            _missing.Remove(moveFrom.Id);
            _byPath.Remove(moveFrom.Path);
            var moved = moveFrom with { Path = f.RelativePath, Size = f.Size, MtimeTicks = f.MtimeTicks };
            _byPath[f.RelativePath] = moved;
            ReplaceHash(moveFrom, moved);
            _pendingOps.Add((b, _) => { b.UpdateFile(moveFrom.Id, f.RelativePath, f.Size, f.MtimeTicks); b.ClearFailure(f.RelativePath); });
            _afterCommit.Add(() => { if (changed) _report.Changed++; else _report.Moved++; });
            return;
        }
        if (_pendingByHash.TryGetValue(h.HashHex, out var twin))
        {
            _byPath[f.RelativePath] = new ImageRecord(-1, f.RelativePath, f.Size, f.MtimeTicks, h.Hash, twin.Width, twin.Height, DateTime.UtcNow);
            _pendingOps.Add((b, _) =>
            {
                if (twin.Failure is { } reason)
                {
                    b.RecordFailure(f.RelativePath, f.Size, f.MtimeTicks, reason);
                    _afterCommit.Add(() => { _byPath.Remove(f.RelativePath); _report.Failures.Add(new SyncIssue(f.RelativePath, reason)); _failed++; });
                    return;
                }
                long id = b.InsertImageCopyingEmbeddings(f.RelativePath, f.Size, f.MtimeTicks, h.Hash, twin.Width, twin.Height, twin.Id);
                b.ClearFailure(f.RelativePath);
                var row = new ImageRecord(id, f.RelativePath, f.Size, f.MtimeTicks, h.Hash, twin.Width, twin.Height, DateTime.UtcNow);
                _afterCommit.Add(() => { _byPath[f.RelativePath] = row; AddHash(row); if (changed) _report.Changed++; else _report.Copied++; });
            });
            return;
        }
        var copyFrom = sources?.FirstOrDefault();
        if (copyFrom != null)
        {
            var placeholder = copyFrom with { Id = -1, Path = f.RelativePath, Size = f.Size, MtimeTicks = f.MtimeTicks };
            _byPath[f.RelativePath] = placeholder;
            _pendingOps.Add((b, _) =>
            {
                long id = b.InsertImageCopyingEmbeddings(f.RelativePath, f.Size, f.MtimeTicks, h.Hash, copyFrom.Width, copyFrom.Height, copyFrom.Id);
                b.ClearFailure(f.RelativePath);
                var row = placeholder with { Id = id };
                _afterCommit.Add(() => { _byPath[f.RelativePath] = row; AddHash(row); });
            });
            _afterCommit.Add(() => { if (changed) _report.Changed++; else _report.Copied++; });
            return;
        }
        // content not indexed anywhere (any more): needs the model
        var prepared = h.Prepared;
        if (prepared == null)
        {
            // the worker saw this content indexed, but its only row was replaced meanwhile: prepare here
            byte[] bytes;
            try { bytes = File.ReadAllBytes(f.FullPath); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { PlanFailure(f, $"cannot read file: {e.Message}"); return; }
            var retry = TryPrepare(f, bytes, h.Hash, h.HashHex);
            if (retry is Failed again) { PlanFailure(f, again.Reason); return; }
            prepared = ((Hashed)retry).Prepared!;
        }
        int slot = _pendingImages.Count;
        _pendingImages.Add(prepared);
        var img = prepared;
        var content = new PendingContent(img.Width, img.Height);
        _pendingByHash[h.HashHex] = content;
        _pendingOps.Add((b, vectors) =>
        {
            var v = vectors[slot];
            if (v.Length == 0)
            {
                const string reason = "the model returned a zero or non-finite embedding";
                content.Failure = reason;
                if (changed) b.ClearFailure(f.RelativePath);
                b.RecordFailure(f.RelativePath, f.Size, f.MtimeTicks, reason);
                _afterCommit.Add(() => { _report.Failures.Add(new SyncIssue(f.RelativePath, reason)); _failed++; });
                return;
            }
            long id = b.InsertImage(f.RelativePath, f.Size, f.MtimeTicks, h.Hash, img.Width, img.Height, _source.ModelId, v, _precision);
            content.Id = id;
            b.ClearFailure(f.RelativePath);
            var row = new ImageRecord(id, f.RelativePath, f.Size, f.MtimeTicks, h.Hash, img.Width, img.Height, DateTime.UtcNow);
            _afterCommit.Add(() => { _byPath[f.RelativePath] = row; AddHash(row); _report.Embedded++; if (changed) _report.Changed++; else _report.Added++; });
        });
    }

    private void PlanDelete(ImageRecord r)
    {
        _byPath.Remove(r.Path);
        RemoveHash(r);
        if (r.Id > 0) _pendingOps.Add((b, _) => b.DeleteImage(r.Id));
    }

    private void PlanFailure(WalkedFile f, string reason)
    {
        _pendingOps.Add((b, _) => b.RecordFailure(f.RelativePath, f.Size, f.MtimeTicks, reason));
        _afterCommit.Add(() => { _report.Failures.Add(new SyncIssue(f.RelativePath, reason)); _failed++; });
    }

    /// <summary>Embeds the pending images and commits every planned change in one transaction.</summary>
    private void Flush(CancellationToken ct)
    {
        if (_pendingOps.Count == 0) return;
        ct.ThrowIfCancellationRequested();
        var vectors = _pendingImages.Count == 0 ? [] : Embed(ct);
        ct.ThrowIfCancellationRequested();
        lock (_gate)
        {
            using var batch = _store.BeginBatch();
            foreach (var op in _pendingOps) op(batch, vectors);
            batch.Commit();
        }
        // ops may queue further after-commit actions while running; run them all now that the data is durable
        for (int i = 0; i < _afterCommit.Count; i++) _afterCommit[i]();
        _done += _pendingResults;
        _pendingOps.Clear(); _pendingImages.Clear(); _pendingByHash.Clear(); _afterCommit.Clear(); _pendingResults = 0;
        Report(SyncPhase.Indexing);
    }

    private float[][] Embed(CancellationToken ct)
    {
        var vectors = _source.EmbedBatch(_pendingImages, ct);
        if (vectors.Length != _pendingImages.Count)
            throw new InvalidOperationException($"model '{_source.ModelId}' returned {vectors.Length} embeddings for {_pendingImages.Count} images");
        for (int i = 0; i < vectors.Length; i++)
        {
            if (vectors[i].Length != _source.Dimension)
                throw new InvalidOperationException($"model '{_source.ModelId}' returned an embedding of length {vectors[i].Length}, expected {_source.Dimension}");
            var v = (float[])vectors[i].Clone();
            float norm = VectorKernels.Normalize(v);
            vectors[i] = norm > 0 && float.IsFinite(norm) ? v : [];
        }
        return vectors;
    }

    /// <summary>After a complete run: drop rows whose files are gone and failure records of vanished files.</summary>
    private void RemoveMissing(WalkResult walk)
    {
        var found = new HashSet<string>(walk.Files.Select(f => f.RelativePath), StringComparer.Ordinal);
        lock (_gate)
        {
            var staleFailures = _store.LoadFailures().Keys.Where(p => !found.Contains(p)).ToList();
            if (_missing.Count == 0 && staleFailures.Count == 0) return;
            using var batch = _store.BeginBatch();
            foreach (var r in _missing.Values) batch.DeleteImage(r.Id);
            foreach (var p in staleFailures) batch.ClearFailure(p);
            batch.Commit();
        }
        _report.Removed = _missing.Count;
    }

    private void AddHash(ImageRecord r)
    {
        string hex = Convert.ToHexString(r.Sha256);
        if (!_byHash.TryGetValue(hex, out var list)) _byHash[hex] = list = [];
        list.Add(r);
    }

    private void RemoveHash(ImageRecord r)
    {
        string hex = Convert.ToHexString(r.Sha256);
        if (_byHash.TryGetValue(hex, out var list)) list.RemoveAll(x => x.Id == r.Id && x.Path == r.Path);
    }

    private void ReplaceHash(ImageRecord old, ImageRecord updated)
    {
        RemoveHash(old);
        AddHash(updated);
    }

    private void Report(SyncPhase phase)
    {
        if (_progress == null) return;
        var elapsed = _clock.Elapsed;
        double rate = _done / Math.Max(elapsed.TotalSeconds, 1e-9);
        TimeSpan? eta = _done > 0 && rate > 0 ? TimeSpan.FromSeconds((_total - _done) / rate) : null;
        _progress.Report(new IndexProgress(phase, _done, _total, _failed, elapsed, rate, eta));
    }
}
