using System.Buffers.Binary;

namespace ClipSharp.Imaging.Jpeg;

/// <summary>
/// Decodes baseline, extended-sequential and progressive Huffman JPEG files to the pixels libjpeg-turbo
/// produces with its default settings (as Pillow uses it): ISLOW integer IDCT, fancy upsampling, jdcolor's
/// fixed-point YCbCr→RGB. Arithmetic coding, 12-bit samples, lossless and hierarchical files are refused
/// with <see cref="NotSupportedException"/>; malformed or truncated data throws
/// <see cref="InvalidDataException"/> naming the byte offset.
/// </summary>
public static class JpegDecoder
{
    /// <summary>
    /// Decodes <paramref name="data"/> (a whole JPEG file). The result is <see cref="PixelMode.L"/> for one
    /// component, <see cref="PixelMode.Rgb"/> for three and <see cref="PixelMode.Cmyk"/> for four (inverted,
    /// as Pillow presents Adobe CMYK), with <see cref="ImageFrame.ExifOrientation"/> from the first Exif APP1.
    /// </summary>
    /// <exception cref="InvalidDataException">The data is not a well-formed JPEG file or is truncated.</exception>
    /// <exception cref="NotSupportedException">The file uses a JPEG process this decoder does not implement.</exception>
    public static ImageFrame Decode(ReadOnlySpan<byte> data, JpegDecodeOptions? options = null)
    {
        options ??= new JpegDecodeOptions();
        int scale = options.ScaleDenominator;
        if (scale is not (1 or 2 or 4 or 8))
            throw new ArgumentOutOfRangeException(nameof(options), scale, "JpegDecodeOptions.ScaleDenominator must be 1, 2, 4 or 8");
        if (data.Length < 2 || data[0] != 0xFF || data[1] != JpegConstants.Soi)
            throw new InvalidDataException(data.Length < 2
                ? $"JPEG: {data.Length} bytes is too short for a JPEG file (expected 0xFF 0xD8 at byte offset 0)"
                : $"JPEG: not a JPEG file: starts with 0x{data[0]:X2} 0x{data[1]:X2} at byte offset 0 (expected 0xFF 0xD8)");

        var budget = new JpegBudget(options.Limits ?? ImageDecodeLimits.Default, data.Length);
        var tables = new JpegTables();
        JpegFrame? frame = null;
        Upsampler[]? upsamplers = null;
        int scans = 0;
        bool sawEoi = false;
        var reader = new BitReader(data, 2);
        while (reader.Marker != 0 || reader.SeekMarker())
        {
            int marker = reader.Marker, at = reader.MarkerOffset, p = reader.Position;
            reader.Marker = 0;
            if (marker == JpegConstants.Eoi)
            {
                sawEoi = true;
                break;
            }
            if (marker is (>= JpegConstants.Rst0 and <= JpegConstants.Rst7) or 0x01)
                continue;
            string name = JpegConstants.Name(marker);
            if (marker == JpegConstants.Soi)
                throw new InvalidDataException($"JPEG: second SOI marker at byte offset {at}");
            if (p + 2 > data.Length)
                throw new InvalidDataException($"JPEG: file ends at byte offset {data.Length} inside the length of the {name} segment at byte offset {at}");
            int length = BinaryPrimitives.ReadUInt16BigEndian(data[p..]);
            if (length < 2)
                throw new InvalidDataException($"JPEG: {name} segment at byte offset {at} has length {length} (at least 2)");
            if (p + length > data.Length)
                throw new InvalidDataException(
                    $"JPEG: {name} segment at byte offset {at} declares {length} bytes but the file ends at byte offset {data.Length}");
            var payload = data.Slice(p + 2, length - 2);
            int next = p + length;

            switch (marker)
            {
                case JpegConstants.Dht: tables.ParseDht(payload, at); break;
                case JpegConstants.Dqt: tables.ParseDqt(payload, at); break;
                case JpegConstants.Dri: tables.ParseDri(payload, at); break;
                case JpegConstants.Sos:
                {
                    if (frame == null)
                        throw new InvalidDataException($"JPEG: SOS at byte offset {at} comes before any frame header (SOF)");
                    var scan = JpegTables.ParseSos(payload, at, frame);
                    budget.CheckScan(frame, scan);
                    PrepareScan(frame, scan, tables, scans == 0);
                    reader.Reset(next);
                    DecodeScan(ref reader, frame, scan, tables.RestartInterval, data.Length, budget.Limits.Cancellation);
                    scans++;
                    if (reader.Marker == 0) reader.Reset(reader.Position);
                    continue;
                }
                case JpegConstants.Dac or JpegConstants.Dnl or JpegConstants.Com:
                case >= 0xE0 and <= 0xEF:
                    tables.ParseApp(marker, payload);
                    break;
                case 0xC8:
                    throw new NotSupportedException($"JPEG: JPG extension marker at byte offset {at} is not supported");
                case >= JpegConstants.Sof0 and <= 0xCF:
                    if (frame != null)
                        throw new InvalidDataException($"JPEG: second frame header ({name}) at byte offset {at}");
                    frame = JpegTables.ParseSof(marker, payload, at);
                    CheckSize(frame, Math.Min(options.MaxPixels, budget.Limits.MaxPixels), at);
                    frame.ComputeGeometry(scale);
                    budget.CheckFrame(frame, at);
                    upsamplers = Array.ConvertAll(frame.Components, c => new Upsampler(frame, c));
                    break;
                default:
                    throw new InvalidDataException($"JPEG: unknown marker {name} at byte offset {at}");
            }
            reader.Reset(next);
        }

        if (frame == null)
            throw new InvalidDataException($"JPEG: no frame header (SOF) before {(sawEoi ? "EOI" : "the end of the data")} at byte offset {reader.Position}");
        if (scans == 0)
            throw new InvalidDataException($"JPEG: no scan (SOS) before {(sawEoi ? "EOI" : "the end of the data")} at byte offset {reader.Position}");
        // Pillow (without LOAD_TRUNCATED_IMAGES) rejects a file that ends without EOI, even after complete scans.
        if (!sawEoi)
            throw new InvalidDataException($"JPEG: image data is truncated: the file ends at byte offset {data.Length} without an EOI marker");
        if (frame.Progressive)
            TransformCoefficients(frame);
        return Assemble(frame, tables, upsamplers!);
    }

