using System.Text;
using System.Text.Json;
using ClipSharp.Text.Unicode;

namespace ClipSharp.Text.SentencePiece;

/// <summary>
/// The Hugging Face wrapping of a SentencePiece model for SigLIP and SigLIP 2 checkpoints, read from the
/// model directory (spiece.model or tokenizer.model, tokenizer_config.json).
/// <para>SiglipTokenizer (transformers models/siglip/tokenization_siglip.py, v4.4x as mirrored in the
/// pypi-mirror copy read through the search tool): lower-case when do_lower_case (Python str.lower,
/// PreTrainedTokenizer.tokenize), prepend "▁" (after turning any "▁" into a space), remove ASCII
/// punctuation (string.punctuation), collapse \s+ to one space, strip; encode "&lt;unk&gt;" + text with
/// add_dummy_prefix off and drop the ids of "&lt;unk&gt;" alone; append eos unless the ids already end in eos.</para>
/// <para>Gemma (SigLIP 2): the model's own normaliser (identity, no dummy prefix, whitespace kept) then
/// bos/eos as tokenizer_config.json's add_bos_token / add_eos_token say (read, not assumed).</para>
/// Rows: padding="max_length" to the context (64) with the pad id; truncation keeps the first
/// context − (special count) ids then adds the specials, as HF truncation does. Not handled: literal
/// special-token strings inside the text (HF splits them out as added tokens).
/// </summary>
public sealed class SiglipTokenizer : ITextTokenizer
{
    private readonly SentencePieceProcessor _sp;
    private readonly SentencePieceProcessor? _noDummy;   // SigLIP: add_dummy_prefix forced off
    private readonly int _unkPrefixLength;
    private const string PunctuationAscii = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

    public bool Siglip1 { get; }
    public bool LowerCase { get; }
    public bool AddBos { get; }
    public bool AddEos { get; }
    public int ContextLength { get; }
    public int PadId { get; }
    public SentencePieceProcessor Processor => _sp;

    public SiglipTokenizer(SentencePieceProcessor sp, bool siglip1, bool lowerCase, bool addBos, bool addEos, int contextLength, int padId)
    {
        _sp = sp; Siglip1 = siglip1; LowerCase = lowerCase; AddBos = addBos; AddEos = addEos;
        ContextLength = contextLength; PadId = padId;
        if (siglip1)
        {
            var m = sp.Model with { Normalizer = sp.Model.Normalizer with { AddDummyPrefix = false } };
            _noDummy = new SentencePieceProcessor(m, "spiece.model");
            _unkPrefixLength = _noDummy.EncodeIds("<unk>").Length;
        }
    }

    /// <summary>Loads spiece.model (SigLIP) or tokenizer.model (Gemma / SigLIP 2) and tokenizer_config.json from <paramref name="directory"/>.</summary>
    public static SiglipTokenizer FromDirectory(string directory)
    {
        string spiece = Path.Combine(directory, "spiece.model"), gemma = Path.Combine(directory, "tokenizer.model");
        string model = File.Exists(spiece) ? spiece : File.Exists(gemma) ? gemma
            : throw new FileNotFoundException($"{directory}: neither spiece.model nor tokenizer.model found", spiece);
        var sp = SentencePieceProcessor.Load(model);
        string configPath = Path.Combine(directory, "tokenizer_config.json");
        string cls = ""; bool? lower = null, bos = null, eos = null; int context = 64; string? padToken = null;
        if (File.Exists(configPath))
        {
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllBytes(configPath));
                var root = doc.RootElement;
                if (root.TryGetProperty("tokenizer_class", out var c) && c.ValueKind == JsonValueKind.String) cls = c.GetString()!;
                if (root.TryGetProperty("do_lower_case", out var l) && l.ValueKind is JsonValueKind.True or JsonValueKind.False) lower = l.GetBoolean();
                if (root.TryGetProperty("add_bos_token", out var b) && b.ValueKind is JsonValueKind.True or JsonValueKind.False) bos = b.GetBoolean();
                if (root.TryGetProperty("add_eos_token", out var e) && e.ValueKind is JsonValueKind.True or JsonValueKind.False) eos = e.GetBoolean();
                if (root.TryGetProperty("model_max_length", out var m) && m.ValueKind == JsonValueKind.Number && m.TryGetInt32(out int ml) && ml is > 0 and < 100000) context = ml;
                if (root.TryGetProperty("pad_token", out var p))
                    padToken = p.ValueKind == JsonValueKind.String ? p.GetString() : p.ValueKind == JsonValueKind.Object && p.TryGetProperty("content", out var pc) ? pc.GetString() : null;
            }
            catch (JsonException ex) { throw new InvalidDataException($"{configPath}: not valid JSON ({ex.Message})"); }
        }
        bool siglip1 = cls.Length > 0 ? cls.StartsWith("Siglip", StringComparison.Ordinal) : model == spiece;
        int pad = padToken != null ? sp.PieceToId(padToken) : siglip1 ? sp.EosId : (sp.PadId >= 0 ? sp.PadId : 0);
        return new SiglipTokenizer(sp, siglip1, lower ?? siglip1, bos ?? !siglip1, eos ?? siglip1, context, pad);
    }

    /// <summary>SiglipTokenizer.canonicalize_text: ASCII punctuation removed, whitespace runs to one space, stripped.</summary>
    public static string Canonicalize(string text)
    {
        var sb = new StringBuilder(text.Length);
        bool space = false;
        foreach (var r in text.EnumerateRunes())
        {
            if (r.IsAscii && PunctuationAscii.Contains((char)r.Value)) continue;
            if (PythonText.IsSpace(r.Value)) { space = true; continue; }
            if (space && sb.Length > 0) sb.Append(' ');
            space = false;
            sb.Append(r.ToString());
        }
        return sb.ToString();
    }

    /// <summary>The ids before specials and padding.</summary>
    public void EncodeIds(string text, List<int> destination)
    {
        if (LowerCase) text = PythonText.Lower(text);
        if (!Siglip1) { _sp.EncodeIds(text, destination); return; }
        string t = Canonicalize("\u2581" + text.Replace('\u2581', ' '));
        int start = destination.Count;
        _noDummy!.EncodeIds("<unk>" + t, destination);
        int n = destination.Count - start;
        if (n >= _unkPrefixLength) destination.RemoveRange(start, _unkPrefixLength);
        // tokenize(): a lone leading "▁" before a special token is dropped (specials are not split out here).
    }

    public int EncodeRow(string text, Span<int> row, bool truncate = false, int textIndex = 0)
    {
        var ids = new List<int>(row.Length + 8);
        EncodeIds(text, ids);
        bool eos = AddEos && !(Siglip1 && ids.Count > 0 && ids[^1] == _sp.EosId);
        int specials = (AddBos ? 1 : 0) + (eos ? 1 : 0);
        int total = ids.Count + specials;
        if (total > row.Length && !truncate) throw new ContextLengthException(textIndex, total, row.Length);
        row.Fill(PadId);
        int at = 0;
        if (AddBos) row[at++] = _sp.BosId;
        int keep = Math.Min(ids.Count, row.Length - specials);
        for (int i = 0; i < keep; i++) row[at++] = ids[i];
        if (eos) row[at++] = _sp.EosId;
        return row.Length - 1;   // SigLIP's text tower pools the last position
    }
}
