using System.Buffers.Binary;

namespace ClipSharp.Fuzz;

/// <summary>
/// Format-blind byte mutations (bit flips, interesting values, 16/32-bit integers in both byte orders,
/// truncation, deletion, duplication and repetition of ranges, random insertions, splices with another
/// seed), biased towards the first bytes of the file, where the headers live. Output never exceeds
/// <see cref="MaxLength"/>.
/// </summary>
internal static class Mutator
{
    public const int MaxLength = 1 << 20;

    private static readonly byte[] Bytes = [0, 1, 2, 0x7F, 0x80, 0xFE, 0xFF, 0x10, 0x40, 8, 16, 255];
    private static readonly uint[] Ints =
        [0, 1, 2, 3, 7, 8, 15, 16, 64, 255, 256, 1024, 4096, 13000, 32767, 32768, 65535, 65536, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFE, 100_000_000];

    public static byte[] Mutate(byte[] original, Rng rng, Func<Rng, byte[]>? spliceSource = null, int headerBias = 512)
    {
        var data = new List<byte>(original);
        int ops = rng.Count(6);
        for (int op = 0; op < ops; op++)
            Apply(data, rng, spliceSource, headerBias);
        if (data.Count > MaxLength) data.RemoveRange(MaxLength, data.Count - MaxLength);
        return data.ToArray();
    }

    private static int Position(List<byte> d, Rng rng, int headerBias) =>
        d.Count == 0 ? 0 : rng.Chance(50) ? rng.Below(Math.Min(d.Count, headerBias)) : rng.Below(d.Count);

    private static void Apply(List<byte> d, Rng rng, Func<Rng, byte[]>? splice, int headerBias)
    {
        int kind = rng.Below(11);
        if (d.Count == 0) kind = 7;
        int at = Position(d, rng, headerBias);
        switch (kind)
        {
            case 0: // bit flip
                d[at] ^= (byte)(1 << rng.Below(8));
                break;
            case 1: // interesting byte
                d[at] = rng.Pick(Bytes);
                break;
            case 2: // random byte
                d[at] = (byte)rng.Below(256);
                break;
            case 3: // interesting 16/32-bit integer, either byte order
            {
                uint v = rng.Chance(80) ? rng.Pick(Ints) : (uint)rng.Next();
                int width = rng.Chance(50) ? 2 : 4;
                Span<byte> b = stackalloc byte[4];
                if (rng.Chance(50)) BinaryPrimitives.WriteUInt32BigEndian(b, width == 2 ? v << 16 : v);
                else BinaryPrimitives.WriteUInt32LittleEndian(b, v);
                for (int i = 0; i < width && at + i < d.Count; i++) d[at + i] = b[i];
                break;
            }
            case 4: // truncate
                d.RemoveRange(at, d.Count - at);
                break;
            case 5: // delete a range
                d.RemoveRange(at, Math.Min(d.Count - at, 1 + rng.Below(rng.Chance(70) ? 16 : 4096)));
                break;
            case 6: // duplicate a range somewhere else
            {
                int len = Math.Min(d.Count - at, 1 + rng.Below(rng.Chance(70) ? 32 : 8192));
                var chunk = d.GetRange(at, len);
                d.InsertRange(rng.Below(d.Count + 1), chunk);
                break;
            }
            case 7: // insert random bytes
            {
                int len = 1 + rng.Below(16);
                var chunk = new byte[len];
                for (int i = 0; i < len; i++) chunk[i] = rng.Chance(30) ? (byte)0xFF : (byte)rng.Below(256);
                d.InsertRange(Math.Min(at, d.Count), chunk);
                break;
            }
            case 8: // repeat a range many times (many chunks, scans, blocks)
            {
                int len = Math.Min(d.Count - at, 1 + rng.Below(64));
                var chunk = d.GetRange(at, len);
                int times = 1 + rng.Below(rng.Chance(80) ? 16 : 2000);
                for (int i = 0; i < times && d.Count + len <= MaxLength; i++) d.InsertRange(at, chunk);
                break;
            }
            case 9: // splice: our head, another seed's tail
            {
                if (splice == null) goto case 0;
                var other = splice(rng);
                if (other.Length == 0) break;
                int from = rng.Below(other.Length);
                d.RemoveRange(at, d.Count - at);
                d.AddRange(other.AsSpan(from, Math.Min(other.Length - from, MaxLength - d.Count)).ToArray());
                break;
            }
            default: // overwrite a range with one byte value
            {
                int len = Math.Min(d.Count - at, 1 + rng.Below(64));
                byte v = rng.Pick(Bytes);
                for (int i = 0; i < len; i++) d[at + i] = v;
                break;
            }
        }
    }
}
