using System.Text;
using ClipSharp.Text.Bpe;
using ClipSharp.Text.Cleaning;

namespace ClipSharp.Text;

/// <summary>
/// CLIP's tokenizer, id-for-id with the reference (openai/CLIP simple_tokenizer + clip.tokenize):
/// clean (<see cref="TextCleaner"/>), pre-tokenise (<see cref="PreTokenizer"/>), byte-level BPE
/// (<see cref="BytePairEncoder"/>). Rows the text tower reads are <c>[sot] + ids + [eot]</c>, zero-padded
/// to the context length (77). Immutable and thread-safe.
/// </summary>
public sealed class ClipTokenizer : ITextTokenizer
{
    public const int DefaultContextLength = 77;
    /// <summary>The padding id (the reference pads with zeros).</summary>
    public const int PadId = 0;

    int ITextTokenizer.ContextLength => DefaultContextLength;
    int ITextTokenizer.PadId => PadId;

    private const string VocabResource = "ClipSharp.Text.Resources.bpe_simple_vocab_16e6.txt.gz";
    private static readonly Lazy<ClipTokenizer> DefaultInstance = new(CreateDefault);

    private readonly BytePairEncoder _bpe;
    private readonly Lazy<bool[]> _wordEnds;

    [ThreadStatic] private static List<int>? t_scratch;

    public ClipTokenizer(BpeVocabulary vocabulary)
    {
        Vocabulary = vocabulary;
        _bpe = new BytePairEncoder(vocabulary);
        _wordEnds = new Lazy<bool[]>(() =>
        {
            var ends = new bool[vocabulary.Count];
            for (int id = 0; id < ends.Length; id++)
                ends[id] = SafeToken(id).EndsWith(BpeVocabulary.EndOfWord, StringComparison.Ordinal);
            return ends;
        });
    }

    /// <summary>The tokenizer over CLIP's merges shipped inside this assembly (created once, shared).</summary>
    public static ClipTokenizer Default => DefaultInstance.Value;

    public BpeVocabulary Vocabulary { get; }
    public int VocabularySize => Vocabulary.Count;
    public int StartOfText => Vocabulary.StartOfText;
    public int EndOfText => Vocabulary.EndOfText;

    /// <summary>A new tokenizer over the embedded bpe_simple_vocab_16e6.txt.gz.</summary>
    public static ClipTokenizer CreateDefault()
    {
        using var stream = typeof(ClipTokenizer).Assembly.GetManifestResourceStream(VocabResource)
            ?? throw new InvalidOperationException($"embedded resource {VocabResource} is missing from ClipSharp.Text");
        return new ClipTokenizer(BpeVocabulary.FromClipMerges(stream, VocabResource, gzip: true));
    }

