namespace ClipSharp.Imaging.Gif;

/// <summary>
/// GIF's variable-width LZW decoder (codes LSB-first, 12-bit maximum, clear = 2^m, end = 2^m + 1),
/// reading the image-data sub-blocks in place and writing indices through a row mapper so interlaced
/// frames land on the right rows.
/// </summary>
internal static class GifLzw
{
    private const int MaxCodes = 4096;

    /// <summary>
    /// Decodes one frame's LZW stream starting at <paramref name="pos"/> (the first sub-block length byte)
    /// into <paramref name="canvas"/>: pixel i of the frame goes to row <c>rowOf(i / frameWidth)</c>, column
    /// <c>left + i % frameWidth</c>. Stops at the end code or when every pixel is written; an early end of the
    /// code stream leaves the rest of the canvas as it was. Returns the offset just past the frame's block
    /// terminator (or the end of the data when the decoder stopped before reaching it).
    /// </summary>
    public static int Decode(ReadOnlySpan<byte> data, int pos, int minCodeSize, Span<byte> canvas, int canvasWidth,
        int left, int frameWidth, int frameHeight, Func<int, int> rowOf)
    {
        if (minCodeSize is < 1 or > 11)
            throw new InvalidDataException($"GIF: LZW minimum code size {minCodeSize} at offset {pos - 1} is outside 1..11");

        Span<short> prefix = stackalloc short[MaxCodes];
        Span<byte> suffix = stackalloc byte[MaxCodes];
        Span<byte> first = stackalloc byte[MaxCodes];
        Span<short> length = stackalloc short[MaxCodes];
        Span<byte> stack = stackalloc byte[MaxCodes];

        int clear = 1 << minCodeSize, end = clear + 1;
        for (int i = 0; i < clear; i++) { prefix[i] = -1; suffix[i] = (byte)i; first[i] = (byte)i; length[i] = 1; }
        int codeSize = minCodeSize + 1, next = clear + 2, prev = -1;

        long total = (long)frameWidth * frameHeight, written = 0;
        int blockLeft = 0;          // bytes left in the current sub-block
        int bitBuffer = 0, bitCount = 0;
        bool streamEnded = false;

        while (written < total)
        {
            // Fill the bit buffer with enough bits for one code.
            while (bitCount < codeSize)
            {
                if (blockLeft == 0)
                {
                    if (pos >= data.Length)
                        throw new InvalidDataException($"GIF: image data truncated at offset {pos} ({written} of {total} pixels decoded)");
                    blockLeft = data[pos++];
                    if (blockLeft == 0) { streamEnded = true; break; }
                }
                if (pos >= data.Length)
                    throw new InvalidDataException($"GIF: image data truncated at offset {pos} ({written} of {total} pixels decoded)");
                bitBuffer |= data[pos++] << bitCount;
                bitCount += 8;
                blockLeft--;
            }
            if (streamEnded) break;

            int code = bitBuffer & ((1 << codeSize) - 1);
            bitBuffer >>= codeSize;
            bitCount -= codeSize;

            if (code == clear) { codeSize = minCodeSize + 1; next = clear + 2; prev = -1; continue; }
            if (code == end) break;

            int emit;
            byte k;
            if (prev < 0)
            {
                if (code > clear)
                    throw new InvalidDataException($"GIF: LZW code {code} near offset {pos} refers to an empty table");
                emit = code; k = first[code];
            }
            else if (code < next) { emit = code; k = first[code]; }
            else if (code == next) { emit = -1; k = first[prev]; }
            else throw new InvalidDataException($"GIF: LZW code {code} near offset {pos} is past the table end {next}");

            // Write the string for `emit` (or prev's string + k for the KwKwK case).
            int n;
            if (emit >= 0)
            {
                n = length[emit];
                for (int c = emit, i = n - 1; i >= 0; i--, c = prefix[c]) stack[i] = suffix[c];
            }
            else
            {
                n = length[prev] + 1;
                stack[n - 1] = k;
                for (int c = prev, i = n - 2; i >= 0; i--, c = prefix[c]) stack[i] = suffix[c];
            }
            for (int i = 0; i < n && written < total; i++, written++)
            {
                int fy = (int)(written / frameWidth), fx = (int)(written % frameWidth);
                canvas[rowOf(fy) * canvasWidth + left + fx] = stack[i];
            }

            if (prev >= 0 && next < MaxCodes)
            {
                prefix[next] = (short)prev;
                suffix[next] = k;
                first[next] = first[prev];
                length[next] = (short)(length[prev] + 1);
                next++;
                if (next == 1 << codeSize && codeSize < 12) codeSize++;
            }
            prev = code;
        }

        // Skip whatever sub-blocks remain up to the terminator (tolerating a missing one at end of file).
        if (!streamEnded)
        {
            pos += blockLeft;
            while (pos < data.Length)
            {
                int len = data[pos++];
                if (len == 0) break;
                pos += len;
            }
        }
        return Math.Min(pos, data.Length);
    }
}
