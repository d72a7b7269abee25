namespace ClipSharp.Search.Store;

/// <summary>One indexed image file as stored in the database.</summary>
/// <param name="Id">Row id; never reused (SQLite AUTOINCREMENT). A file whose content changes gets a new id.</param>
/// <param name="Path">Path relative to the index root, '/'-separated.</param>
/// <param name="Size">File size in bytes when indexed.</param>
/// <param name="MtimeTicks">Last write time (UTC ticks) when indexed.</param>
/// <param name="Sha256">SHA-256 of the file's bytes (32 bytes).</param>
/// <param name="Width">Decoded width in pixels.</param>
/// <param name="Height">Decoded height in pixels.</param>
/// <param name="AddedUtc">When the row was created.</param>
public sealed record ImageRecord(long Id, string Path, long Size, long MtimeTicks, byte[] Sha256, int Width, int Height, DateTime AddedUtc);

/// <summary>A file that could not be indexed, remembered so an unchanged file is not decoded again on every sync.</summary>
public sealed record FailureRecord(string Path, long Size, long MtimeTicks, string Reason);
