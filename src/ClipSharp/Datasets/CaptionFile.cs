using System.Text;

namespace ClipSharp.Datasets;

/// <summary>
/// Image–caption pairs from a CSV or TSV file with a header naming the image column (image, filepath,
/// path or file) and the caption column (caption, text, title). Relative image paths are resolved
/// against the file's folder. Quoted CSV fields may contain commas, quotes ("") and newlines.
/// </summary>
public static class CaptionFile
{
    private static readonly string[] ImageColumns = ["image", "filepath", "path", "file", "image_path"];
    private static readonly string[] CaptionColumns = ["caption", "text", "title", "captions"];

    public static IReadOnlyList<(string Image, string Caption)> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"caption file not found: {path}", path);
        char separator = path.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase) ? '\t' : ',';
        var rows = Parse(File.ReadAllText(path), separator, path);
        if (rows.Count == 0) throw new InvalidDataException($"{path}: empty caption file");
        var header = rows[0].Select(h => h.Trim().ToLowerInvariant()).ToList();
        int imageCol = header.FindIndex(h => ImageColumns.Contains(h));
        int captionCol = header.FindIndex(h => CaptionColumns.Contains(h));
        if (imageCol < 0 || captionCol < 0)
            throw new InvalidDataException($"{path}: header must name an image column ({string.Join("/", ImageColumns)}) and a caption column ({string.Join("/", CaptionColumns)}); found: {string.Join(", ", header)}");
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var result = new List<(string, string)>();
        for (int r = 1; r < rows.Count; r++)
        {
            var row = rows[r];
            if (row.Count == 1 && row[0].Length == 0) continue;
            if (row.Count <= Math.Max(imageCol, captionCol))
                throw new InvalidDataException($"{path}: row {r + 1} has {row.Count} fields, expected at least {Math.Max(imageCol, captionCol) + 1}");
            result.Add((Path.GetFullPath(Path.Combine(dir, row[imageCol])), row[captionCol]));
        }
        return result;
    }

    /// <summary>RFC 4180-style parsing (quotes, doubled quotes, embedded separators and newlines).</summary>
    public static List<List<string>> Parse(string text, char separator, string source = "")
    {
        var rows = new List<List<string>>();
        var row = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"' && field.Length == 0) quoted = true;
            else if (c == separator) { row.Add(field.ToString()); field.Clear(); }
            else if (c == '\n' || c == '\r')
            {
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
                row.Add(field.ToString()); field.Clear();
                rows.Add(row); row = new List<string>();
            }
            else field.Append(c);
        }
        if (quoted) throw new InvalidDataException($"{source}: unterminated quoted field at end of file");
        if (field.Length > 0 || row.Count > 0) { row.Add(field.ToString()); rows.Add(row); }
        return rows;
    }
}
