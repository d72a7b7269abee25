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

    /// <summary>
    /// Progressive AC first scan for one block (T.81 G.1.2.2): band Ss..Se, values scaled by 2^Al, an EOBn
    /// symbol starting a run of <paramref name="eobRun"/> further blocks with no coefficients in the band.
    /// The caller handles blocks inside a pending run.
    /// </summary>
    public void DecodeAcFirst(Span<short> block, HuffmanTable ac, int ss, int se, int al, ref int eobRun)
    {
        block = block[..64];
        ReadOnlySpan<byte> zigzag = JpegConstants.ZigZag;
        const int Peek = HuffmanTable.LookupBits;
        ulong buf = _buffer;
        int cnt = _count;
        for (int k = ss; k <= se; k++)
        {
            if (cnt < 32) { _buffer = buf; _count = cnt; Fill(); buf = _buffer; cnt = _count; }
            int peek = (int)(buf >> (64 - Peek));
            int fast = ac.FastAc(peek);
            if (fast != 0)
            {
                k += (fast >> 4) & 15;
                int n = fast & 15;
                buf <<= n;
                cnt -= n;
                block[zigzag[k]] = unchecked((short)((fast >> 8) * (1 << al)));
                continue;
            }
            int entry = ac.Lookup(peek);
            if (entry == 0) entry = ac.DecodeLong((int)(buf >> 48));
            int len = entry >> 8;
            buf <<= len;
            cnt -= len;
            int r = (entry >> 4) & 15, s = entry & 15;
            if (s != 0)
            {
                k += r;
                int v = (int)(buf >> (64 - s));
                buf <<= s;
                cnt -= s;
                v = v < (1 << (s - 1)) ? v - (1 << s) + 1 : v;
                block[zigzag[k]] = unchecked((short)(v * (1 << al)));
            }
            else if (r == 15)
            {
                k += 15;
            }
            else
            {
                int run = (1 << r) - 1;
                if (r != 0)
                {
                    run += (int)(buf >> (64 - r));
                    buf <<= r;
                    cnt -= r;
                }
                eobRun = run;
                break;
            }
        }
        _buffer = buf;
        _count = cnt;
    }

    /// <summary>
    /// Progressive AC refinement for one block (T.81 G.1.2.3): a correction bit for every coefficient of
    /// the band that is already nonzero (adding ±2^Al when the bit is set and that bit is still clear),
    /// new coefficients of ±2^Al placed after skipping r zero-history positions, and EOB runs, during which
    /// only the correction bits are read. <paramref name="eobRun"/> carries the run across blocks.
    /// </summary>
    public void DecodeAcRefine(Span<short> block, HuffmanTable ac, int ss, int se, int al, ref int eobRun)
    {
        block = block[..64];
        ReadOnlySpan<byte> zigzag = JpegConstants.ZigZag;
        int p1 = 1 << al, m1 = -1 * p1;
        ulong buf = _buffer;
        int cnt = _count;
        int k = ss;
        if (eobRun == 0)
        {
            for (; k <= se; k++)
            {
                if (cnt < 32) { _buffer = buf; _count = cnt; Fill(); buf = _buffer; cnt = _count; }
                int entry = ac.Lookup((int)(buf >> (64 - HuffmanTable.LookupBits)));
                if (entry == 0) entry = ac.DecodeLong((int)(buf >> 48));
                int len = entry >> 8;
                buf <<= len;
                cnt -= len;
                int r = (entry >> 4) & 15, s = entry & 15;
                if (s != 0)
                {
                    // The size must be 1; libjpeg only warns otherwise and reads one sign bit regardless.
                    s = (long)buf < 0 ? p1 : m1;
                    buf <<= 1;
                    cnt--;
                }
                else if (r != 15)
                {
                    int run = 1 << r;
                    if (r != 0)
                    {
                        run += (int)(buf >> (64 - r));
                        buf <<= r;
                        cnt -= r;
                    }
                    eobRun = run;
                    break;
                }
                do
                {
                    ref short coef = ref block[zigzag[k]];
                    if (coef != 0)
                    {
                        if (cnt < 1) { _buffer = buf; _count = cnt; Fill(); buf = _buffer; cnt = _count; }
                        bool set = (long)buf < 0;
                        buf <<= 1;
                        cnt--;
                        if (set && (coef & p1) == 0)
                            coef = unchecked((short)(coef + (coef >= 0 ? p1 : m1)));
                    }
                    else if (--r < 0)
                    {
                        break;
                    }
                    k++;
                } while (k <= se);
                if (s != 0)
                    block[zigzag[k]] = unchecked((short)s);
            }
        }
        if (eobRun > 0)
        {
            // A block with no nonzero coefficient reads no correction bits: skip its band in one vector test.
            if (k == ss && !block[1..].ContainsAnyExcept((short)0)) k = se + 1;
            for (; k <= se; k++)
            {
                ref short coef = ref block[zigzag[k]];
                if (coef == 0) continue;
                if (cnt < 1) { _buffer = buf; _count = cnt; Fill(); buf = _buffer; cnt = _count; }
                bool set = (long)buf < 0;
                buf <<= 1;
                cnt--;
                if (set && (coef & p1) == 0)
                    coef = unchecked((short)(coef + (coef >= 0 ? p1 : m1)));
            }
            eobRun--;
        }
        _buffer = buf;
        _count = cnt;
    }
}
