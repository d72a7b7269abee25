namespace ClipSharp.Imaging.Jpeg;

/// <summary>
/// One image component of a frame (SOF) plus the decoder's per-component state: its block geometry, the
/// quantisation table latched at its first scan, its coefficients (progressive frames) and the sample
/// plane the inverse DCT writes.
/// </summary>
internal sealed class JpegComponent
{
    public required int Id { get; init; }
    public required int Index { get; init; }
    /// <summary>Horizontal and vertical sampling factors (1..4).</summary>
    public required int H { get; init; }
    public required int V { get; init; }
    public required int QuantTableId { get; init; }

    /// <summary>Dequantisation multipliers in natural (row-major) order, held as 16-bit signed values like libjpeg-turbo's SIMD builds hold them, copied from the DQT slot when the
    /// component's first scan starts (libjpeg latches tables then, so later DQTs do not affect it).</summary>
    public short[]? Quant;

    /// <summary>Blocks that hold image data: ceil(ceil(width * H / maxH) / 8), likewise for height. A
    /// non-interleaved scan codes exactly these.</summary>
    public int WidthInBlocks, HeightInBlocks;
    /// <summary>Blocks per row/column padded to whole MCUs, as an interleaved scan codes them.</summary>
    public int BlocksPerLine, BlocksPerColumn;

    /// <summary>Edge of the square this component's 8x8 blocks are inverse-transformed into (1, 2, 4 or 8).</summary>
    public int ScaledBlockSize;
    /// <summary>Meaningful samples after the scaled IDCT: ceil(width * H * ScaledBlockSize / (maxH * 8)).</summary>
    public int DownsampledWidth, DownsampledHeight;

    /// <summary>Progressive frames: 64 coefficients per block (natural order), BlocksPerLine x BlocksPerColumn blocks.</summary>
    public short[]? Coefficients;

    /// <summary>Samples after the IDCT, <see cref="PlaneStride"/> per row.</summary>
    public byte[] Plane = [];
    public int PlaneStride;

    /// <summary>DC predictor of the scan in progress.</summary>
    public int DcPredictor;
    /// <summary>Huffman table slots (from SOS) and the tables resolved for the scan in progress.</summary>
    public int DcTableId, AcTableId;
    public HuffmanTable? DcTable, AcTable;
}

/// <summary>The frame header (SOF) and the geometry derived from it for a given output scale.</summary>
internal sealed class JpegFrame
{
    public required int Marker { get; init; }
    public required int Width { get; init; }
    public required int Height { get; init; }
    public required JpegComponent[] Components { get; init; }

    public bool Progressive => Marker == JpegConstants.Sof2;
    public int MaxH { get; private set; }
    public int MaxV { get; private set; }
    /// <summary>MCUs per row and per column of an interleaved scan.</summary>
    public int McusX { get; private set; }
    public int McusY { get; private set; }
    /// <summary>Output size: ceil(Width * minScaled / 8).</summary>
    public int OutputWidth { get; private set; }
    public int OutputHeight { get; private set; }
    /// <summary>Smallest scaled block edge over the components (libjpeg's min_DCT_scaled_size): 8 / scale denominator.</summary>
    public int MinScaledBlockSize { get; private set; }

    /// <summary>
    /// Computes block counts and the scaled-IDCT geometry. Each component starts from 8 / <paramref name="scale"/>
    /// and doubles its IDCT size while that still divides the frame's largest sampling factors, so that
    /// subsampled chroma is enlarged by the IDCT rather than by the upsampler (libjpeg-turbo's
    /// jpeg_calc_output_dimensions does exactly this, and the pixels depend on it).
    /// </summary>
    public void ComputeGeometry(int scale)
    {
        MaxH = Components.Max(c => c.H);
        MaxV = Components.Max(c => c.V);
        McusX = DivCeil(Width, 8 * MaxH);
        McusY = DivCeil(Height, 8 * MaxV);
        int min = 8 / scale;
        MinScaledBlockSize = min;
        OutputWidth = DivCeil(Width, scale);
        OutputHeight = DivCeil(Height, scale);
        foreach (var c in Components)
        {
            c.WidthInBlocks = (int)DivCeil((long)Width * c.H, 8L * MaxH);
            c.HeightInBlocks = (int)DivCeil((long)Height * c.V, 8L * MaxV);
            c.BlocksPerLine = McusX * c.H;
            c.BlocksPerColumn = McusY * c.V;
            int size = min;
            while (size < 8 && (MaxH * min) % (c.H * size * 2) == 0 && (MaxV * min) % (c.V * size * 2) == 0)
                size *= 2;
            c.ScaledBlockSize = size;
            c.DownsampledWidth = (int)DivCeil((long)Width * c.H * size, 8L * MaxH);
            c.DownsampledHeight = (int)DivCeil((long)Height * c.V * size, 8L * MaxV);
        }
    }

    public static int DivCeil(int a, int b) => (a + b - 1) / b;
    public static long DivCeil(long a, long b) => (a + b - 1) / b;
}
