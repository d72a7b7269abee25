using System.Buffers.Binary;

namespace ClipSharp.Imaging.Tests;

/// <summary>Exif orientation parsing: both byte orders, SHORT and LONG values, and malformed payloads.</summary>
public class JpegExifTests
{
    /// <summary>A TIFF payload whose IFD0 has a junk entry then the orientation entry.</summary>
    private static byte[] Tiff(bool bigEndian, int orientation, ushort type = 3, bool prefix = false, uint ifdOffset = 8)
    {
        var b = new byte[8 + 2 + 2 * 12 + 4];
        void U16(int at, int v) { if (bigEndian) BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(at), (ushort)v); else BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(at), (ushort)v); }
        void U32(int at, uint v) { if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(at), v); else BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(at), v); }
        b[0] = b[1] = (byte)(bigEndian ? 'M' : 'I');
        U16(2, 42);
        U32(4, ifdOffset);
        U16(8, 2);
        U16(10, 0x010F); U16(12, 2); U32(14, 4); U32(18, 0x41424300);
        U16(22, 0x0112); U16(24, type); U32(26, 1);
        if (type == 3) U16(30, orientation); else U32(30, (uint)orientation);
        return prefix ? [.. "Exif\0\0"u8, .. b] : b;
    }

    [Theory]
    [InlineData(false, 6)]
    [InlineData(true, 8)]
    [InlineData(false, 1)]
    [InlineData(true, 3)]
    public void ReadsShortInBothByteOrders(bool bigEndian, int value)
    {
        Assert.True(Exif.TryReadOrientation(Tiff(bigEndian, value), out int o));
        Assert.Equal(value, o);
        Assert.Equal(value, Exif.ReadOrientation(Tiff(bigEndian, value, prefix: true)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsLongValues(bool bigEndian) =>
        Assert.Equal(5, Exif.ReadOrientation(Tiff(bigEndian, 5, type: 4)));

    [Theory]
    [InlineData(0)]
    [InlineData(9)]
    [InlineData(0xFFFF)]
    public void OutOfRangeValuesReadAsAbsent(int value)
    {
        Assert.False(Exif.TryReadOrientation(Tiff(false, value), out int o));
        Assert.Equal(1, o);
    }

    [Fact]
    public void MalformedPayloadsNeverThrow()
    {
        Assert.Equal(1, Exif.ReadOrientation([]));
        Assert.Equal(1, Exif.ReadOrientation("Exif\0\0"u8));
        Assert.Equal(1, Exif.ReadOrientation("XX*\0\b\0\0\0"u8));
        Assert.False(Exif.TryReadOrientation(Tiff(false, 6, type: 7), out _));
        Assert.False(Exif.TryReadOrientation(Tiff(true, 6, ifdOffset: 0xFFFFFFF0), out _));
        Assert.False(Exif.TryReadOrientation(Tiff(false, 6, ifdOffset: 3), out _));
        byte[] full = Tiff(true, 6);
        for (int n = 0; n < full.Length; n++)
        {
            // Every prefix short of the orientation entry's end reads as absent.
            bool found = Exif.TryReadOrientation(full.AsSpan(0, n), out int o);
            Assert.Equal(n >= 34, found);
            if (found) Assert.Equal(6, o);
        }
        var rng = new Random(7);
        for (int i = 0; i < 2000; i++)
        {
            byte[] copy = Tiff(i % 2 == 0, 6);
            copy[rng.Next(copy.Length)] = (byte)rng.Next(256);
            int o = Exif.ReadOrientation(copy);
            Assert.InRange(o, 1, 8);
        }
    }

    [Fact]
    public void HugeEntryCountStopsAtTheEnd()
    {
        byte[] b = Tiff(false, 6);
        b[8] = 0xFF; b[9] = 0xFF;
        Assert.Equal(6, Exif.ReadOrientation(b));
        b[22] = 0; // break the orientation tag: the scan must stop at the end of the data, not run on
        Assert.Equal(1, Exif.ReadOrientation(b));
    }
}
