using System.Text;

namespace ClipSharp.Text.SentencePiece;

/// <summary>sentencepiece_model.proto SentencePiece.Type.</summary>
public enum PieceType { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 }

/// <summary>TrainerSpec.ModelType.</summary>
public enum SpmModelType { Unigram = 1, Bpe = 2, Word = 3, Char = 4 }

public sealed record Piece(string Text, float Score, PieceType Type);

/// <summary>The NormalizerSpec fields encoding reads (defaults as in sentencepiece_model.proto).</summary>
public sealed record NormalizerSpec(
    string Name, byte[] PrecompiledCharsmap, bool AddDummyPrefix, bool RemoveExtraWhitespaces, bool EscapeWhitespaces);

/// <summary>The TrainerSpec fields encoding reads.</summary>
public sealed record TrainerSpec(
    SpmModelType ModelType, bool ByteFallback, bool TreatWhitespaceAsSuffix, int UnkId, int BosId, int EosId, int PadId);

/// <summary>
/// A parsed sentencepiece ModelProto (field numbers from sentencepiece's src/sentencepiece_model.proto):
/// 1 pieces {1 piece, 2 score, 3 type}, 2 trainer_spec {3 model_type, 24 treat_whitespace_as_suffix,
/// 35 byte_fallback, 40 unk_id, 41 bos_id, 42 eos_id, 43 pad_id}, 3 normalizer_spec {1 name,
/// 2 precompiled_charsmap, 3 add_dummy_prefix, 4 remove_extra_whitespaces, 5 escape_whitespaces}.
/// </summary>
public sealed record ModelProto(IReadOnlyList<Piece> Pieces, TrainerSpec Trainer, NormalizerSpec Normalizer)
{
    public static ModelProto Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"sentencepiece model not found: {path}", path);
        return Parse(File.ReadAllBytes(path), path);
    }

    public static ModelProto Parse(ReadOnlySpan<byte> data, string source)
    {
        var pieces = new List<Piece>();
        TrainerSpec? trainer = null;
        NormalizerSpec? normalizer = null;
        var r = new ProtoReader(data, source);
        while (!r.End)
        {
            var (field, wire) = r.ReadTag();
            if (wire == 2 && field is 1 or 2 or 3)
            {
                var sub = r.ReadBytes(out int start);
                if (field == 1) pieces.Add(ParsePiece(sub, source, start));
                else if (field == 2) trainer = ParseTrainer(sub, source, start);
                else normalizer = ParseNormalizer(sub, source, start);
            }
            else r.Skip(wire);
        }
        if (pieces.Count == 0) throw new InvalidDataException($"{source}: not a sentencepiece model (no pieces)");
        trainer ??= ParseTrainer([], source, 0);
        normalizer ??= ParseNormalizer([], source, 0);
        return new ModelProto(pieces, trainer, normalizer);
    }

    private static Piece ParsePiece(ReadOnlySpan<byte> data, string source, int at)
    {
        string text = ""; float score = 0; var type = PieceType.Normal;
        var r = new ProtoReader(data, source, at);
        while (!r.End)
        {
            var (f, w) = r.ReadTag();
            if (f == 1 && w == 2) text = Encoding.UTF8.GetString(r.ReadBytes(out _));
            else if (f == 2 && w == 5) score = r.ReadFloat();
            else if (f == 3 && w == 0)
            {
                ulong t = r.ReadVarint();
                if (t is < 1 or > 6) throw r.Bad($"piece type {t}");
                type = (PieceType)t;
            }
            else r.Skip(w);
        }
        return new Piece(text, score, type);
    }

    private static TrainerSpec ParseTrainer(ReadOnlySpan<byte> data, string source, int at)
    {
        var type = SpmModelType.Unigram; bool byteFallback = false, suffix = false;
        int unk = 0, bos = 1, eos = 2, pad = -1;
        var r = new ProtoReader(data, source, at);
        while (!r.End)
        {
            var (f, w) = r.ReadTag();
            if (w != 0) { r.Skip(w); continue; }
            ulong v = r.ReadVarint();
            switch (f)
            {
                case 3: type = (SpmModelType)(int)v; break;
                case 24: suffix = v != 0; break;
                case 35: byteFallback = v != 0; break;
                case 40: unk = (int)v; break;
                case 41: bos = (int)v; break;
                case 42: eos = (int)v; break;
                case 43: pad = (int)v; break;
            }
        }
        return new TrainerSpec(type, byteFallback, suffix, unk, bos, eos, pad);
    }

    private static NormalizerSpec ParseNormalizer(ReadOnlySpan<byte> data, string source, int at)
    {
        string name = ""; byte[] map = []; bool dummy = true, removeWs = true, escape = true;
        var r = new ProtoReader(data, source, at);
        while (!r.End)
        {
            var (f, w) = r.ReadTag();
            if (f == 1 && w == 2) name = Encoding.UTF8.GetString(r.ReadBytes(out _));
            else if (f == 2 && w == 2) map = r.ReadBytes(out _).ToArray();
            else if (f is 3 or 4 or 5 && w == 0)
            {
                bool v = r.ReadVarint() != 0;
                if (f == 3) dummy = v; else if (f == 4) removeWs = v; else escape = v;
            }
            else r.Skip(w);
        }
        return new NormalizerSpec(name, map, dummy, removeWs, escape);
    }
}
