using System.Runtime.InteropServices;
using System.Text;

namespace ClipSharp.Search.Hnsw;

/// <summary>
/// File format (little-endian), version 1:
/// <code>
/// "CSHNSW\r\n"(8) version:u32 tagLength:i32 tag:utf8 D:i32 M:i32 efConstruction:i32 efSearch:i32 seed:u64
/// nodes:i32 entry:i32 maxLevel:i32 deleted:i32
/// per node: label:i64 level:i32 deleted:u8 vector:f32[D]
///           per layer 0..level: count:i32 neighbours:i32[count]
/// sha256(32) of every preceding byte
/// </code>
/// Written to a temporary file beside the target, flushed to disk, then renamed over it, so readers see
/// the old file or the new one, never a torn one.
/// </summary>
public sealed unsafe partial class HnswIndex
{
    private static ReadOnlySpan<byte> Magic => "CSHNSW\r\n"u8;
    public const uint FormatVersion = 1;

    /// <summary>Writes the index atomically to <paramref name="path"/>. <paramref name="tag"/> is free text (e.g. model id) checked on load.</summary>
    public void Save(string path, string tag = "")
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("HNSW files are written on little-endian hosts only");
        string full = System.IO.Path.GetFullPath(path);
        string tmp = $"{full}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            using (var file = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                using (var hashing = new HashingStream(file))
                using (var w = new BinaryWriter(hashing, Encoding.UTF8, leaveOpen: true))
                {
                    WriteBody(w, tag);
                    w.Flush();
                    file.Write(hashing.CurrentHash());
                }
                file.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { }
            throw;
        }
    }

    private void WriteBody(BinaryWriter w, string tag)
    {
        w.Write(Magic);
        w.Write(FormatVersion);
        var tagBytes = Encoding.UTF8.GetBytes(tag);
        w.Write(tagBytes.Length);
        w.Write(tagBytes);
        w.Write(Dimension);
        w.Write(_p.M);
        w.Write(_p.EfConstruction);
        w.Write(_p.EfSearch);
        w.Write(_p.Seed);
        w.Write(_count);
        w.Write(_entry);
        w.Write(_maxLevel);
        w.Write(_deletedCount);
        for (int n = 0; n < _count; n++)
        {
            w.Write(_labels[n]);
            w.Write(_levels[n]);
            w.Write(_deleted[n] ? (byte)1 : (byte)0);
            w.Write(MemoryMarshal.AsBytes(Vec(n)));
            for (int lc = 0; lc <= _levels[n]; lc++)
            {
                var links = Links(n, lc);
                w.Write(links[0]);
                w.Write(MemoryMarshal.AsBytes((ReadOnlySpan<int>)links.Slice(1, links[0])));
            }
        }
    }

    /// <summary>Reads the tag stored in a file's header without loading the graph (null if the file is unreadable).</summary>
    public static string? ReadTag(string path)
    {
        try
        {
            using var file = File.OpenRead(path);
            using var r = new BinaryReader(file);
            if (!r.ReadBytes(8).AsSpan().SequenceEqual(Magic) || r.ReadUInt32() != FormatVersion) return null;
            int len = r.ReadInt32();
            return len is >= 0 and <= 4096 ? Encoding.UTF8.GetString(r.ReadBytes(len)) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>
    /// Loads a file written by <see cref="Save"/>. Throws <see cref="IndexFormatException"/> naming the
    /// offset on a bad magic, version, value, truncation or checksum; if <paramref name="expectedTag"/> is
    /// given, a different tag throws <see cref="IndexMismatchException"/>.
    /// </summary>
    public static HnswIndex Load(string path, string? expectedTag = null)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("HNSW files are read on little-endian hosts only");
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using var hashing = new HashingStream(file);
        using var r = new BinaryReader(hashing, Encoding.UTF8, leaveOpen: true);
        try
        {
            var magic = r.ReadBytes(8);
            if (!magic.AsSpan().SequenceEqual(Magic))
                throw new IndexFormatException(path, $"offset 0: not an HNSW index (magic {Convert.ToHexString(magic)}, expected {Convert.ToHexString(Magic)})");
            uint version = r.ReadUInt32();
            if (version != FormatVersion)
                throw new IndexFormatException(path, $"offset 8: format version {version}, this build reads {FormatVersion}");
            int tagLen = ReadInt(r, hashing, path, "tag length", 0, 1 << 20);
            string tag = Encoding.UTF8.GetString(r.ReadBytes(tagLen));
            if (expectedTag != null && tag != expectedTag)
                throw new IndexMismatchException($"{path}: index tag is '{tag}', expected '{expectedTag}'");
            int dim = ReadInt(r, hashing, path, "dimension", 1, 1 << 16);
            int m = ReadInt(r, hashing, path, "M", 2, 1024);
            int efC = ReadInt(r, hashing, path, "efConstruction", 1, int.MaxValue);
            int efS = ReadInt(r, hashing, path, "efSearch", 1, int.MaxValue);
            ulong seed = r.ReadUInt64();
            var index = new HnswIndex(dim, new HnswParameters(m, efC, efS, seed));
            int count = ReadInt(r, hashing, path, "node count", 0, int.MaxValue / Math.Max(dim, 2 * m + 1));
            int entry = ReadInt(r, hashing, path, "entry point", -1, count - 1);
            int maxLevel = ReadInt(r, hashing, path, "max level", -1, MaxLevelCap);
            int deleted = ReadInt(r, hashing, path, "deleted count", 0, count);
            index.EnsureCapacity(count);
            for (int n = 0; n < count; n++) index.ReadNode(r, hashing, path, n, count);
            index._count = count;
            index._entry = entry;
            index._maxLevel = maxLevel;
            index._deletedCount = deleted;
            int live = 0;
            for (int n = 0; n < count; n++)
                if (!index._deleted[n] && !index._nodeOf.TryAdd(index._labels[n], n))
                    throw new IndexFormatException(path, $"label {index._labels[n]} appears twice among live nodes");
                else if (!index._deleted[n]) live++;
            if (live != count - deleted)
                throw new IndexFormatException(path, $"header says {deleted} deleted nodes, found {count - live}");
            if ((count == 0) != (entry < 0) || (entry >= 0 && index._levels[entry] != maxLevel))
                throw new IndexFormatException(path, $"entry point {entry} / max level {maxLevel} inconsistent with the nodes");

            var computed = hashing.CurrentHash();
            long at = hashing.Position;
            var stored = new byte[32];
            file.ReadExactly(stored);
            if (!stored.AsSpan().SequenceEqual(computed))
                throw new IndexFormatException(path, $"offset {at}: SHA-256 mismatch (stored {Convert.ToHexString(stored)[..16]}…, computed {Convert.ToHexString(computed)[..16]}…); the file is corrupt");
            if (file.Position != file.Length)
                throw new IndexFormatException(path, $"offset {file.Position}: {file.Length - file.Position} trailing bytes after the checksum");
            return index;
        }
        catch (EndOfStreamException e)
        {
            throw new IndexFormatException(path, $"offset {hashing.Position}: file truncated", e);
        }
    }

    private void ReadNode(BinaryReader r, HashingStream s, string path, int n, int count)
    {
        _labels[n] = r.ReadInt64();
        int level = ReadInt(r, s, path, $"level of node {n}", 0, MaxLevelCap);
        _levels[n] = level;
        byte del = r.ReadByte();
        if (del > 1) throw new IndexFormatException(path, $"offset {s.Position - 1}: deleted flag {del} for node {n}, expected 0 or 1");
        _deleted[n] = del == 1;
        s.ReadExactly(MemoryMarshal.AsBytes(VecMut(n)));
        _upper[n] = level == 0 ? NoLinks : new int[level * (_p.M + 1)];
        for (int lc = 0; lc <= level; lc++)
        {
            var links = Links(n, lc);
            int max = lc == 0 ? _p.MaxM0 : _p.M;
            int c = ReadInt(r, s, path, $"link count of node {n} layer {lc}", 0, max);
            links[0] = c;
            var dest = links.Slice(1, c);
            s.ReadExactly(MemoryMarshal.AsBytes(dest));
            foreach (int nb in dest)
                if ((uint)nb >= (uint)count)
                    throw new IndexFormatException(path, $"offset {s.Position}: node {n} layer {lc} links to {nb}, outside [0, {count})");
        }
    }

    private static int ReadInt(BinaryReader r, HashingStream s, string path, string field, int min, int max)
    {
        long at = s.Position;
        int v = r.ReadInt32();
        if (v < min || v > max)
            throw new IndexFormatException(path, $"offset {at}: {field} is {v}, expected in [{min}, {max}]");
        return v;
    }
}
