namespace ClipSharp.Imaging.Jpeg;

/// <summary>
/// The four kinds of progressive Huffman scan (T.81 G.1.2), each adding to the coefficient array of a
/// component: DC first (difference · 2^Al), DC refinement (one bit at position Al), AC first (band Ss..Se,
/// values · 2^Al, with end-of-band runs spanning blocks) and AC refinement (one correction bit for every
/// already-nonzero coefficient, new coefficients of ±2^Al, and EOB runs).
/// Arithmetic on the 16-bit coefficients wraps, as libjpeg's JCOEF does.
/// </summary>
internal static class ProgressiveDecoder
{
    public static Span<short> Block(JpegComponent c, int blockRow, int blockCol) =>
        c.Coefficients.AsSpan((blockRow * c.BlocksPerLine + blockCol) * 64, 64);

    public struct DcFirst(int al) : IBlockDecoder
    {
        public readonly void Restart() { }

        public readonly void DecodeBlock(ref BitReader reader, JpegComponent c, int blockRow, int blockCol)
        {
            int s = reader.DecodeHuffman(c.DcTable!);
            c.DcPredictor = unchecked(c.DcPredictor + reader.ReceiveExtend(s));
            Block(c, blockRow, blockCol)[0] = unchecked((short)(c.DcPredictor << al));
        }
    }

    public struct DcRefine(int al) : IBlockDecoder
    {
        public readonly void Restart() { }

        public readonly void DecodeBlock(ref BitReader reader, JpegComponent c, int blockRow, int blockCol)
        {
            if (reader.ReadBit() != 0)
            {
                var b = Block(c, blockRow, blockCol);
                b[0] = unchecked((short)(b[0] | (short)(1 << al)));
            }
        }
    }

    public struct AcFirst(int ss, int se, int al) : IBlockDecoder
    {
        private int _eobRun;

        public void Restart() => _eobRun = 0;

        public void DecodeBlock(ref BitReader reader, JpegComponent c, int blockRow, int blockCol)
        {
            if (_eobRun > 0)
            {
                _eobRun--;
                return;
            }
            var b = Block(c, blockRow, blockCol);
            var zigzag = JpegConstants.ZigZag;
            var table = c.AcTable!;
            for (int k = ss; k <= se; k++)
            {
                int rs = reader.DecodeHuffman(table);
                int r = rs >> 4, s = rs & 15;
                if (s != 0)
                {
                    k += r;
                    b[zigzag[k]] = unchecked((short)(reader.ReceiveExtend(s) * (1 << al)));
                }
                else if (r == 15)
                {
                    k += 15;
                }
                else
                {
                    _eobRun = (1 << r) + reader.ReadBits(r) - 1;
                    break;
                }
            }
        }
    }

    public struct AcRefine(int ss, int se, int al) : IBlockDecoder
    {
        private int _eobRun;

        public void Restart() => _eobRun = 0;

        public void DecodeBlock(ref BitReader reader, JpegComponent c, int blockRow, int blockCol)
        {
            var b = Block(c, blockRow, blockCol);
            var zigzag = JpegConstants.ZigZag;
            int p1 = 1 << al, m1 = -1 * p1;
            int k = ss;
            if (_eobRun == 0)
            {
                var table = c.AcTable!;
                for (; k <= se; k++)
                {
                    int rs = reader.DecodeHuffman(table);
                    int r = rs >> 4, s = rs & 15;
                    if (s != 0)
                    {
                        // Size must be 1; libjpeg only warns otherwise and reads one sign bit regardless.
                        s = reader.ReadBit() != 0 ? p1 : m1;
                    }
                    else if (r != 15)
                    {
                        _eobRun = (1 << r) + reader.ReadBits(r);
                        break;
                    }
                    // Skip r zero-history coefficients, refining nonzero ones on the way.
                    do
                    {
                        int z = zigzag[k];
                        if (b[z] != 0)
                        {
                            Refine(ref reader, ref b[z], p1, m1);
                        }
                        else
                        {
                            if (--r < 0) break;
                        }
                        k++;
                    } while (k <= se);
                    if (s != 0)
                        b[zigzag[k]] = unchecked((short)s);
                }
            }
            if (_eobRun > 0)
            {
                for (; k <= se; k++)
                {
                    int z = zigzag[k];
                    if (b[z] != 0) Refine(ref reader, ref b[z], p1, m1);
                }
                _eobRun--;
            }
        }

        private static void Refine(ref BitReader reader, ref short coef, int p1, int m1)
        {
            if (reader.ReadBit() != 0 && (coef & p1) == 0)
                coef = unchecked((short)(coef + (coef >= 0 ? p1 : m1)));
        }
    }
}
