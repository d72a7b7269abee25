using System.Buffers;
using System.Net;
using System.Security.Cryptography;

namespace ClipSharp.Hub;

/// <summary>
/// Fetches one blob into <c>blobs/{etag}.incomplete</c>, resuming with <c>Range: bytes={n}-</c> from whatever a
/// previous attempt left there, checks its size and (for LFS files, whose ETag is the sha256) its hash, and moves
/// it into place atomically. A hash mismatch discards the bytes and fetches the file once more from scratch;
/// a second mismatch is a <see cref="HubIntegrityException"/>.
/// </summary>
internal sealed class BlobDownloader(HubHttp http, HubOptions options)
{
    private const int BufferSize = 1 << 20;

    public async Task DownloadAsync(HubModelRef model, string file, HubFileMetadata meta, string incomplete, string blob,
        ProgressMeter meter, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(blob)!);
        for (int pass = 1; ; pass++)
        {
            var sha256 = await FetchAsync(model, file, meta, incomplete, meter, ct).ConfigureAwait(false);
            var problem = Check(meta, new FileInfo(incomplete).Length, sha256);
            if (problem == null)
            {
                File.Move(incomplete, blob, overwrite: true);
                meter.Complete();
                return;
            }
            File.Delete(incomplete);
            if (pass == 2)
                throw new HubIntegrityException(model, $"{file}: {problem} (downloaded twice from {meta.DownloadUrl}); " +
                    "the server or a proxy is corrupting the file, try again later");
        }
    }

    /// <summary>Why a file on disk does not match its metadata, or null when it does. <paramref name="sha256"/> is null when not computed.</summary>
    public static string? Check(HubFileMetadata meta, long length, string? sha256)
    {
        if (meta.Size is { } size && size != length) return $"size mismatch: expected {size} bytes, found {length}";
        if (meta.EtagIsSha256 && sha256 != null && sha256 != meta.Etag)
            return $"sha256 mismatch: expected {meta.Etag}, found {sha256}";
        return null;
    }

    /// <summary>The sha256 of a whole file, lower-case hex.</summary>
    public static string HashFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>Downloads (resuming when possible) until the whole body is on disk; returns its sha256 when the ETag is one.</summary>
    private async Task<string?> FetchAsync(HubModelRef model, string file, HubFileMetadata meta, string incomplete,
        ProgressMeter meter, CancellationToken ct)
    {
        int failures = 0;
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            while (true)
            {
                long offset = File.Exists(incomplete) ? new FileInfo(incomplete).Length : 0;
                if (meta.Size is { } size && offset > size) { File.Delete(incomplete); offset = 0; }
                using var hash = meta.EtagIsSha256 ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
                if (hash != null && offset > 0) HashPrefix(hash, incomplete, offset, buffer);
                if (meta.Size is { } complete && offset == complete)
                    return hash == null ? null : Convert.ToHexStringLower(hash.GetHashAndReset());
                try
                {
                    await TransferAsync(model, file, meta, incomplete, offset, hash, meter, buffer, ct).ConfigureAwait(false);
                    return hash == null ? null : Convert.ToHexStringLower(hash.GetHashAndReset());
                }
                catch (Exception e) when (HubHttp.IsTransient(e, ct) || e is HubUnreachableException)
                {
                    if (++failures > options.MaxResumeAttempts)
                    {
                        long have = File.Exists(incomplete) ? new FileInfo(incomplete).Length : 0;
                        throw new HubUnreachableException(model, $"{file}: download broke off at byte {have}" +
                            (meta.Size is { } s ? $" of {s}" : "") + $" after {failures} attempts ({e.Message}); " +
                            $"run again to resume from {incomplete}", e);
                    }
                    var delay = options.RetryDelay * Math.Pow(2, failures - 1);
                    if (delay > TimeSpan.Zero) await Task.Delay(delay, ct).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task TransferAsync(HubModelRef model, string file, HubFileMetadata meta, string incomplete, long offset,
        IncrementalHash? hash, ProgressMeter meter, byte[] buffer, CancellationToken ct)
    {
        using var response = await http.GetAsync(meta.DownloadUrl, offset, ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            File.Delete(incomplete); // what we hold does not fit the file any more: start over
            throw new IOException($"the server refused to resume at byte {offset} (HTTP 416)");
        }
        http.ThrowForStatus(model, file, response);
        if (response.StatusCode == HttpStatusCode.PartialContent)
        {
            var from = response.Content.Headers.ContentRange?.From;
            if (from != offset)
            {
                File.Delete(incomplete);
                throw new IOException($"asked to resume at byte {offset} but the server sent a range from {from?.ToString() ?? "?"}");
            }
        }
        else if (offset > 0)
        {
            offset = 0; // the server ignored Range and sent the whole file
            hash?.GetHashAndReset();
        }

        meter.Restart(offset);
        await using var output = new FileStream(incomplete, offset == 0 ? FileMode.Create : FileMode.Append,
            FileAccess.Write, FileShare.None, BufferSize, FileOptions.Asynchronous);
        await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(ct);
        while (true)
        {
            stall.CancelAfter(options.ReadTimeout);
            int n = await body.ReadAsync(buffer.AsMemory(0, BufferSize), stall.Token).ConfigureAwait(false);
            if (n == 0) break;
            await output.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
            hash?.AppendData(buffer, 0, n);
            meter.Add(n);
        }
        if (meta.Size is { } size && output.Length < size)
            throw new IOException($"the connection closed after {output.Length} of {size} bytes");
    }

    private static void HashPrefix(IncrementalHash hash, string path, long length, byte[] buffer)
    {
        using var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize);
        long left = length;
        while (left > 0)
        {
            int n = input.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (n == 0) throw new IOException($"{path} shrank while being read");
            hash.AppendData(buffer, 0, n);
            left -= n;
        }
    }
}
