using System.Buffers.Binary;

namespace ClipSharp.Text.SentencePiece;

/// <summary>
/// sentencepiece's Normalizer (src/normalizer.cc, v0.1.97 as Debian ships it), over UTF-8 bytes:
/// user-defined symbols pass through untouched (longest match); otherwise the longest match in the
/// precompiled charsmap (a Darts double-array trie whose values index NUL-terminated replacement
/// strings) replaces the prefix, else one UTF-8 character is copied. Leading whitespace is dropped and
/// runs of spaces collapse when remove_extra_whitespaces; a dummy "▁" prefix is added when
/// add_dummy_prefix; spaces become U+2581 when escape_whitespaces; trailing spaces are dropped.
/// </summary>
public sealed class Normalizer
{
    private static readonly byte[] SpaceSymbol = [0xE2, 0x96, 0x81];   // U+2581 ▁
    private readonly NormalizerSpec _spec;
    private readonly bool _suffix;
    private readonly uint[] _units = [];
    private readonly byte[] _strings = [];
    private readonly ByteTrie? _userDefined;

    public Normalizer(NormalizerSpec spec, bool treatWhitespaceAsSuffix, IEnumerable<string> userDefinedSymbols, string source)
    {
        _spec = spec; _suffix = treatWhitespaceAsSuffix;
        var map = spec.PrecompiledCharsmap;
        if (map.Length > 0)
        {
            if (map.Length < 4) throw new InvalidDataException($"{source}: precompiled_charsmap is {map.Length} bytes, shorter than its 4-byte header");
            uint trieSize = BinaryPrimitives.ReadUInt32LittleEndian(map);
            if (trieSize % 4 != 0 || trieSize > map.Length - 4)
                throw new InvalidDataException($"{source}: precompiled_charsmap trie size {trieSize} does not fit its {map.Length} bytes");
            _units = new uint[trieSize / 4];
            for (int i = 0; i < _units.Length; i++) _units[i] = BinaryPrimitives.ReadUInt32LittleEndian(map.AsSpan(4 + 4 * i));
            _strings = map.AsSpan(4 + (int)trieSize).ToArray();
        }
        var uds = userDefinedSymbols.Select(s => (System.Text.Encoding.UTF8.GetBytes(s), 1)).ToList();
        if (uds.Count > 0) _userDefined = new ByteTrie(uds);
    }

    /// <summary>UTF-8 length of the character starting with <paramref name="lead"/> (sentencepiece's OneCharLen).</summary>
    public static int OneCharLen(byte lead) => (lead >> 4) switch { < 12 => 1, 12 or 13 => 2, 14 => 3, _ => 4 };

    /// <summary>Appends the normalised form of <paramref name="input"/> to <paramref name="output"/>.</summary>
    public void Normalize(ReadOnlySpan<byte> input, List<byte> output)
    {
        var b = new ByteBuilder(input.Length * 2 + 8);
        Normalize(input, b);
        output.AddRange(b.AsSpan());
    }

    /// <summary>Appends the normalised form of <paramref name="input"/> to <paramref name="output"/>.</summary>
    internal void Normalize(ReadOnlySpan<byte> input, ByteBuilder output)
    {
        if (input.IsEmpty) return;
        ReadOnlySpan<byte> space = _spec.EscapeWhitespaces ? SpaceSymbol : " "u8;
        if (_spec.RemoveExtraWhitespaces)
        {
            while (!input.IsEmpty)
            {
                int consumed = Prefix(input, out var rep);
                if (!(rep.Length == 1 && rep[0] == (byte)' ')) break;
                input = input[consumed..];
            }
        }
        if (input.IsEmpty) return;
        int start = output.Count;
        if (_spec.AddDummyPrefix && !_suffix) output.Append(space);
        bool prevSpace = _spec.RemoveExtraWhitespaces;
        while (!input.IsEmpty)
        {
            int consumed = Prefix(input, out var sp);
            if (prevSpace) while (!sp.IsEmpty && sp[0] == (byte)' ') sp = sp[1..];
            if (!sp.IsEmpty)
            {
                if (!_spec.EscapeWhitespaces || sp.IndexOf((byte)' ') < 0) output.Append(sp);
                else
                    foreach (byte b in sp)
                    {
                        if (b == (byte)' ') output.Append(SpaceSymbol);
                        else output.Add(b);
                    }
                prevSpace = sp[^1] == (byte)' ';
            }
            input = input[consumed..];
            if (!_spec.RemoveExtraWhitespaces) prevSpace = false;
        }
        if (_spec.RemoveExtraWhitespaces)
        {
            while (output.Count - start >= space.Length && output.AsSpan().EndsWith(space)) output.Count -= space.Length;
        }
        if (_suffix && _spec.AddDummyPrefix) output.Append(space);
    }

    /// <summary>sentencepiece's NormalizePrefix: bytes consumed and their replacement.</summary>
    private int Prefix(ReadOnlySpan<byte> input, out ReadOnlySpan<byte> replacement)
    {
        if (_userDefined != null)
        {
            int ud = _userDefined.LongestPrefix(input, out _);
            if (ud > 0) { replacement = input[..ud]; return ud; }
        }
        int longest = 0, value = 0;
        if (_units.Length > 0) longest = CharsmapLongest(input, out value);
        if (longest == 0)
        {
            int len = Math.Min(input.Length, OneCharLen(input[0]));
            replacement = input[..len];
            return len;
        }
        if ((uint)value >= (uint)_strings.Length) throw new InvalidDataException($"precompiled_charsmap value {value} points past its {_strings.Length}-byte string table");
        int end = _strings.AsSpan(value).IndexOf((byte)0);
        replacement = end < 0 ? _strings.AsSpan(value) : _strings.AsSpan(value, end);
        return longest;
    }

    /// <summary>Darts-clone commonPrefixSearch, keeping the longest match.</summary>
    private int CharsmapLongest(ReadOnlySpan<byte> key, out int value)
    {
        value = 0;
        int best = 0;
        uint nodePos = 0;
        uint unit = _units[0];
        nodePos ^= Offset(unit);
        for (int i = 0; i < key.Length; i++)
        {
            nodePos ^= key[i];
            if (nodePos >= _units.Length) return best;
            unit = _units[nodePos];
            if ((unit & ((1u << 31) | 0xFF)) != key[i]) return best;
            nodePos ^= Offset(unit);
            if (((unit >> 8) & 1) != 0)
            {
                if (nodePos >= _units.Length) return best;
                value = (int)(_units[nodePos] & ((1u << 31) - 1));
                best = i + 1;
            }
        }
        return best;
    }

    private static uint Offset(uint unit) => (unit >> 10) << (int)((unit & (1u << 9)) >> 6);
}

/// <summary>A growable byte buffer (the normaliser's output), reused per thread.</summary>
internal sealed class ByteBuilder(int capacity = 256)
{
    private byte[] _buffer = new byte[Math.Max(16, capacity)];

    public int Count { get; set; }

    public ReadOnlySpan<byte> AsSpan() => _buffer.AsSpan(0, Count);

    public void Clear() => Count = 0;

    public void Add(byte b)
    {
        if (Count == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
        _buffer[Count++] = b;
    }

    public void Append(ReadOnlySpan<byte> s)
    {
        if (Count + s.Length > _buffer.Length) Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, Count + s.Length));
        s.CopyTo(_buffer.AsSpan(Count));
        Count += s.Length;
    }
}