    /// <summary>A tokenizer over a CLIP merges file (bpe_simple_vocab_16e6.txt, gzipped when it ends in .gz).</summary>
    public static ClipTokenizer FromMergesFile(string path)
    {
        using var stream = File.OpenRead(path);
        return new ClipTokenizer(BpeVocabulary.FromClipMerges(stream, path, path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)));
    }

    /// <summary>A tokenizer over a Hugging Face model directory's vocab.json and merges.txt.</summary>
    public static ClipTokenizer FromHuggingFace(string directory)
    {
        string vocab = Path.Combine(directory, "vocab.json"), merges = Path.Combine(directory, "merges.txt");
        foreach (var f in new[] { vocab, merges })
            if (!File.Exists(f)) throw new FileNotFoundException($"Hugging Face tokenizer file missing: {f}", f);
        return new ClipTokenizer(BpeVocabulary.FromHuggingFace(vocab, merges));
    }

    /// <summary>The model directory's own vocab.json + merges.txt when it has both, else <see cref="Default"/>.</summary>
    public static ClipTokenizer ForModelDirectory(string? directory) =>
        directory != null && File.Exists(Path.Combine(directory, "vocab.json")) && File.Exists(Path.Combine(directory, "merges.txt"))
            ? FromHuggingFace(directory)
            : Default;

    /// <summary>The reference's cleaning: ftfy, HTML unescape ×2, whitespace collapse, lower-case.</summary>
    public string Clean(string text) => TextCleaner.Clean(text);

    /// <summary>The token ids of <paramref name="text"/>, without start/end markers or padding.</summary>
    public IReadOnlyList<int> EncodeIds(string text)
    {
        var list = new List<int>();
        EncodeIds(text, list);
        return list.ToArray();
    }

    /// <summary>Appends the ids of <paramref name="text"/> (cleaned first) to <paramref name="destination"/>.</summary>
    public void EncodeIds(string text, List<int> destination) => EncodeCleaned(TextCleaner.Clean(text), destination);

    /// <summary>Appends the ids of already-cleaned text (the output of <see cref="Clean"/>).</summary>
    public void EncodeCleaned(ReadOnlySpan<char> cleaned, List<int> destination)
    {
        int pos = 0;
        while (PreTokenizer.Next(cleaned, ref pos, out int start, out int length))
            _bpe.Encode(cleaned.Slice(start, length), destination);
    }

    /// <summary>
    /// Writes <c>[sot] + ids + [eot]</c> zero-padded into <paramref name="row"/> (its length is the
    /// context). Too long: with <paramref name="truncate"/> the row keeps its first tokens and ends in
    /// eot (as the reference's truncate=True); otherwise <see cref="ContextLengthException"/>.
    /// Returns the index of the eot token (where the text tower pools).
    /// </summary>
    public int EncodeRow(string text, Span<int> row, bool truncate = false, int textIndex = 0)
    {
        if (row.Length < 2) throw new ArgumentException($"context length must be at least 2, got {row.Length}", nameof(row));
        var ids = t_scratch ??= new List<int>(128);
        ids.Clear();
        EncodeIds(text, ids);
        int total = ids.Count + 2;
        if (total > row.Length && !truncate) throw new ContextLengthException(textIndex, total, row.Length);
        row.Clear();
        row[0] = StartOfText;
        int n = Math.Min(ids.Count, row.Length - 2);
        for (int i = 0; i < n; i++) row[1 + i] = ids[i];
        if (total > row.Length)
        {
            // The reference truncates [sot]+ids+[eot] to the context and overwrites the last position with eot.
            row[row.Length - 1] = EndOfText;
            return row.Length - 1;
        }
        row[1 + n] = EndOfText;
        return 1 + n;
    }

    /// <summary>The (N, context) rows the text tower reads for <paramref name="texts"/>.</summary>
    public int[,] Encode(IReadOnlyList<string> texts, int context = DefaultContextLength, bool truncate = false)
    {
        var rows = new int[texts.Count, context];
        var row = new int[context];
        for (int t = 0; t < texts.Count; t++)
        {
            EncodeRow(texts[t], row, truncate, t);
            for (int j = 0; j < context; j++) rows[t, j] = row[j];
        }
        return rows;
    }

    /// <summary>
    /// Splits a text of any length into rows of <paramref name="context"/> tokens, each
    /// <c>[sot] + window + [eot]</c> zero-padded; embed every row and average the embeddings. A window
    /// ends after the last whole word that fits when that keeps it at least half full, else it is cut
    /// at the capacity (context − 2). An empty text gives one row.
    /// </summary>
    public int[][] Chunk(string text, int context = DefaultContextLength)
    {
        if (context < 3) throw new ArgumentException($"context length must be at least 3 to chunk, got {context}", nameof(context));
        var ids = new List<int>();
        EncodeIds(text, ids);
        int capacity = context - 2;
        var wordEnds = _wordEnds.Value;
        var rows = new List<int[]>();
        int pos = 0;
        do
        {
            int end = Math.Min(ids.Count, pos + capacity);
            if (end < ids.Count)
            {
                for (int cut = end; cut > pos + capacity / 2; cut--)
                    if (wordEnds[ids[cut - 1]]) { end = cut; break; }
            }
            var row = new int[context];
            row[0] = StartOfText;
            for (int i = pos; i < end; i++) row[1 + i - pos] = ids[i];
            row[1 + end - pos] = EndOfText;
            rows.Add(row);
            pos = end;
        } while (pos < ids.Count);
        return rows.ToArray();
    }

    /// <summary>
    /// The reference's decode: token strings concatenated, each character mapped back to its byte,
    /// the bytes decoded as UTF-8 (invalid sequences become U+FFFD) and every "&lt;/w&gt;" replaced by a
    /// space. Special and padding ids decode like any other token; slice them off first.
    /// </summary>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var bytes = new List<byte>(ids.Length * 4);
        Span<byte> utf8 = stackalloc byte[4];
        foreach (int id in ids)
        {
            foreach (char c in Vocabulary.TokenOf(id))
            {
                if (ByteUnicode.TryGetByte(c, out byte b)) bytes.Add(b);
                else bytes.AddRange(utf8[..Encoding.UTF8.GetBytes([c], utf8)]);  // not a byte character (foreign vocab)
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray()).Replace(BpeVocabulary.EndOfWord, " ", StringComparison.Ordinal);
    }

    /// <summary><see cref="Decode(ReadOnlySpan{int})"/> over any id sequence.</summary>
    public string Decode(IEnumerable<int> ids) => Decode(ids.ToArray());

    private string SafeToken(int id)
    {
        try { return Vocabulary.TokenOf(id); }
        catch (ArgumentOutOfRangeException) { return ""; }
    }
}
