using System.Buffers.Binary;
using System.IO.Compression;
using ClipSharp.Imaging;

namespace ClipSharp.Datasets;

/// <summary>
/// Fashion-MNIST (Zalando Research): 28×28 greyscale product photos in 10 classes, read from the
/// IDX files (optionally gzipped) that Debian's dataset-fashion-mnist installs in
/// /usr/share/datasets/fashion-mnist.
/// </summary>
public sealed class FashionMnist
{
    /// <summary>The class names, in label order.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"];

    /// <summary>Debian's install location.</summary>
    public const string DebianDirectory = "/usr/share/datasets/fashion-mnist";

    public int Count => Labels.Length;
    public int Rows { get; }
    public int Columns { get; }
    public byte[] Pixels { get; }
    public byte[] Labels { get; }

    private FashionMnist(int rows, int columns, byte[] pixels, byte[] labels) =>
        (Rows, Columns, Pixels, Labels) = (rows, columns, pixels, labels);

    /// <summary>Loads the "train" or "t10k" split from <paramref name="directory"/>.</summary>
    public static FashionMnist Load(string directory, string split)
    {
        var images = Find(directory, $"{split}-images-idx3-ubyte");
        var labels = Find(directory, $"{split}-labels-idx1-ubyte");
        var (imgDims, pixels) = ReadIdx(images, 0x803);
        var (labelDims, labelBytes) = ReadIdx(labels, 0x801);
        if (imgDims[0] != labelDims[0])
            throw new InvalidDataException($"{images}: {imgDims[0]} images but {labels} has {labelDims[0]} labels");
        foreach (var l in labelBytes)
            if (l >= ClassNames.Count) throw new InvalidDataException($"{labels}: label {l} outside 0..9");
        return new FashionMnist(imgDims[1], imgDims[2], pixels, labelBytes);
    }

    /// <summary>Image <paramref name="index"/> as a greyscale frame.</summary>
    public ImageFrame Image(int index) =>
        new(Columns, Rows, PixelMode.L, Pixels.AsSpan(index * Rows * Columns, Rows * Columns).ToArray());

    private static string Find(string directory, string stem)
    {
        foreach (var candidate in new[] { stem, stem + ".gz" })
        {
            var p = Path.Combine(directory, candidate);
            if (File.Exists(p)) return p;
        }
        throw new FileNotFoundException($"Fashion-MNIST file {stem}[.gz] not found in {directory} (install Debian's dataset-fashion-mnist)");
    }

    /// <summary>Reads an IDX file: big-endian magic (0x0000, type 0x08 = ubyte, rank), dims, then data.</summary>
    private static (int[] Dims, byte[] Data) ReadIdx(string path, int expectedMagic)
    {
        using var file = File.OpenRead(path);
        using Stream s = path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionMode.Decompress) : file;
        Span<byte> word = stackalloc byte[4];
        s.ReadExactly(word);
        int magic = BinaryPrimitives.ReadInt32BigEndian(word);
        if (magic != expectedMagic) throw new InvalidDataException($"{path}: IDX magic 0x{magic:X8}, expected 0x{expectedMagic:X8}");
        int rank = magic & 0xFF;
        var dims = new int[rank];
        long total = 1;
        for (int i = 0; i < rank; i++)
        {
            s.ReadExactly(word);
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(word);
            if (dims[i] <= 0) throw new InvalidDataException($"{path}: dimension {i} is {dims[i]}");
            total *= dims[i];
        }
        if (total > Array.MaxLength) throw new InvalidDataException($"{path}: {total} values is too many");
        var data = new byte[total];
        try { s.ReadExactly(data); }
        catch (EndOfStreamException) { throw new InvalidDataException($"{path}: truncated, expected {total} data bytes"); }
        return (dims, data);
    }
}
