using System.Formats.Tar;
using System.Text;
using System.Text.RegularExpressions;
using ClipSharp.Imaging;

namespace ClipSharp.Training;

/// <summary>
/// WebDataset shards: tar files in which the files of one sample share a key (the path up to the first
/// '.' of the file name), e.g. <c>000123.jpg</c> + <c>000123.txt</c>. Each epoch visits the shards in a
/// fresh seeded order and streams their samples through a shuffle buffer, so samples are read
/// sequentially (as from object storage) yet leave in a well-mixed order. A sample without an image or a
/// caption is reported and skipped; a shard that turns out to be truncated or corrupt is reported and
/// the rest of it skipped. Images are decoded later, on the batch workers.
/// </summary>
public sealed partial class WebDataset : IPairSource
{
    private static readonly string[] ImageExtensions = ["jpg", "jpeg", "png", "bmp", "gif"];
    private const long MaxFileBytes = 256L << 20;
    private readonly IReadOnlyList<string> _shards;

    public WebDataset(IReadOnlyList<string> shards, int shuffleBuffer = 1000, Action<string>? log = null)
    {
        if (shards.Count == 0) throw new ArgumentException("no shards given", nameof(shards));
        foreach (var s in shards)
            if (!File.Exists(s)) throw new FileNotFoundException($"{s}: shard not found", s);
        if (shuffleBuffer < 1) throw new ArgumentOutOfRangeException(nameof(shuffleBuffer), shuffleBuffer, "the shuffle buffer holds at least one sample");
        (_shards, ShuffleBuffer, Log) = (shards, shuffleBuffer, log);
        Count = shards.Sum(s => Samples(s, counting: true).Count());
        if (Count == 0) throw new InvalidDataException($"{string.Join(", ", shards)}: no samples with both an image and a .txt caption");
    }

    public int Count { get; }

    public int ShuffleBuffer { get; }

    /// <summary>Receives one line per skipped sample or damaged shard (only while counting, so each is reported once).</summary>
    public Action<string>? Log { get; }

    public IReadOnlyList<string> Shards => _shards;

    /// <summary>
    /// Expands a shard spec: a directory (every *.tar in it, sorted), a comma-separated list, and
    /// brace ranges as in WebDataset URLs ("data/shard-{000..009}.tar", the width taken from the first bound).
    /// </summary>
    public static IReadOnlyList<string> ExpandShards(string spec)
    {
        if (Directory.Exists(spec))
            return Directory.GetFiles(spec, "*.tar").Order(StringComparer.Ordinal).ToArray();
        var result = new List<string>();
        foreach (var part in spec.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var m = BraceRange().Match(part);
            if (!m.Success) { result.Add(part); continue; }
            string from = m.Groups[1].Value, to = m.Groups[2].Value;
            long a = long.Parse(from), b = long.Parse(to);
            if (b < a) throw new ArgumentException($"{spec}: range {{{from}..{to}}} runs backwards");
            if (b - a > 1_000_000) throw new ArgumentException($"{spec}: range {{{from}..{to}}} is too long");
            for (long i = a; i <= b; i++)
                result.AddRange(ExpandShards(part[..m.Index] + i.ToString().PadLeft(from.Length, '0') + part[(m.Index + m.Length)..]));
        }
        return result;
    }

    /// <summary>True when <paramref name="spec"/> names WebDataset shards rather than a CSV file or an image folder.</summary>
    public static bool Looks(string spec) =>
        spec.EndsWith(".tar", StringComparison.OrdinalIgnoreCase) || BraceRange().IsMatch(spec)
        || (Directory.Exists(spec) && Directory.EnumerateFiles(spec, "*.tar").Any() && !Directory.EnumerateDirectories(spec).Any());

