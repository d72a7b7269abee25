using Microsoft.AspNetCore.Http;

namespace ClipSharp.Web;

/// <summary>Reads an uploaded image: the first file of a multipart/form-data body, or the raw body.</summary>
internal static class ImageUpload
{
    /// <summary>The uploaded bytes and a name for error messages.</summary>
    /// <exception cref="BadRequestException">No image was sent, or it is larger than <paramref name="maxBytes"/>.</exception>
    public static async Task<(byte[] Data, string Name)> ReadAsync(HttpRequest request, long maxBytes, CancellationToken ct)
    {
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(ct);
            var file = form.Files.Count > 0 ? form.Files[0] : throw new BadRequestException("the form has no file: send the image as a file field");
            if (file.Length > maxBytes) throw TooLarge(maxBytes);
            using var ms = new MemoryStream((int)file.Length);
            await file.CopyToAsync(ms, ct);
            return Require(ms.ToArray(), string.IsNullOrEmpty(file.FileName) ? "upload" : Path.GetFileName(file.FileName));
        }
        if (request.ContentLength > maxBytes) throw TooLarge(maxBytes);
        using var body = new MemoryStream();
        var buffer = new byte[81920];
        int n;
        while ((n = await request.Body.ReadAsync(buffer, ct)) > 0)
        {
            if (body.Length + n > maxBytes) throw TooLarge(maxBytes);
            body.Write(buffer, 0, n);
        }
        return Require(body.ToArray(), "upload");
    }

    private static (byte[], string) Require(byte[] data, string name) =>
        data.Length > 0 ? (data, name) : throw new BadRequestException("empty upload: POST the image bytes (raw body or a multipart file field)");

    private static BadRequestException TooLarge(long maxBytes) =>
        new($"the upload is larger than {maxBytes >> 20} MiB", StatusCodes.Status413PayloadTooLarge);
}

/// <summary>A request the server refuses, answered as <c>{"error": message}</c> with <see cref="StatusCode"/>.</summary>
public sealed class BadRequestException(string message, int statusCode = StatusCodes.Status400BadRequest) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
}
