namespace ClipSharp.Imaging.Jpeg;

internal ref partial struct BitReader
{
    /// <summary>
    /// Decodes one sequential-mode block (T.81 F.2.2) into <paramref name="block"/> (natural order, must be
    /// zero on entry): DC size category + extra bits added to <paramref name="predictor"/>, then run/size AC
    /// codes up to EOB. The bit buffer lives in locals for the block's duration (this is the decoder's
    /// hottest loop); the results are exactly those of <see cref="DecodeHuffman"/> + <see cref="ReceiveExtend"/>.
    /// </summary>
    public void DecodeSequentialBlock(Span<short> block, HuffmanTable dc, HuffmanTable ac, ref int predictor)
    {
        block = block[..64];
        ReadOnlySpan<byte> zigzag = JpegConstants.ZigZag;
        const int Peek = HuffmanTable.LookupBits;
        ulong buf = _buffer;
        int cnt = _count;

        if (cnt < 32) { _buffer = buf; _count = cnt; Fill(); buf = _buffer; cnt = _count; }
        int entry = dc.Lookup((int)(buf >> (64 - Peek)));
        if (entry == 0) entry = dc.DecodeLong((int)(buf >> 48));
        int len = entry >> 8, s = entry & 15;
        buf <<= len;
        cnt -= len;
        int diff = 0;
        if (s != 0)
        {
            int v = (int)(buf >> (64 - s));
            buf <<= s;
            cnt -= s;
            diff = v < (1 << (s - 1)) ? v - (1 << s) + 1 : v;
        }
        predictor = unchecked(predictor + diff);
        block[0] = unchecked((short)predictor);

        for (int k = 1; k < 64; k++)
        {
            if (cnt < 32) { _buffer = buf; _count = cnt; Fill(); buf = _buffer; cnt = _count; }
            int peek = (int)(buf >> (64 - Peek));
            int fast = ac.FastAc(peek);
            if (fast != 0)
            {
                k += (fast >> 4) & 15;
                len = fast & 15;
                buf <<= len;
                cnt -= len;
                block[zigzag[k]] = (short)(fast >> 8);
                continue;
            }
            entry = ac.Lookup(peek);
            if (entry == 0) entry = ac.DecodeLong((int)(buf >> 48));
            len = entry >> 8;
            buf <<= len;
            cnt -= len;
            int rs = entry & 0xFF;
            int r = rs >> 4;
            s = rs & 15;
            if (s != 0)
            {
                k += r;
                int v = (int)(buf >> (64 - s));
                buf <<= s;
                cnt -= s;
                block[zigzag[k]] = unchecked((short)(v < (1 << (s - 1)) ? v - (1 << s) + 1 : v));
            }
            else
            {
                if (r != 15) break;
                k += 15;
            }
        }
        _buffer = buf;
        _count = cnt;
    }
}
