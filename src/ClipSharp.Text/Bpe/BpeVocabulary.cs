using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace ClipSharp.Text.Bpe;

/// <summary>
/// A byte-level BPE vocabulary: token strings ↔ ids, the merge ranks keyed by the ids of the two
/// parts, and the ids of the 256 single-byte symbols (with and without the end-of-word "&lt;/w&gt;").
/// Built either from CLIP's merges file (ids implied by its order) or from Hugging Face's
/// vocab.json + merges.txt (ids given).
/// </summary>
public sealed class BpeVocabulary
{
    /// <summary>The CLIP merges file holds more lines than CLIP uses: it keeps the first 49152-256-2.</summary>
    public const int ClipMergeCount = 49152 - 256 - 2;
    public const string EndOfWord = "</w>";
    public const string StartOfTextToken = "<|startoftext|>";
    public const string EndOfTextToken = "<|endoftext|>";

    private readonly Dictionary<string, int> _tokenToId;
    private readonly string[] _idToToken;

    /// <summary>(left id, right id) → (rank, merged id).</summary>
    internal Dictionary<long, (int Rank, int Merged)> Merges { get; }

    /// <summary>Id of the symbol for byte b (index b), not at a word end.</summary>
    internal int[] ByteIds { get; } = new int[256];

    /// <summary>Id of the symbol for byte b followed by "&lt;/w&gt;".</summary>
    internal int[] ByteEndIds { get; } = new int[256];

    public int Count => _idToToken.Length;
    public int StartOfText { get; }
    public int EndOfText { get; }

    private BpeVocabulary(Dictionary<string, int> tokenToId, IReadOnlyList<(string A, string B)> merges, string source)
    {
        _tokenToId = tokenToId;
        int max = tokenToId.Count == 0 ? -1 : tokenToId.Values.Max();
        _idToToken = new string[max + 1];
        foreach (var (token, id) in tokenToId) _idToToken[id] = token;
        for (int b = 0; b < 256; b++)
        {
            string c = ByteUnicode.ByteToChar[b].ToString();
            ByteIds[b] = Require(c, source);
            ByteEndIds[b] = Require(c + EndOfWord, source);
        }
        StartOfText = Require(StartOfTextToken, source);
        EndOfText = Require(EndOfTextToken, source);

        Merges = new Dictionary<long, (int, int)>(merges.Count);
        for (int rank = 0; rank < merges.Count; rank++)
        {
            var (a, b) = merges[rank];
            // A merge whose parts or result are not tokens can never fire (string BPE would never form them).
            if (tokenToId.TryGetValue(a, out int ia) && tokenToId.TryGetValue(b, out int ib)
                && tokenToId.TryGetValue(a + b, out int merged))
                Merges[Key(ia, ib)] = (rank, merged);  // a repeated pair keeps its last rank, as a Python dict would
        }
    }

    internal static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    private int Require(string token, string source) =>
        _tokenToId.TryGetValue(token, out int id)
            ? id
            : throw new InvalidDataException($"{source}: vocabulary has no token \"{token}\"");

    /// <summary>The token string of <paramref name="id"/> (byte characters, maybe ending in "&lt;/w&gt;").</summary>
    public string TokenOf(int id) =>
        (uint)id < (uint)_idToToken.Length && _idToToken[id] != null
            ? _idToToken[id]
            : throw new ArgumentOutOfRangeException(nameof(id), id, $"token id out of range 0..{_idToToken.Length - 1}");

    /// <summary>The id of a token string, or -1.</summary>
    public int IdOf(string token) => _tokenToId.TryGetValue(token, out int id) ? id : -1;

    /// <summary>Reads CLIP's bpe_simple_vocab_16e6.txt(.gz): a header line, then "a b" merges; the
    /// vocabulary is the 256 byte symbols, the same with "&lt;/w&gt;", the merged strings, then sot/eot.</summary>
    public static BpeVocabulary FromClipMerges(Stream stream, string source, bool gzip)
    {
        using var input = gzip ? new GZipStream(stream, CompressionMode.Decompress, leaveOpen: true) : stream;
        using var reader = new StreamReader(input, new UTF8Encoding(false, true));
        string text = reader.ReadToEnd();
        string[] lines = text.Split('\n');
        if (lines.Length < ClipMergeCount + 1)
            throw new InvalidDataException($"{source}: expected at least {ClipMergeCount + 1} lines (header + merges), found {lines.Length}");
        var merges = new List<(string, string)>(ClipMergeCount);
        for (int i = 1; i <= ClipMergeCount; i++)
            merges.Add(ParseMerge(lines[i], source, i + 1));

        var vocab = new List<string>(512 + ClipMergeCount + 2);
        foreach (byte b in ByteUnicode.Order) vocab.Add(ByteUnicode.ByteToChar[b].ToString());
        foreach (byte b in ByteUnicode.Order) vocab.Add(ByteUnicode.ByteToChar[b] + EndOfWord);
        foreach (var (a, b) in merges) vocab.Add(a + b);
        vocab.Add(StartOfTextToken);
        vocab.Add(EndOfTextToken);
        var tokenToId = new Dictionary<string, int>(vocab.Count, StringComparer.Ordinal);
        for (int id = 0; id < vocab.Count; id++) tokenToId[vocab[id]] = id;  // later duplicates win, as dict(zip()) does
        return new BpeVocabulary(tokenToId, merges, source);
    }

    /// <summary>Reads Hugging Face's vocab.json (token → id) and merges.txt ("#version" header, "a b" lines).</summary>
    public static BpeVocabulary FromHuggingFace(string vocabJsonPath, string mergesPath)
    {
        Dictionary<string, int> tokenToId;
        try
        {
            using var fs = File.OpenRead(vocabJsonPath);
            tokenToId = JsonSerializer.Deserialize<Dictionary<string, int>>(fs)
                        ?? throw new InvalidDataException($"{vocabJsonPath}: empty vocabulary");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{vocabJsonPath}: not a JSON object of token → id ({e.Message})", e);
        }
        var merges = new List<(string, string)>();
        int lineNo = 0;
        foreach (var line in File.ReadLines(mergesPath, new UTF8Encoding(false, true)))
        {
            lineNo++;
            if (lineNo == 1 && line.StartsWith("#version", StringComparison.Ordinal)) continue;
            if (line.Length == 0) continue;
            merges.Add(ParseMerge(line, mergesPath, lineNo));
        }
        return new BpeVocabulary(new Dictionary<string, int>(tokenToId, StringComparer.Ordinal), merges, vocabJsonPath);
    }

    private static (string, string) ParseMerge(string line, string source, int lineNo)
    {
        var parts = line.TrimEnd('\r').Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 2)
            throw new InvalidDataException($"{source} line {lineNo}: expected a merge \"left right\", found \"{line}\"");
        return (parts[0], parts[1]);
    }
}
