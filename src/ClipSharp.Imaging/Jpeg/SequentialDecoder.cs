namespace ClipSharp.Imaging.Jpeg;

/// <summary>
/// Baseline / extended sequential Huffman blocks (T.81 F.2.2): a DC difference coded as a size category
/// plus extra bits and added to the component's predictor, then run/size-coded AC coefficients in
/// zig-zag order up to an end-of-block. Each decoded block is inverse-transformed straight into the
/// component's sample plane, since a sequential scan delivers every coefficient of a block at once.
/// </summary>
internal struct SequentialDecoder : IBlockDecoder
{
    private readonly short[] _block;

    public SequentialDecoder() => _block = new short[64];

    public readonly void Restart() { }

    public readonly void DecodeBlock(ref BitReader reader, JpegComponent c, int blockRow, int blockCol)
    {
        var block = _block.AsSpan();
        block.Clear();
        reader.DecodeSequentialBlock(block, c.DcTable!, c.AcTable!, ref c.DcPredictor);

        int size = c.ScaledBlockSize;
        int offset = blockRow * size * c.PlaneStride + blockCol * size;
        Idct.Transform(size, block, c.Quant, c.Plane.AsSpan(offset), c.PlaneStride);
    }
}
