using System.Security.Cryptography;
using System.Text;

namespace ClipSharp.Fuzz;

/// <summary>
/// The folder of saved inputs, one subfolder per target: <c>LABEL-SIG-HASH.EXT</c> (the input; a
/// <c>.recipe</c> naming campaign seed and index instead when it is over 256 KB) beside a <c>.txt</c>
/// saying what happened. SIG hashes the failure's exception type and first stack frame, and at most
/// <see cref="PerSignature"/> inputs are kept per signature, so one bug does not flood the folder.
/// </summary>
internal sealed class Corpus(string root)
{
    public const int PerSignature = 3;
    private const int MaxInlineBytes = 256 * 1024;

    public string Root => root;

    /// <summary>Saves an input; returns its path, or null when the signature already has enough examples.</summary>
    public string? Save(IFuzzTarget target, FuzzInput input, string label, string signature, string description,
        ulong campaignSeed, long index)
    {
        // Checkpoint-reader failures wait in pending/ (not replayed by the default tests) until the reader's
        // owner fixes them; then they move up beside the regression inputs.
        var dir = Path.Combine(root, target.Name, label != "heavy" && target.Name == "checkpoints" ? "pending" : "");
        Directory.CreateDirectory(dir);
        string sig = Convert.ToHexString(SHA1.HashData(Encoding.UTF8.GetBytes(label + "|" + signature)))[..8].ToLowerInvariant();
        string prefix = $"{label}-{input.Kind.Replace('.', '_')}-{sig}-";
        if (Directory.GetFiles(dir, prefix + "*.txt").Length >= PerSignature) return null;
        string hash = Convert.ToHexString(SHA1.HashData(input.Bytes))[..12].ToLowerInvariant();
        string stem = Path.Combine(dir, prefix + hash);
        bool inline = input.Bytes.Length <= MaxInlineBytes;
        string file = inline ? $"{stem}.{target.Extension(input.Kind)}" : $"{stem}.recipe";
        if (inline) File.WriteAllBytes(file, input.Bytes);
        else File.WriteAllText(file, $"target={target.Name}\nseed={campaignSeed}\nindex={index}\nkind={input.Kind}\n");
        File.WriteAllText(stem + ".txt",
            $"{label}: {description}\nkind: {input.Kind}\nmutated from seed file: {input.Seed}\nbytes: {input.Bytes.Length}\n" +
            $"regenerate: fuzz worker --target {target.Name} --seed {campaignSeed} --start {index} --count 1\n" +
            $"signature: {signature}\n");
        return file;
    }

    /// <summary>The signature of a failure: exception type plus the first frame of its stack (or of the innermost exception).</summary>
    public static string Signature(Exception e)
    {
        static string Frame(Exception x)
        {
            var frame = x.StackTrace?.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("at ")) ?? "";
            int at = frame.IndexOf(" in ", StringComparison.Ordinal);
            return at > 0 ? frame[..at] : frame;
        }
        var inner = e.InnerException ?? e;
        string where = Frame(e);
        if (where.Length == 0) where = Frame(inner);
        if (where.Length == 0) where = new string(e.Message.Where(c => !char.IsDigit(c)).Take(60).ToArray());
        return $"{e.GetType().FullName} {where}";
    }

    /// <summary>Every saved input of a target: (path, kind, bytes or null for a recipe, recipe seed and index).</summary>
    public static IEnumerable<(string Path, string Kind, byte[]? Bytes, ulong Seed, long Index)> Entries(string dir)
    {
        if (!Directory.Exists(dir)) yield break;
        foreach (var f in Directory.GetFiles(dir).Where(f => !f.EndsWith(".txt")).Order(StringComparer.Ordinal))
        {
            var txt = Path.ChangeExtension(f, ".txt");
            string kind = File.Exists(txt)
                ? File.ReadLines(txt).First(l => l.StartsWith("kind: ")).Substring(6)
                : Path.GetExtension(f).TrimStart('.');
            if (f.EndsWith(".recipe"))
            {
                var kv = File.ReadAllLines(f).Where(l => l.Contains('=')).ToDictionary(l => l[..l.IndexOf('=')], l => l[(l.IndexOf('=') + 1)..]);
                yield return (f, kind, null, ulong.Parse(kv["seed"]), long.Parse(kv["index"]));
            }
            else yield return (f, kind, File.ReadAllBytes(f), 0, 0);
        }
    }
}
