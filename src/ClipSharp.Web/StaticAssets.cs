using Microsoft.AspNetCore.Http;

namespace ClipSharp.Web;

/// <summary>The search page's files, embedded in this assembly (wwwroot/*), served under fixed names only.</summary>
internal static class StaticAssets
{
    /// <summary>URL path → (resource, content type). Nothing else is served from the assembly or the disk.</summary>
    public static readonly IReadOnlyDictionary<string, (string Resource, string ContentType)> Files = new Dictionary<string, (string, string)>
    {
        ["/"] = ("ClipSharp.Web.index.html", "text/html; charset=utf-8"),
        ["/app.css"] = ("ClipSharp.Web.app.css", "text/css; charset=utf-8"),
        ["/app.js"] = ("ClipSharp.Web.app.js", "text/javascript; charset=utf-8"),
    };

    public static IResult Serve(string urlPath)
    {
        var (resource, type) = Files[urlPath];
        using var s = typeof(StaticAssets).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"embedded resource {resource} is missing from {typeof(StaticAssets).Assembly.GetName().Name}");
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return Results.Bytes(ms.ToArray(), type);
    }
}
