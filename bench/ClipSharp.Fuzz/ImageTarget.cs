using System.Buffers.Binary;
using System.IO.Compression;
using ClipSharp.Imaging;
using ClipSharp.Imaging.Tests;

namespace ClipSharp.Fuzz;

/// <summary>
/// Every image decoder: JPEG (baseline, progressive, restart intervals, odd sampling), PNG (every colour
/// type and depth, interlaced, 16-bit, palette), GIF and BMP. Seeds are the decoder test images, the
/// shared fixture images and a few generated files; PNG inputs usually get their CRCs recomputed (else
/// the CRC check refuses nearly everything) and sometimes have their inflated IDAT rows mutated and
/// recompressed. Each input is decoded with the file limits, the upload limits or in draft mode.
/// </summary>
internal sealed class ImageTarget : IFuzzTarget
{
    private readonly List<(string Name, byte[] Bytes, int Weight)> _seeds = [];
    private readonly int _totalWeight;

    public ImageTarget(string repoRoot, string shared)
    {
        void AddDir(string dir, Func<string, bool> keep)
        {
            if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"fuzz seeds missing: {dir}");
            foreach (var f in Directory.GetFiles(dir).Where(keep).Order(StringComparer.Ordinal))
            {
                var b = File.ReadAllBytes(f);
                // Large photos are slow to decode: sample them rarely so the campaign covers more inputs.
                _seeds.Add((Path.GetFileName(f), b, b.Length > 64 * 1024 ? 1 : b.Length > 8 * 1024 ? 4 : 10));
            }
        }
        bool IsImage(string f) => f.EndsWith(".jpg") || f.EndsWith(".png") || f.EndsWith(".gif") || f.EndsWith(".bmp");
        AddDir(Path.Combine(repoRoot, "tests/ClipSharp.Imaging.Tests/data/images"), IsImage);
        AddDir(Path.Combine(repoRoot, "tests/ClipSharp.Imaging.Tests/data/jpeg"), IsImage);
        AddDir(Path.Combine(shared, "fixtures/vit-tiny/images"), IsImage);
        _seeds.Add(("gen_progressive.jpg", ImageBombs.ProgressiveJpeg(64, 48, 3, components: 3), 10));
        _seeds.Add(("gen_progressive_grey.jpg", ImageBombs.ProgressiveJpeg(40, 40, 2), 10));
        _seeds.Add(("gen_baseline.jpg", ImageBombs.BaselineJpeg(16, 16, 3, 64), 5));
        _seeds.Add(("gen_rle8.bmp", ImageBombs.Rle8Bmp(40, 30, 6), 5));
        _seeds.Add(("gen.gif", ImageBombs.Gif(20, 10), 5));
        _seeds.Add(("gen_interlaced.png", ImageBombs.Png(33, 17, 6, 17, interlaced: true), 5));
        _totalWeight = _seeds.Sum(s => s.Weight);
    }

    public string Name => "images";

    public int SeedCount => _seeds.Count;

    public string Extension(string kind) => kind[(kind.IndexOf('.') + 1)..];

    private (string Name, byte[] Bytes) PickSeed(Rng rng)
    {
        long r = rng.Below((long)_totalWeight);
        foreach (var s in _seeds)
        {
            if (r < s.Weight) return (s.Name, s.Bytes);
            r -= s.Weight;
        }
        return (_seeds[^1].Name, _seeds[^1].Bytes);
    }

    public FuzzInput Generate(ulong campaignSeed, long index)
    {
        var rng = Rng.For(campaignSeed, index, Name);
        var (name, seed) = PickSeed(rng);
        string ext = Path.GetExtension(name).TrimStart('.');
        byte[] bytes;
        if (ext == "png" && rng.Chance(25))
            bytes = MutateIdat(seed, rng) ?? Mutator.Mutate(seed, rng);
        else
            bytes = Mutator.Mutate(seed, rng, r => SameFormat(r, ext), headerBias: ext == "jpg" ? 1024 : 256);
        if (ext == "png" && rng.Chance(80)) FixPngCrcs(bytes);
        // The decode mode travels in the kind: full decode, upload limits, or draft (JPEG DCT scaling).
        string mode = rng.Below(10) switch { 0 => "upload", 1 => "draft", _ => "file" };
        return new FuzzInput($"{mode}.{ext}", bytes, name);
    }

    private byte[] SameFormat(Rng rng, string ext)
    {
        for (int i = 0; i < 8; i++)
        {
            var (n, b) = PickSeed(rng);
            if (n.EndsWith(ext)) return b;
        }
        return [];
    }

    public (Outcome, Exception?) Run(FuzzInput input)
    {
        const string name = "fuzz-input";
        try
        {
            string mode = input.Kind.Split('.')[0];
            var frame = mode switch
            {
                "upload" => ImageDecoder.Decode(input.Bytes, name, ImageDecodeLimits.Upload),
                "draft" => ImageDecoder.DecodeDraft(input.Bytes, name, 224, 224),
                _ => ImageDecoder.Decode(input.Bytes, name),
            };
            if (frame.Pixels.Length != (long)frame.Width * frame.Height * frame.BytesPerPixel)
                return (Outcome.Untyped, new InvalidOperationException($"frame {frame.Width}x{frame.Height} {frame.Mode} has {frame.Pixels.Length} bytes"));
            if (frame.Mode == PixelMode.P && frame.Palette is not { Length: >= 1024 })
                return (Outcome.Untyped, new InvalidOperationException($"palette frame with a palette of {frame.Palette?.Length} bytes"));
            return (Outcome.Accepted, null);
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException)
        {
            if (!e.Message.StartsWith(name + ": ", StringComparison.Ordinal))
                return (Outcome.Untyped, new InvalidOperationException($"refusal does not name the input: {e.Message}", e));
            return (Outcome.Refused, null);
        }
        catch (Exception e)
        {
            return (Outcome.Untyped, e);
        }
    }

    /// <summary>Recomputes every chunk CRC of a PNG so mutations reach the chunk parsers and the pixel decoder.</summary>
    private static void FixPngCrcs(byte[] b)
    {
        int pos = 8;
        while (pos + 12 <= b.Length)
        {
            uint len = BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(pos));
            if (len > (uint)(b.Length - pos - 12)) return;
            int n = (int)len;
            uint crc = Crc32.Of(b.AsSpan(pos + 4, 4 + n));
            BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(pos + 8 + n), crc);
            pos += 12 + n;
        }
    }

    /// <summary>Inflates the IDAT stream, mutates the filtered rows (filter bytes, samples, length), deflates it back into one IDAT.</summary>
    private static byte[]? MutateIdat(byte[] png, Rng rng)
    {
        var before = new MemoryStream();
        var idat = new MemoryStream();
        var after = new MemoryStream();
        int pos = 8;
        bool seen = false;
        while (pos + 12 <= png.Length)
        {
            int len = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos)), (uint)(png.Length - pos - 12));
            var type = System.Text.Encoding.ASCII.GetString(png, pos + 4, 4);
            var whole = png.AsSpan(pos, 12 + len);
            if (type == "IDAT") { idat.Write(png, pos + 8, len); seen = true; }
            else (seen ? after : before).Write(whole);
            pos += 12 + len;
        }
        if (!seen) return null;
        byte[] raw;
        try
        {
            idat.Position = 0;
            using var z = new ZLibStream(idat, CompressionMode.Decompress);
            var o = new MemoryStream();
            z.CopyTo(o);
            raw = o.ToArray();
        }
        catch (InvalidDataException) { return null; }
        raw = Mutator.Mutate(raw, rng, headerBias: raw.Length);
        var packed = new MemoryStream();
        using (var z = new ZLibStream(packed, CompressionLevel.Fastest, leaveOpen: true)) z.Write(raw);
        var result = new MemoryStream();
        result.Write(png, 0, 8);
        result.Write(before.ToArray());
        var body = packed.ToArray();
        Span<byte> l = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(l, body.Length);
        result.Write(l);
        result.Write("IDAT"u8);
        result.Write(body);
        result.Write(l); // CRC fixed afterwards
        result.Write(after.ToArray());
        return result.ToArray();
    }
}
