using System.Buffers;
using System.Text;

namespace ClipSharp.Text.SentencePiece;

/// <summary>
/// A sentencepiece model loaded from its ModelProto file (spiece.model / tokenizer.model), encoding as
/// python sentencepiece's <c>encode(text)</c> does (no bos/eos): normalise (<see cref="Normalizer"/>),
/// segment (unigram Viterbi or BPE merges), and with byte_fallback replace each unk piece by the
/// &lt;0xNN&gt; pieces of its UTF-8 bytes (src/sentencepiece_processor.cc, v0.1.97). Immutable and thread-safe.
/// </summary>
public sealed class SentencePieceProcessor
{
    private readonly Normalizer _normalizer;
    private readonly UnigramModel? _unigram;
    private readonly BpeModel? _bpe;
    private readonly int[] _byteIds = new int[256];
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);

    [ThreadStatic] private static ByteBuilder? t_normalized;
    [ThreadStatic] private static List<(int, int, int)>? t_segments;

    public ModelProto Model { get; }
    public int UnkId { get; }
    public int BosId => Model.Trainer.BosId;
    public int EosId => Model.Trainer.EosId;
    public int PadId => Model.Trainer.PadId;
    public int VocabularySize => Model.Pieces.Count;
    public bool ByteFallback => Model.Trainer.ByteFallback;

    public SentencePieceProcessor(ModelProto model, string source)
    {
        Model = model;
        var pieces = model.Pieces;
        UnkId = -1;
        Array.Fill(_byteIds, -1);
        for (int i = 0; i < pieces.Count; i++)
        {
            var p = pieces[i];
            _ids.TryAdd(p.Text, i);
            if (p.Type == PieceType.Unknown)
            {
                if (UnkId >= 0) throw new InvalidDataException($"{source}: more than one unknown piece (ids {UnkId} and {i})");
                UnkId = i;
            }
            if (p.Type == PieceType.Byte)
            {
                if (p.Text.Length != 6 || !p.Text.StartsWith("<0x", StringComparison.Ordinal) || p.Text[5] != '>'
                    || !byte.TryParse(p.Text.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out byte b))
                    throw new InvalidDataException($"{source}: byte piece {i} is \"{p.Text}\", expected <0xNN>");
                _byteIds[b] = i;
            }
        }
        if (UnkId < 0) throw new InvalidDataException($"{source}: no piece of type UNKNOWN");
        if (model.Trainer.ByteFallback && Array.IndexOf(_byteIds, -1) >= 0)
            throw new InvalidDataException($"{source}: byte_fallback is set but byte piece <0x{Array.IndexOf(_byteIds, -1):X2}> is missing");
        var userDefined = pieces.Where(p => p.Type == PieceType.UserDefined).Select(p => p.Text);
        _normalizer = new Normalizer(model.Normalizer, model.Trainer.TreatWhitespaceAsSuffix, userDefined, source);
        switch (model.Trainer.ModelType)
        {
            case SpmModelType.Unigram: _unigram = new UnigramModel(pieces, UnkId); break;
            case SpmModelType.Bpe: _bpe = new BpeModel(pieces); break;
            default: throw new InvalidDataException($"{source}: model_type {model.Trainer.ModelType} is not supported (unigram and BPE are)");
        }
    }

    public static SentencePieceProcessor Load(string path) => new(ModelProto.Load(path), path);

    /// <summary>The id of a piece, or <see cref="UnkId"/> as sentencepiece's PieceToId.</summary>
    public int PieceToId(string piece) => _ids.TryGetValue(piece, out int id) ? id : UnkId;

    public string IdToPiece(int id) => Model.Pieces[id].Text;

    /// <summary>The normalised text (UTF-8 decoded) — for diagnostics.</summary>
    public string Normalize(string text)
    {
        var o = new List<byte>();
        _normalizer.Normalize(Encoding.UTF8.GetBytes(text), o);
        return Encoding.UTF8.GetString(o.ToArray());
    }

    public int[] EncodeIds(string text)
    {
        var l = new List<int>();
        EncodeIds(text, l);
        return l.ToArray();
    }

    /// <summary>Appends the ids of <paramref name="text"/> (python sentencepiece's encode, no bos/eos).</summary>
    public void EncodeIds(ReadOnlySpan<char> text, List<int> destination)
    {
        if (text.IsEmpty) return;
        int max = Encoding.UTF8.GetMaxByteCount(text.Length);
        byte[]? rented = null;
        Span<byte> utf8 = max <= 1024 ? stackalloc byte[max] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            int n = Encoding.UTF8.GetBytes(text, utf8);
            var norm = t_normalized ??= new ByteBuilder();
            norm.Clear();
            _normalizer.Normalize(utf8[..n], norm);
            var s = norm.AsSpan();
            var segs = t_segments ??= new List<(int, int, int)>(128);
            segs.Clear();
            if (_unigram != null) _unigram.Encode(s, segs); else _bpe!.Encode(s, segs);
            foreach (var (start, length, id0) in segs)
            {
                int id = id0 < 0 ? UnkId : id0;
                if (id == UnkId && ByteFallback)
                    for (int i = 0; i < length; i++) destination.Add(_byteIds[s[start + i]]);
                else destination.Add(id);
            }
        }
        finally { if (rented != null) ArrayPool<byte>.Shared.Return(rented); }
    }
}
