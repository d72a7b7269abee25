using System.Linq.Expressions;
using System.Runtime.CompilerServices;
using ClipSharp.Search.Embedding;
using ClipSharp.Search.Sync;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;

namespace ClipSharp.Search.VectorData;

/// <summary>One indexed image as <see cref="ClipImageCollection"/> returns it.</summary>
public sealed class ImageVectorRecord
{
    [VectorStoreKey] public long Id { get; set; }

    /// <summary>Path relative to the indexed folder ('/'-separated).</summary>
    [VectorStoreData(IsIndexed = true)] public string Path { get; set; } = "";

    /// <summary>Absolute path (for a Postgres collection opened without a root: the relative path).</summary>
    [VectorStoreData] public string FullPath { get; set; } = "";

    [VectorStoreData] public int Width { get; set; }

    [VectorStoreData] public int Height { get; set; }

    /// <summary>The stored unit embedding (cosine = dot product); null unless vectors were asked for.</summary>
    public ReadOnlyMemory<float>? Embedding { get; set; }
}

/// <summary>
/// A ClipSharp image index (SQLite <see cref="ImageIndex"/> or Postgres <see cref="Store.Postgres.PgImageIndex"/>) behind
/// Microsoft.Extensions.VectorData's <see cref="VectorStoreCollection{TKey, TRecord}"/>, so code written against that
/// abstraction searches images by text, by image or by vector. <see cref="SearchAsync{TInput}"/> takes a
/// <see cref="string"/> (a text query, embedded by the collection's model), <see cref="DataContent"/> (an encoded image),
/// or a vector (<see cref="ReadOnlyMemory{T}"/> / <c>float[]</c> / <see cref="Embedding{T}"/> of float, normalised here);
/// scores are cosine similarities, best first. The collection is read-only through this API: its contents follow the
/// folder, kept by <c>clipsharp index</c> (or <see cref="ImageIndex.SyncAsync"/>), so upserts and deletes are refused
/// with <see cref="NotSupportedException"/> rather than silently undone by the next sync.
/// </summary>
public sealed class ClipImageCollection : VectorStoreCollection<long, ImageVectorRecord>
{
    private readonly ISearchableIndex _index;
    private readonly ClipImageEmbedder _embedder;
    private readonly bool _ownsIndex;

    /// <param name="index">The index to serve; its model id must be the embedder's.</param>
    /// <param name="embedder">Embeds text and image queries with the model the index was built with.</param>
    /// <param name="name">The collection's name (default: the index's location).</param>
    /// <param name="ownsIndex">Dispose the index with the collection.</param>
    public ClipImageCollection(ISearchableIndex index, ClipImageEmbedder embedder, string? name = null, bool ownsIndex = false)
    {
        if (index.ModelId is { } model && model != embedder.ModelId)
            throw new IndexMismatchException($"{index.DatabasePath} holds embeddings of model '{model}'; the embedder is '{embedder.ModelId}'");
        (_index, _embedder, _ownsIndex) = (index, embedder, ownsIndex);
        Name = name ?? index.DatabasePath;
    }

    public override string Name { get; }

    public override Task<bool> CollectionExistsAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(_index.ModelId is not null);

    /// <summary>The index exists once opened; nothing to create (an empty index is a collection with no records).</summary>
    public override Task EnsureCollectionExistsAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public override Task EnsureCollectionDeletedAsync(CancellationToken cancellationToken = default) =>
        throw ReadOnly("delete the collection (remove the index database instead)");

    public override Task<ImageVectorRecord?> GetAsync(long key, RecordRetrievalOptions? options = null, CancellationToken cancellationToken = default) =>
        Task.FromResult(_index.GetIndexed(key, options?.IncludeVectors ?? false) is { } image ? ToRecord(image) : null);

