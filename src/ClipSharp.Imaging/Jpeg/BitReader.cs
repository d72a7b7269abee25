using System.Runtime.CompilerServices;

namespace ClipSharp.Imaging.Jpeg;

/// <summary>
/// Reads entropy-coded bits MSB first from a scan, undoing byte stuffing (0xFF 0x00 → 0xFF; extra 0xFF
/// fill bytes before the 0x00 are swallowed, as libjpeg does). On reaching a marker or the end of the data
/// it supplies zero bits, remembering how many it made up, so the decoder can tell whether a segment
/// really ran out (libjpeg's "insufficient data") rather than merely being read ahead.
/// </summary>
internal ref partial struct BitReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _pos;
    private ulong _buffer;
    private int _count;
    private int _fakeBytes;

    /// <summary>The marker code (second byte) that stopped the reader, or 0 while none has.</summary>
    public int Marker;
    /// <summary>Byte offset of the 0xFF that introduced <see cref="Marker"/>.</summary>
    public int MarkerOffset;
    /// <summary>True once the reader ran into the end of the data without meeting a marker.</summary>
    public bool HitEnd;

    public BitReader(ReadOnlySpan<byte> data, int position)
    {
        _data = data;
        _pos = position;
    }

    /// <summary>Offset of the next byte not yet loaded into the bit buffer.</summary>
    public readonly int Position => _pos;

    /// <summary>True when the decoder has consumed any of the zero bits invented past a marker or the end.</summary>
    public readonly bool UsedFakeBits => _fakeBytes > 0 && _fakeBytes * 8 > _count;

    /// <summary>Ensures at least 57 bits are buffered.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Fill()
    {
        ReadOnlySpan<byte> data = _data;
        while (_count <= 56)
        {
            uint b = 0;
            if (Marker != 0 || HitEnd)
            {
                _fakeBytes++;
            }
            else if ((uint)_pos >= (uint)data.Length)
            {
                HitEnd = true;
                _fakeBytes++;
            }
            else
            {
                b = data[_pos];
                if (b != 0xFF)
                {
                    _pos++;
                }
                else
                {
                    int p = _pos + 1;
                    while (p < data.Length && data[p] == 0xFF) p++;
                    if (p >= data.Length)
                    {
                        _pos = p;
                        HitEnd = true;
                        _fakeBytes++;
                        b = 0;
                    }
                    else if (data[p] == 0)
                    {
                        _pos = p + 1;
                    }
                    else
                    {
                        Marker = data[p];
                        MarkerOffset = p - 1;
                        _pos = p + 1;
                        _fakeBytes++;
                        b = 0;
                    }
                }
            }
            _buffer |= (ulong)b << (56 - _count);
            _count += 8;
        }
    }

    /// <summary>Decodes one Huffman symbol (0..255).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int DecodeHuffman(HuffmanTable table)
    {
        if (_count < 17) Fill();
        int entry = table.Lookup((int)(_buffer >> (64 - HuffmanTable.LookupBits)));
        if (entry == 0) entry = table.DecodeLong((int)(_buffer >> 48));
        int len = entry >> 8;
        _buffer <<= len;
        _count -= len;
        return entry & 0xFF;
    }

    /// <summary>Reads <paramref name="n"/> (0..16) raw bits as an unsigned value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int ReadBits(int n)
    {
        if (n == 0) return 0;
        if (_count < n) Fill();
        int v = (int)(_buffer >> (64 - n));
        _buffer <<= n;
        _count -= n;
        return v;
    }

    /// <summary>Reads one bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int ReadBit()
    {
        if (_count < 1) Fill();
        int v = (int)(_buffer >> 63);
        _buffer <<= 1;
        _count--;
        return v;
    }

    /// <summary>
    /// Reads <paramref name="s"/> (0..15) bits and sign-extends them as T.81 F.2.2.1 EXTEND does:
    /// values below 2^(s-1) stand for negative numbers v - 2^s + 1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int ReceiveExtend(int s)
    {
        if (s == 0) return 0;
        if (_count < s) Fill();
        int v = (int)(_buffer >> (64 - s));
        _buffer <<= s;
        _count -= s;
        return v < (1 << (s - 1)) ? v - (1 << s) + 1 : v;
    }

    /// <summary>
    /// Drops the buffered bits (the rest of the current byte and any bytes read ahead, which cannot be
    /// data because the buffer never loads past a marker) and positions the reader at
    /// <paramref name="position"/>, keeping any marker it already met.
    /// </summary>
    public void Reset(int position)
    {
        _buffer = 0;
        _count = 0;
        _fakeBytes = 0;
        _pos = position;
    }

    /// <summary>
    /// Finds the next marker from <see cref="Position"/> (skipping garbage bytes and 0xFF 0x00 pairs, as
    /// libjpeg's next_marker does) and stores it in <see cref="Marker"/>; returns false at the end of data.
    /// </summary>
    public bool SeekMarker()
    {
        ReadOnlySpan<byte> data = _data;
        int p = _pos;
        while (true)
        {
            while (p < data.Length && data[p] != 0xFF) p++;
            while (p < data.Length && data[p] == 0xFF) p++;
            if (p >= data.Length)
            {
                _pos = data.Length;
                return false;
            }
            if (data[p] != 0)
            {
                Marker = data[p];
                MarkerOffset = p - 1;
                _pos = p + 1;
                return true;
            }
            p++;
        }
    }
}
