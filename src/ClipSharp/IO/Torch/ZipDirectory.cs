using System.Buffers.Binary;

namespace ClipSharp.IO;

/// <summary>
/// Reads the entry count from a zip's end-of-central-directory record (and its Zip64 form) before
/// <see cref="System.IO.Compression.ZipArchive"/> builds an object per entry, so an archive claiming
/// millions of entries is refused in constant time and memory.
/// </summary>
internal static class ZipDirectory
{
    private const uint EndSignature = 0x06054b50;
    private const uint Zip64LocatorSignature = 0x07064b50;
    private const uint Zip64EndSignature = 0x06064b50;
    private const int EndSize = 22;
    private const int MaxComment = 0xFFFF;

    /// <summary>Throws a <see cref="CheckpointException"/> when the archive declares more than <paramref name="maxEntries"/> entries.
    /// A missing or unreadable record is left for the zip reader to report.</summary>
    public static void CheckEntryCount(string path, FileStream fs, long maxEntries, long maxDirectoryBytes)
    {
        long length = fs.Length;
        if (length < EndSize) return;
        int tail = (int)Math.Min(length, EndSize + MaxComment);
        var buffer = new byte[tail];
        fs.Seek(length - tail, SeekOrigin.Begin);
        fs.ReadExactly(buffer);
        fs.Seek(0, SeekOrigin.Begin);
        for (int at = tail - EndSize; at >= 0; at--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(at)) != EndSignature) continue;
            long entries = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(at + 10));
            long directory = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(at + 12));
            if ((entries == 0xFFFF || directory == 0xFFFFFFFF) && at >= 20 && BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(at - 20)) == Zip64LocatorSignature
                && Zip64Record(fs, BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(at - 20 + 8)), length) is { } z)
                (entries, directory) = z;
            if (entries > maxEntries)
                throw new CheckpointException(path, $"zip archive declares {entries} entries; expected at most {maxEntries} for a checkpoint");
            // The reader builds one object per directory record whatever the count says, so bound the bytes too.
            if (directory > maxDirectoryBytes)
                throw new CheckpointException(path, $"zip central directory is {directory} bytes; expected at most {maxDirectoryBytes} for a checkpoint");
            return;
        }
    }

    private static (long Entries, long DirectoryBytes)? Zip64Record(FileStream fs, ulong offset, long length)
    {
        if (offset > (ulong)(length - 56)) return null;
        var record = new byte[56];
        fs.Seek((long)offset, SeekOrigin.Begin);
        fs.ReadExactly(record);
        fs.Seek(0, SeekOrigin.Begin);
        if (BinaryPrimitives.ReadUInt32LittleEndian(record) != Zip64EndSignature) return null;
        static long Clamp(ulong v) => v > long.MaxValue ? long.MaxValue : (long)v;
        return (Clamp(BinaryPrimitives.ReadUInt64LittleEndian(record.AsSpan(32))), Clamp(BinaryPrimitives.ReadUInt64LittleEndian(record.AsSpan(40))));
    }
}