    private static void CheckSize(JpegFrame frame, long maxPixels, int at)
    {
        long pixels = (long)frame.Width * frame.Height;
        if (pixels > maxPixels)
            throw new InvalidDataException(
                $"JPEG: frame header at byte offset {at} declares {frame.Width}x{frame.Height} = {pixels} pixels, more than the limit of {maxPixels}");
        if (pixels * frame.Components.Length > Array.MaxLength / 2)
            throw new InvalidDataException(
                $"JPEG: frame header at byte offset {at} declares {frame.Width}x{frame.Height}x{frame.Components.Length}, too large to decode in memory");
    }

    /// <summary>Latches quantisation tables, resolves Huffman tables and allocates sample or coefficient storage.</summary>
    private static void PrepareScan(JpegFrame frame, ScanHeader scan, JpegTables tables, bool first)
    {
        if (first)
        {
            foreach (var c in frame.Components)
            {
                int size = c.ScaledBlockSize;
                c.PlaneStride = c.BlocksPerLine * size;
                if (frame.Progressive)
                {
                    c.Coefficients = new short[(long)c.BlocksPerLine * c.BlocksPerColumn * 64];
                }
                else
                {
                    c.Plane = new byte[(long)c.PlaneStride * c.BlocksPerColumn * size];
                    c.Plane.AsSpan().Fill(128);
                }
            }
        }
        bool needDc = !frame.Progressive || (scan.Ss == 0 && scan.Ah == 0);
        bool needAc = !frame.Progressive || scan.Ss != 0;
        foreach (var c in scan.Components)
        {
            c.Quant ??= (short[]?)tables.Quant[c.QuantTableId]?.Clone()
                ?? throw new InvalidDataException(
                    $"JPEG: component {c.Id} uses quantisation table {c.QuantTableId}, which no DQT before the SOS at byte offset {scan.Offset} defined");
            c.DcTable = needDc ? Resolve(tables.Dc, c.DcTableId, true, !frame.Progressive, scan) : null;
            c.AcTable = needAc ? Resolve(tables.Ac, c.AcTableId, false, !frame.Progressive, scan) : null;
        }
    }

