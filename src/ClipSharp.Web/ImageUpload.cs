using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace ClipSharp.Web;

/// <summary>
/// Reads an uploaded image, streaming and within a byte cap: the first file part of a multipart/form-data
/// body, or else the raw body (whatever its content type, so <c>curl --data-binary @cat.jpg</c>, which
/// labels it a urlencoded form, works). Nothing is buffered beyond the cap: a declared Content-Length over
/// it is refused before reading, a chunked body as soon as it passes it. Malformed forms are refused with
/// one-line messages (<see cref="BadRequestException"/>), never parsed into a form collection.
/// </summary>
internal static class ImageUpload
{
    /// <summary>Longest multipart boundary accepted (RFC 2046 allows 70; ASP.NET's form reader 128).</summary>
    public const int MaxBoundaryLength = 128;

    /// <summary>Most bytes of headers one part may have.</summary>
    public const int MaxPartHeaderBytes = 16 << 10;

    /// <summary>Parts looked at before giving up on finding a file.</summary>
    public const int MaxPartsBeforeFile = 64;

    /// <summary>Room for multipart framing (boundaries, part headers, small fields) beside the image.</summary>
    public const long FormOverheadBytes = 1 << 20;

    /// <summary>The uploaded bytes and a name for error messages.</summary>
    /// <exception cref="BadRequestException">No image was sent, the form is malformed (400), or it is larger than <paramref name="maxBytes"/> (413).</exception>
    public static async Task<(byte[] Data, string Name)> ReadAsync(HttpRequest request, long maxBytes, CancellationToken ct)
    {
        bool multipart = request.ContentType is { } type && type.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase);
        if (request.ContentLength > maxBytes + (multipart ? FormOverheadBytes : 0)) throw TooLarge(maxBytes);
        try
        {
            return multipart ? await ReadFormFileAsync(request, maxBytes, ct) : Require(await ReadCappedAsync(request.Body, maxBytes, ct), "upload");
        }
        catch (Exception e) when (e is InvalidDataException or IOException && e is not BadHttpRequestException && !ct.IsCancellationRequested)
        {
            // MultipartReader's refusals (header line too long, too many headers, end of body before the
            // closing boundary) and truncated bodies: the client's fault, said in one line.
            throw new BadRequestException($"malformed upload: {e.Message}");
        }
    }

    private static async Task<(byte[], string)> ReadFormFileAsync(HttpRequest request, long maxBytes, CancellationToken ct)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var media))
            throw new BadRequestException($"unreadable Content-Type '{Shorten(request.ContentType!)}'");
        if (!media.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            throw new BadRequestException($"Content-Type {media.MediaType} is not accepted: send multipart/form-data or the raw image bytes");
        string boundary = HeaderUtilities.RemoveQuotes(media.Boundary).Value ?? "";
        if (boundary.Length == 0) throw new BadRequestException("multipart/form-data without a boundary parameter");
        if (boundary.Length > MaxBoundaryLength)
            throw new BadRequestException($"multipart boundary is {boundary.Length} characters long; at most {MaxBoundaryLength} are accepted");
        var reader = new MultipartReader(boundary, request.Body)
        {
            HeadersLengthLimit = MaxPartHeaderBytes,
            HeadersCountLimit = 16,
            BodyLengthLimit = maxBytes + FormOverheadBytes,
        };
        for (int part = 0; part < MaxPartsBeforeFile; part++)
        {
            var section = await reader.ReadNextSectionAsync(ct);
            if (section == null) throw new BadRequestException("the form has no file: send the image as a file field");
            var disposition = section.GetContentDispositionHeader();
            if (disposition == null || !disposition.IsFileDisposition()) continue;   // a plain field: MultipartReader drains it
            string fileName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value ?? "";
            string name = fileName.Length == 0 ? "upload" : Shorten(Path.GetFileName(fileName));
            return Require(await ReadCappedAsync(section.Body, maxBytes, ct), name);
        }
        throw new BadRequestException($"no file among the form's first {MaxPartsBeforeFile} parts: send the image as the first file field");
    }

    /// <summary>All of <paramref name="body"/>, refusing with 413 as soon as it passes <paramref name="maxBytes"/>.</summary>
    private static async Task<byte[]> ReadCappedAsync(Stream body, long maxBytes, CancellationToken ct)
    {
        using var ms = new MemoryStream();
        var buffer = new byte[81920];
        int n;
        while ((n = await body.ReadAsync(buffer, ct)) > 0)
        {
            if (ms.Length + n > maxBytes) throw TooLarge(maxBytes);
            ms.Write(buffer, 0, n);
        }
        return ms.ToArray();
    }

    private static (byte[], string) Require(byte[] data, string name) =>
        data.Length > 0 ? (data, name) : throw new BadRequestException("empty upload: POST the image bytes (raw body or a multipart file field)");

    private static string Shorten(string s) => s.Length <= 100 ? s : s[..100] + "…";

    private static BadRequestException TooLarge(long maxBytes) =>
        new($"the upload is larger than {FormatBytes(maxBytes)}", StatusCodes.Status413PayloadTooLarge);

    private static string FormatBytes(long n) => n >= 1 << 20 ? $"{n >> 20} MiB" : n >= 1 << 10 ? $"{n >> 10} KiB" : $"{n} bytes";
}

/// <summary>A request the server refuses, answered as <c>{"error": message}</c> with <see cref="StatusCode"/>.</summary>
public sealed class BadRequestException(string message, int statusCode = StatusCodes.Status400BadRequest) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
}
