namespace ClipSharp.Imaging.Bmp;

/// <summary>
/// BI_RLE8 / BI_RLE4 run-length decoding (Microsoft's specification): pairs (count, value) for runs,
/// escapes 0/0 end of line, 0/1 end of bitmap, 0/2 delta (dx, dy), 0/n literal of n pixels padded to
/// a 16-bit boundary. Pixels never written stay index 0. Runs past the row end are clipped; data that
/// ends early leaves the rest at 0, as Pillow does. (Pillow 9.4's own RLE reader mis-reads delta escapes
/// and odd-length RLE4 literals; this follows the specification there.)
/// </summary>
internal static class BmpRle
{
    public static byte[] Decode(ReadOnlySpan<byte> data, BmpInfo info)
    {
        bool rle4 = info.Bits == 4;
        int w = info.Width, h = info.Height;
        var output = new byte[(long)w * h];
        int x = 0, row = 0; // row counts in file order (bottom-up unless top-down)
        int pos = info.DataOffset;

        while (pos + 1 < data.Length && row < h)
        {
            int count = data[pos], value = data[pos + 1];
            pos += 2;
            if (count > 0)
            {
                for (int i = 0; i < count && x < w; i++, x++)
                    Put(output, info, x, row, rle4 ? (i % 2 == 0 ? value >> 4 : value & 15) : value);
                continue;
            }
            switch (value)
            {
                case 0: x = 0; row++; break;
                case 1: return output;
                case 2:
                    if (pos + 1 >= data.Length) return output;
                    x += data[pos]; row += data[pos + 1];
                    pos += 2;
                    break;
                default:
                    int n = value;
                    int bytes = rle4 ? (n + 1) / 2 : n;
                    for (int i = 0; i < n && pos + (rle4 ? i / 2 : i) < data.Length; i++)
                    {
                        int v = rle4 ? (i % 2 == 0 ? data[pos + i / 2] >> 4 : data[pos + i / 2] & 15) : data[pos + i];
                        if (x < w) Put(output, info, x, row, v);
                        x++;
                    }
                    pos += bytes + (bytes & 1);
                    break;
            }
        }
        return output;
    }

    private static void Put(byte[] output, BmpInfo info, int x, int fileRow, int value)
    {
        if (x >= info.Width || fileRow >= info.Height) return;
        int y = info.TopDown ? fileRow : info.Height - 1 - fileRow;
        output[(long)y * info.Width + x] = (byte)value;
    }
}
