namespace ClipSharp.Imaging.Jpeg;

/// <summary>Decodes the entropy-coded data of one block into coefficients or samples.</summary>
internal interface IBlockDecoder
{
    /// <summary>Decodes the block at (<paramref name="blockRow"/>, <paramref name="blockCol"/>) of <paramref name="component"/>.</summary>
    void DecodeBlock(ref BitReader reader, JpegComponent component, int blockRow, int blockCol);

    /// <summary>Clears state that a restart marker resets (progressive EOB runs).</summary>
    void Restart();
}

/// <summary>
/// Walks the MCUs of one scan, calls the block decoder for each block, and handles restart intervals:
/// at each interval boundary the bit buffer is dropped, DC predictors are zeroed and the expected RSTn is
/// consumed, or recovered from with libjpeg's resync rules when the markers are out of step. When a
/// segment runs into a marker before its data ends, the rest of that segment is left undecoded (zero
/// coefficients), as libjpeg does; when the data itself ends, the file is truncated and this throws.
/// </summary>
internal static class ScanDriver
{
    public static void Run<T>(ref BitReader reader, JpegFrame frame, ScanHeader scan, int restartInterval,
        ref T decoder, int dataLength, CancellationToken cancel = default) where T : struct, IBlockDecoder
    {
        var comps = scan.Components;
        bool single = comps.Length == 1;
        int mcusX = single ? comps[0].WidthInBlocks : frame.McusX;
        int mcusY = single ? comps[0].HeightInBlocks : frame.McusY;
        long total = (long)mcusX * mcusY;
        foreach (var c in comps) c.DcPredictor = 0;
        decoder.Restart();

        int nextRestart = 0;
        int toGo = restartInterval;
        bool insufficient = false;
        int mx = 0, my = 0;
        for (long m = 0; m < total; m++)
        {
            if (restartInterval != 0)
            {
                if (toGo == 0)
                {
                    ProcessRestart(ref reader, ref nextRestart, scan, m, total, dataLength);
                    foreach (var c in comps) c.DcPredictor = 0;
                    decoder.Restart();
                    insufficient = false;
                    toGo = restartInterval;
                }
                toGo--;
            }
            if (insufficient)
            {
                // The segment ran into a marker: nothing more is decoded until the next restart (or at all).
                if (restartInterval == 0) break;
                long skip = Math.Min(toGo, total - 1 - m);
                m += skip;
                toGo -= (int)skip;
                mx = (int)((m + 1) % mcusX);
                my = (int)((m + 1) / mcusX);
                continue;
            }
            {
                if (single)
                {
                    decoder.DecodeBlock(ref reader, comps[0], my, mx);
                }
                else
                {
                    foreach (var c in comps)
                        for (int v = 0; v < c.V; v++)
                            for (int h = 0; h < c.H; h++)
                                decoder.DecodeBlock(ref reader, c, my * c.V + v, mx * c.H + h);
                }
                if (reader.UsedFakeBits)
                {
                    if (reader.Marker == 0)
                        throw Truncated(scan, m, total, dataLength);
                    insufficient = true;
                }
            }
            if (++mx == mcusX)
            {
                mx = 0;
                my++;
                cancel.ThrowIfCancellationRequested();
            }
        }
    }

    /// <summary>
    /// Consumes the restart marker expected after an interval. If another marker is found, applies
    /// libjpeg's jpeg_resync_to_restart policy: a marker that is not RSTn, or one of the next two RSTs, is
    /// left for the following segment (which then decodes as empty); one of the previous two RSTs is skipped
    /// and the search continues; anything else is discarded.
    /// </summary>
    private static void ProcessRestart(ref BitReader reader, ref int nextRestart, ScanHeader scan, long m, long total, int dataLength)
    {
        reader.Reset(reader.Position);
        if (reader.Marker == 0 && !reader.SeekMarker())
            throw Truncated(scan, m, total, dataLength);
        int desired = nextRestart;
        while (true)
        {
            int marker = reader.Marker;
            int action;
            if (marker == JpegConstants.Rst0 + desired) action = 1;
            else if (marker < JpegConstants.Sof0) action = 2;
            else if (marker is < JpegConstants.Rst0 or > JpegConstants.Rst7) action = 3;
            else if (marker == JpegConstants.Rst0 + ((desired + 1) & 7) || marker == JpegConstants.Rst0 + ((desired + 2) & 7)) action = 3;
            else if (marker == JpegConstants.Rst0 + ((desired - 1) & 7) || marker == JpegConstants.Rst0 + ((desired - 2) & 7)) action = 2;
            else action = 1;

            if (action == 1)
            {
                reader.Marker = 0;
                break;
            }
            if (action == 3)
                break;
            reader.Marker = 0;
            if (!reader.SeekMarker())
                throw Truncated(scan, m, total, dataLength);
        }
        nextRestart = (nextRestart + 1) & 7;
    }

    private static InvalidDataException Truncated(ScanHeader scan, long m, long total, int dataLength) =>
        new($"JPEG: image data is truncated: the file ends at byte offset {dataLength} inside the scan at byte offset " +
            $"{scan.Offset} after {m} of {total} MCUs");
}
