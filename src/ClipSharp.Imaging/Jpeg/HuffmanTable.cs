namespace ClipSharp.Imaging.Jpeg;

/// <summary>
/// A decoding table built from a DHT segment's 16 code-length counts and its symbol list (ITU T.81
/// Annex C: canonical codes assigned in order of increasing length). Codes up to
/// <see cref="LookupBits"/> bits resolve with one table read; longer ones walk <see cref="_maxCode"/>.
/// </summary>
internal sealed class HuffmanTable
{
    /// <summary>Bits resolved by the direct lookup table.</summary>
    public const int LookupBits = 9;

    /// <summary>Indexed by the next <see cref="LookupBits"/> bits: (code length &lt;&lt; 8) | symbol, or 0 when the code is longer.</summary>
    private readonly ushort[] _lookup = new ushort[1 << LookupBits];
    /// <summary>Largest code of each length 1..16 (-1 when the length has no codes); entry 17 is a sentinel.</summary>
    private readonly int[] _maxCode = new int[18];
    /// <summary>Symbol index of the first code of each length, minus that code.</summary>
    private readonly int[] _valOffset = new int[17];
    private readonly byte[] _symbols;
    /// <summary>
    /// AC tables: for the next <see cref="LookupBits"/> bits, when a run/size code and its extra bits both fit,
    /// (value &lt;&lt; 8) | (run &lt;&lt; 4) | total length; otherwise 0. Lets the block decoder take a
    /// coefficient with one lookup; the result is the same as decoding the symbol and then its bits.
    /// </summary>
    private readonly int[] _fastAc = new int[1 << LookupBits];

    /// <summary>
    /// Builds the table. <paramref name="counts"/>[i] is the number of codes of length i + 1.
    /// Throws <see cref="InvalidDataException"/> when the counts describe codes that do not fit in their
    /// length (an over-subscribed table) or, for a DC table, a symbol above 15.
    /// </summary>
    public HuffmanTable(ReadOnlySpan<byte> counts, ReadOnlySpan<byte> symbols, bool isDc, long offset)
    {
        _symbols = symbols.ToArray();
        int code = 0, k = 0;
        for (int len = 1; len <= 16; len++)
        {
            int n = counts[len - 1];
            _valOffset[len] = k - code;
            if (n == 0)
            {
                _maxCode[len] = -1;
            }
            else
            {
                for (int i = 0; i < n; i++, k++, code++)
                {
                    if (code >= (1 << len))
                        throw new InvalidDataException(
                            $"JPEG: bad Huffman table in DHT at byte offset {offset}: more codes of length {len} than fit in {len} bits");
                    if (len <= LookupBits)
                    {
                        int shift = LookupBits - len;
                        int first = code << shift;
                        ushort entry = (ushort)((len << 8) | _symbols[k]);
                        _lookup.AsSpan(first, 1 << shift).Fill(entry);
                    }
                }
                _maxCode[len] = code - 1;
            }
            if (code >= (1 << len))
                throw new InvalidDataException(
                    $"JPEG: bad Huffman table in DHT at byte offset {offset}: {code} codes of up to {len} bits leave no room (an all-ones code is not allowed)");
            code <<= 1;
        }
        _maxCode[17] = int.MaxValue;
        if (!isDc) BuildFastAc();
        if (isDc)
        {
            foreach (byte s in _symbols)
                if (s > 15)
                    throw new InvalidDataException(
                        $"JPEG: bad DC Huffman table at byte offset {offset}: symbol {s} exceeds 15");
        }
    }

    private void BuildFastAc()
    {
        for (int bits = 0; bits < _fastAc.Length; bits++)
        {
            int entry = _lookup[bits];
            if (entry == 0) continue;
            int len = entry >> 8, rs = entry & 0xFF, run = rs >> 4, size = rs & 15;
            if (size == 0 || len + size > LookupBits) continue;
            int extra = (bits >> (LookupBits - len - size)) & ((1 << size) - 1);
            int value = extra < (1 << (size - 1)) ? extra - (1 << size) + 1 : extra;
            _fastAc[bits] = (value << 8) | (run << 4) | (len + size);
        }
    }

    /// <summary>The fast AC entry for the next <see cref="LookupBits"/> bits (0 = take the general path).</summary>
    public int FastAc(int bits) => _fastAc[bits];

    /// <summary>Entry of the direct lookup table for the next <see cref="LookupBits"/> bits (0 = longer code).</summary>
    public int Lookup(int bits) => _lookup[bits];

    /// <summary>
    /// Resolves a code longer than <see cref="LookupBits"/> from the next 16 bits (MSB first). Returns
    /// (length &lt;&lt; 8) | symbol; for a bit pattern matching no code returns (17 &lt;&lt; 8) | 0, i.e. libjpeg's
    /// "bad Huffman code" recovery, which consumes 17 bits and substitutes a zero symbol.
    /// </summary>
    public int DecodeLong(int next16)
    {
        for (int len = LookupBits + 1; len <= 16; len++)
        {
            int c = next16 >> (16 - len);
            if (c <= _maxCode[len])
            {
                int index = _valOffset[len] + c;
                return (len << 8) | ((uint)index < (uint)_symbols.Length ? _symbols[index] : 0);
            }
        }
        return 17 << 8;
    }

    /// <summary>
    /// The default tables of ITU T.81 Annex K.3 (Tables K.3–K.6), used when a scan refers to a table that
    /// no DHT defined (Motion-JPEG frames omit them), as libjpeg-turbo does. Slots:
    /// slot 0 = luma, slot 1 = chroma; null for slots 2 and 3.
    /// </summary>
    public static HuffmanTable? Standard(bool isDc, int id) => StandardTables.Get(isDc, id);
}