    private static HuffmanTable Resolve(HuffmanTable?[] slots, int id, bool dc, bool allowDefault, ScanHeader scan) =>
        slots[id] ?? (allowDefault ? HuffmanTable.Standard(dc, id) : null)
        ?? throw new InvalidDataException(
            $"JPEG: the SOS at byte offset {scan.Offset} uses {(dc ? "DC" : "AC")} Huffman table {id}, which no DHT defined");

    private static void DecodeScan(ref BitReader reader, JpegFrame frame, ScanHeader scan, int restartInterval, int length,
        CancellationToken cancel)
    {
        if (!frame.Progressive)
        {
            var d = new SequentialDecoder();
            ScanDriver.Run(ref reader, frame, scan, restartInterval, ref d, length, cancel);
        }
        else if (scan.Ss == 0 && scan.Ah == 0)
        {
            var d = new ProgressiveDecoder.DcFirst(scan.Al);
            ScanDriver.Run(ref reader, frame, scan, restartInterval, ref d, length, cancel);
        }
        else if (scan.Ss == 0)
        {
            var d = new ProgressiveDecoder.DcRefine(scan.Al);
            ScanDriver.Run(ref reader, frame, scan, restartInterval, ref d, length, cancel);
        }
        else if (scan.Ah == 0)
        {
            var d = new ProgressiveDecoder.AcFirst(scan.Ss, scan.Se, scan.Al);
            ScanDriver.Run(ref reader, frame, scan, restartInterval, ref d, length, cancel);
        }
        else
        {
            var d = new ProgressiveDecoder.AcRefine(scan.Ss, scan.Se, scan.Al);
            ScanDriver.Run(ref reader, frame, scan, restartInterval, ref d, length, cancel);
        }
    }

    /// <summary>Progressive frames: inverse-transforms every block that holds image data into the component planes.</summary>
    private static void TransformCoefficients(JpegFrame frame)
    {
        short[] zeroQuant = new short[64];
        foreach (var c in frame.Components)
        {
            int size = c.ScaledBlockSize;
            c.Plane = new byte[(long)c.PlaneStride * c.BlocksPerColumn * size];
            var quant = c.Quant ?? zeroQuant;
            var coefs = c.Coefficients!;
            for (int by = 0; by < c.HeightInBlocks; by++)
            for (int bx = 0; bx < c.WidthInBlocks; bx++)
            {
                var block = coefs.AsSpan((by * c.BlocksPerLine + bx) * 64, 64);
                Idct.Transform(size, block, quant, c.Plane.AsSpan(by * size * c.PlaneStride + bx * size), c.PlaneStride);
            }
            c.Coefficients = null;
        }
    }

    /// <summary>Upsamples and colour-converts the component planes into the output frame.</summary>
    private static ImageFrame Assemble(JpegFrame frame, JpegTables tables, Upsampler[] upsamplers)
    {
        var space = ColorConverter.Detect(frame, tables);
        var mode = space switch
        {
            JpegColorSpace.Grayscale => PixelMode.L,
            JpegColorSpace.YCbCr or JpegColorSpace.Rgb => PixelMode.Rgb,
            _ => PixelMode.Cmyk,
        };
        int width = frame.OutputWidth, height = frame.OutputHeight;
        int bpp = ImageFrame.BytesPerPixelOf(mode);
        var pixels = new byte[(long)width * height * bpp];
        int n = upsamplers.Length;
        for (int y = 0; y < height; y++)
        {
            var r0 = upsamplers[0].Row(y);
            var r1 = n > 1 ? upsamplers[1].Row(y) : default;
            var r2 = n > 2 ? upsamplers[2].Row(y) : default;
            var r3 = n > 3 ? upsamplers[3].Row(y) : default;
            ColorConverter.ConvertRow(space, r0, r1, r2, r3, pixels.AsSpan(y * width * bpp, width * bpp), width);
        }
        return new ImageFrame(width, height, mode, pixels) { ExifOrientation = tables.ExifOrientation };
    }
}
