using System.Globalization;
using System.Text;
using ClipSharp.Search.Embedding;

namespace ClipSharp.Search.Tests;

/// <summary>
/// Test double for the CLIP model. A "fake image" file is text: <c>FAKEIMG w h v1 v2 ... vD</c>; Prepare
/// parses it (InvalidDataException for anything else) and EmbedBatch returns the vector, so tests control
/// embeddings exactly. Counts work done and can fail or cancel after a given number of batches.
/// </summary>
internal sealed class FakeEmbedder(int dimension = 8, string modelId = "fake/v1") : IEmbeddingSource
{
    private int _batches, _embedded, _prepared;

    public string ModelId => modelId;
    public int Dimension => dimension;
    public int Batches => _batches;
    public int Embedded => _embedded;
    public int Prepared => _prepared;
    public int MaxBatchSeen { get; private set; }

    /// <summary>Called with the 1-based batch number before it is embedded (throw to simulate a crash).</summary>
    public Action<int>? BeforeBatch { get; set; }

    public PreparedImage Prepare(byte[] contents, string path)
    {
        Interlocked.Increment(ref _prepared);
        var text = Encoding.ASCII.GetString(contents);
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 3 + dimension || parts[0] != "FAKEIMG")
            throw new InvalidDataException($"{path}: not a fake image ({contents.Length} bytes)");
        var v = parts[3..].Select(p => float.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        return new PreparedImage(int.Parse(parts[1]), int.Parse(parts[2]), v);
    }

    public float[][] EmbedBatch(IReadOnlyList<PreparedImage> images, CancellationToken cancellationToken)
    {
        int n = Interlocked.Increment(ref _batches);
        BeforeBatch?.Invoke(n);
        MaxBatchSeen = Math.Max(MaxBatchSeen, images.Count);
        Interlocked.Add(ref _embedded, images.Count);
        return images.Select(i => (float[])i.Data.Clone()).ToArray();
    }

    public static string Content(float[] v, int w = 64, int h = 48) =>
        $"FAKEIMG {w} {h} " + string.Join(' ', v.Select(x => x.ToString("R", CultureInfo.InvariantCulture)));

    public static float[] WriteRandom(string path, Random rng, int dimension = 8)
    {
        var v = TestVectors.RandomUnit(rng, dimension);
        Write(path, v);
        return v;
    }

    public static void Write(string path, float[] v)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, Content(v));
    }
}