    public IEnumerable<PendingPair> Read(ulong seed, int epoch, int position)
    {
        var order = DataOrder.Permutation(_shards.Count, seed, epoch);
        ulong state = DataOrder.Mix(seed ^ 0x5EED_B0FFUL ^ ((ulong)epoch << 20));
        ulong Next() => DataOrder.Mix(state += 0x9E3779B97F4A7C15UL);
        var buffer = new List<Sample>(ShuffleBuffer);
        int emitted = 0;
        foreach (int s in order)
        {
            foreach (var sample in Samples(_shards[s], counting: false))
            {
                if (buffer.Count < ShuffleBuffer) { buffer.Add(sample); continue; }
                int j = (int)(Next() % (ulong)buffer.Count);
                var chosen = buffer[j];
                buffer[j] = sample;
                if (emitted++ >= position) yield return chosen.ToPair();
            }
        }
        while (buffer.Count > 0)
        {
            int j = (int)(Next() % (ulong)buffer.Count);
            var chosen = buffer[j];
            buffer[j] = buffer[^1];
            buffer.RemoveAt(buffer.Count - 1);
            if (emitted++ >= position) yield return chosen.ToPair();
        }
    }

    /// <summary>A sample's raw image bytes and caption, as read from its shard.</summary>
    private sealed record Sample(string Name, byte[] Image, string Caption)
    {
        public PendingPair ToPair() => new(Name, () => ImageDecoder.Decode(Image, Name), Caption);
    }

    /// <summary>
    /// The complete samples of one shard, in file order. When <paramref name="counting"/>, file contents
    /// are skipped rather than read, and problems are reported.
    /// </summary>
    private IEnumerable<Sample> Samples(string shard, bool counting)
    {
        using var stream = File.OpenRead(shard);
        using var reader = new TarReader(stream);
        string? key = null;
        byte[]? image = null;
        string? caption = null;
        while (true)
        {
            TarEntry? entry = null;
            byte[]? data = null;
            string? damage = null;
            try
            {
                entry = reader.GetNextEntry();
                if (entry is not null && entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile && entry.DataStream is { } ds)
                {
                    if (entry.Length > MaxFileBytes)
                        throw new InvalidDataException($"'{entry.Name}' is {entry.Length:N0} bytes, over the {MaxFileBytes:N0}-byte limit for one file");
                    data = counting ? [] : new byte[entry.Length];
                    ds.ReadExactly(data);
                }
                // A reader stops quietly at a cut inside a header or (when skipping contents) a file: a whole
                // archive ends with its end-of-archive marker, two zero blocks.
                if (entry is null && !EndsWithMarker(stream)) damage = "no end-of-archive marker: the file is truncated";
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException or IOException)
            {
                damage = e.Message;
            }
            string? entryKey = null, extension = null;
            if (entry?.Name is { } name)
            {
                int slash = name.LastIndexOf('/'), dot = name.IndexOf('.', slash + 1);
                if (dot > slash + 1) (entryKey, extension) = (name[..dot], name[(dot + 1)..].ToLowerInvariant());
            }
            // A new key (or the end) completes the pending sample; a damaged entry completes it only when it
            // belongs to another key, and ends the shard.
            bool completes = damage is null ? entry is null || (data is not null && entryKey is not null && entryKey != key)
                : entry is not null && entryKey != key;
            if (completes && key is not null)
            {
                if (image is not null && caption is not null) yield return new Sample($"{shard}:{key}", image, caption);
                else if (counting) Log?.Invoke($"{shard}:{key}: skipped, {(image is null ? "no image (.jpg/.png/…)" : "no caption (.txt)")}");
            }
            if (damage is not null)
            {
                if (counting) Log?.Invoke($"{shard}: damaged ({damage}); the rest of the shard is skipped");
                yield break;
            }
            if (entry is null) yield break;
            if (data is null || entryKey is null) continue;
            if (entryKey != key) (key, image, caption) = (entryKey, null, null);
            if (extension == "txt") caption = Encoding.UTF8.GetString(data).Trim();
            else if (Array.IndexOf(ImageExtensions, extension) >= 0) image = data;
        }
    }

    private static bool EndsWithMarker(FileStream stream)
    {
        if (stream.Length < 1024 || stream.Length % 512 != 0) return false;
        var tail = new byte[1024];
        stream.Seek(-1024, SeekOrigin.End);
        stream.ReadExactly(tail);
        return !tail.AsSpan().ContainsAnyExcept((byte)0);
    }

    [GeneratedRegex(@"\{(\d+)\.\.(\d+)\}")]
    private static partial Regex BraceRange();
}
