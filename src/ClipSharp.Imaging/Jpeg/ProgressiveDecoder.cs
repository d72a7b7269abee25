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
            reader.DecodeAcFirst(Block(c, blockRow, blockCol), c.AcTable!, ss, se, al, ref _eobRun);
        }
    }

    public struct AcRefine(int ss, int se, int al) : IBlockDecoder
    {
        private int _eobRun;

        public void Restart() => _eobRun = 0;

        public void DecodeBlock(ref BitReader reader, JpegComponent c, int blockRow, int blockCol) =>
            reader.DecodeAcRefine(Block(c, blockRow, blockCol), c.AcTable!, ss, se, al, ref _eobRun);
    }
}
