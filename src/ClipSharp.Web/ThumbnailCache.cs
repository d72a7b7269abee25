using ClipSharp.Imaging;
using ClipSharp.Imaging.Conversion;
using ClipSharp.Imaging.Encoding;
using ClipSharp.Imaging.Resampling;

namespace ClipSharp.Web;

/// <summary>
/// PNG thumbnails of image files, made on first request and kept in memory up to a byte budget
/// (least recently used dropped first). A thumbnail is the EXIF-oriented RGB image scaled so its longest
/// side is at most <c>size</c>, with the Pillow-exact bicubic resampler (Pillow's
/// <c>resize((w, h), BICUBIC)</c>); large JPEGs are first decoded at a reduced size in the DCT domain, as
/// Pillow's <c>thumbnail()</c> does with <c>draft()</c>. With <paramref name="confineTo"/>, only files whose
/// real path (checked on every read, see <see cref="ConfinedFile"/>) lies under that folder are read. Thread-safe.
/// </summary>
public sealed class ThumbnailCache(int size, long budgetBytes, string? confineTo = null)
{
    /// <summary>Largest image file a thumbnail is made from.</summary>
    public const long MaxFileBytes = 256L << 20;

    private readonly ConfinedFile? _confined = confineTo == null ? null : new ConfinedFile(confineTo);
    private readonly object _gate = new();
    private readonly Dictionary<long, LinkedListNode<(long Key, byte[] Png)>> _map = [];
    private readonly LinkedList<(long Key, byte[] Png)> _lru = new();
    private long _bytes;

    /// <summary>Bytes currently held.</summary>
    public long Bytes { get { lock (_gate) return _bytes; } }

    /// <summary>The cached thumbnail for <paramref name="key"/>, or one made from the file at <paramref name="path"/>.</summary>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="OutsideRootException">The file now resolves outside the folder the cache is confined to.</exception>
    /// <exception cref="InvalidDataException">The file is not a supported image.</exception>
    public byte[] Get(long key, string path)
    {
        lock (_gate)
        {
            if (_map.TryGetValue(key, out var node))
            {
                _lru.Remove(node);
                _lru.AddFirst(node);
                return node.Value.Png;
            }
        }
        var data = _confined?.ReadAllBytes(path, MaxFileBytes) ?? File.ReadAllBytes(path);
        var png = Make(data, path, size);   // outside the lock: decoding takes a while
        lock (_gate)
        {
            if (_map.ContainsKey(key) || png.Length > budgetBytes) return png;
            _map[key] = _lru.AddFirst((key, png));
            _bytes += png.Length;
            while (_bytes > budgetBytes && _lru.Last is { } last)
            {
                _lru.RemoveLast();
                _map.Remove(last.Value.Key);
                _bytes -= last.Value.Png.Length;
            }
        }
        return png;
    }

    /// <summary>A PNG of the image in <paramref name="data"/> whose longest side is at most <paramref name="size"/>.</summary>
    public static byte[] Make(byte[] data, string nameForErrors, int size)
    {
        var frame = ImageDecoder.DecodeDraft(data, nameForErrors, 2 * size, 2 * size);
        var rgb = RgbConverter.ToRgb(Orientation.ApplyOrientation(frame));
        int longest = Math.Max(rgb.Width, rgb.Height);
        if (longest > size)
        {
            int w = Math.Max(1, (int)Math.Round((double)rgb.Width * size / longest));
            int h = Math.Max(1, (int)Math.Round((double)rgb.Height * size / longest));
            rgb = Resampler.Resize(rgb, w, h, ResampleFilter.Bicubic);
        }
        return PngWriter.Encode(rgb);
    }
}