    public override async IAsyncEnumerable<ImageVectorRecord> GetAsync(Expression<Func<ImageVectorRecord, bool>> filter, int top,
        FilteredRecordRetrievalOptions<ImageVectorRecord>? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        var keep = filter.Compile();
        int skip = options?.Skip ?? 0;
        IEnumerable<ImageVectorRecord> records = _index.ListIndexed(options?.IncludeVectors ?? false).Select(ToRecord).Where(keep);
        if (options?.OrderBy is not null)
            throw new NotSupportedException("ClipImageCollection.GetAsync: OrderBy is not supported; records come by id");
        foreach (var r in records.Skip(skip).Take(top))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return r;
        }
        await Task.CompletedTask;
    }

    public override Task DeleteAsync(long key, CancellationToken cancellationToken = default) => throw ReadOnly("delete records (remove the file and re-index)");

    public override Task UpsertAsync(ImageVectorRecord record, CancellationToken cancellationToken = default) => throw ReadOnly("upsert records (add the file and re-index)");

    public override Task UpsertAsync(IEnumerable<ImageVectorRecord> records, CancellationToken cancellationToken = default) => throw ReadOnly("upsert records (add the files and re-index)");

    /// <summary>
    /// The <paramref name="top"/> nearest images to a text, image or vector query, best first, with cosine
    /// similarity as the score. <see cref="VectorSearchOptions{TRecord}.Filter"/> is applied to the nearest
    /// candidates (the index is asked for more until enough pass or it runs out), then Skip and ScoreThreshold.
    /// </summary>
    public override async IAsyncEnumerable<VectorSearchResult<ImageVectorRecord>> SearchAsync<TInput>(TInput searchValue, int top,
        VectorSearchOptions<ImageVectorRecord>? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        var query = QueryVector(searchValue);
        if (_index.Dimension is { } d && query.Length != d)
            throw new ArgumentException($"query vector has length {query.Length}; {Name} holds {d}-d embeddings");
        options ??= new VectorSearchOptions<ImageVectorRecord>();
        if (options.VectorProperty is not null)
            throw new NotSupportedException("ClipImageCollection has one vector (the image embedding); VectorProperty must be null");
        var keep = options.Filter?.Compile();
        float? minScore = options.ScoreThreshold is { } t ? (float)t : null;
        int want = options.Skip + top;
        for (int k = Math.Max(want, 16); ; k *= 4)
        {
            var hits = _index.Search(query, k, minScore);
            var passing = new List<(ImageVectorRecord Record, float Score)>();
            foreach (var h in hits)
            {
                var image = _index.GetIndexed(h.Id, options.IncludeVectors);
                if (image is null) continue;
                var record = ToRecord(image);
                if (keep is null || keep(record)) passing.Add((record, h.Score));
            }
            if (passing.Count >= want || hits.Count < k)
            {
                foreach (var (record, score) in passing.Skip(options.Skip).Take(top))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    yield return new VectorSearchResult<ImageVectorRecord>(record, score);
                }
                break;
            }
        }
        await Task.CompletedTask;
    }

    public override object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(VectorStoreCollectionMetadata) ? new VectorStoreCollectionMetadata
        {
            VectorStoreSystemName = _index is ImageIndex ? "clipsharp-sqlite" : "clipsharp-postgres",
            VectorStoreName = _index.DatabasePath,
            CollectionName = Name,
        }
        : serviceType.IsInstanceOfType(_index) ? _index
        : serviceType.IsInstanceOfType(_embedder) ? _embedder
        : serviceType.IsInstanceOfType(this) ? this
        : null;

    protected override void Dispose(bool disposing)
    {
        if (disposing && _ownsIndex) _index.Dispose();
        base.Dispose(disposing);
    }

    private float[] QueryVector<TInput>(TInput value) => value switch
    {
        string text => _embedder.EmbedText(text),
        DataContent image => _embedder.EmbedImage(image.Data.ToArray(), image.Name ?? "query image"),
        ReadOnlyMemory<float> v => ClipPipeline.Normalize(v.Span),
        float[] v => ClipPipeline.Normalize(v),
        Embedding<float> e => ClipPipeline.Normalize(e.Vector.Span),
        null => throw new ArgumentNullException(nameof(value)),
        _ => throw new NotSupportedException(
            $"ClipImageCollection searches by string (text), DataContent (image) or a float vector, not {typeof(TInput).Name}"),
    };

    private static ImageVectorRecord ToRecord(IndexedImage image) => new()
    {
        Id = image.Id,
        Path = image.RelativePath,
        FullPath = image.FullPath,
        Width = image.Width,
        Height = image.Height,
        // Typed so: a bare null here would convert through float[] to an empty memory, not to "no vector".
        Embedding = image.Embedding is { } e ? new ReadOnlyMemory<float>(e) : default(ReadOnlyMemory<float>?),
    };

    private NotSupportedException ReadOnly(string what) =>
        new($"{Name}: ClipImageCollection cannot {what}; the collection follows its folder, kept by `clipsharp index`");
}
