using System.Text;
using System.Text.RegularExpressions;
using ClipSharp.IO.Pickle;

namespace ClipSharp.IO;

/// <summary>
/// Reads the parameters and buffers of a TorchScript archive (torch.jit.save, e.g. OpenAI's
/// published ViT-B-32.pt) without executing anything. <c>data.pkl</c> is unpickled with
/// <c>__torch__.*</c> classes as inert attribute bags; the module tree is walked and each tensor
/// attribute gets its dotted state_dict name. Which attributes are parameters or buffers is read
/// from the class declarations in <c>code/</c> (<c>__parameters__ = [...]</c>, <c>__buffers__ = [...]</c>),
/// parsed as text; without them every tensor attribute is taken.
/// </summary>
internal static partial class TorchScriptReader
{
    public static StateDict Load(TorchArchive archive)
    {
        var root = archive.Unpickle("data.pkl", PickleMode.TorchScript);
        if (root is not PyObject module)
            throw new CheckpointException(archive.Path, $"{archive.EntryName("data.pkl")} holds {Unpickler.Describe(root)}; expected a TorchScript module");
        var declarations = new Dictionary<string, HashSet<string>?>(StringComparer.Ordinal);
        var tensors = new List<(string, TensorRef)>();
        int undeclared = 0;
        Walk(archive, module, "", declarations, tensors, ref undeclared, depth: 0);
        if (tensors.Count == 0)
            throw new CheckpointException(archive.Path, "TorchScript module holds no parameters or buffers");
        var detail = $"TorchScript module {Short(module.ClassName)}, parameters and buffers read without running code";
        if (undeclared > 0) detail += $"; {undeclared} modules without code declarations (all their tensors taken)";
        return TorchTensorSet.Materialize(archive, tensors, "torchscript", detail);
    }

    private static void Walk(TorchArchive archive, PyObject module, string prefix,
        Dictionary<string, HashSet<string>?> declarations, List<(string, TensorRef)> tensors, ref int undeclared, int depth)
    {
        if (depth > 64) throw new CheckpointException(archive.Path, $"module tree deeper than 64 levels at '{prefix}'");
        if (!declarations.TryGetValue(module.ClassName, out var stateNames))
        {
            stateNames = ReadDeclarations(archive, module.ClassName);
            declarations[module.ClassName] = stateNames;
            if (stateNames == null) undeclared++;
        }
        foreach (var (key, value) in module.Attributes.Items)
        {
            if (key is not string name) continue;
            switch (value)
            {
                case TensorRef t when stateNames == null || stateNames.Contains(name):
                    tensors.Add((prefix + name, t));
                    break;
                case PyObject child:
                    Walk(archive, child, prefix + name + ".", declarations, tensors, ref undeclared, depth + 1);
                    break;
            }
        }
    }

    /// <summary>
    /// The names listed in <c>__parameters__</c> and <c>__buffers__</c> of class
    /// <paramref name="className"/> (e.g. __torch__.clip.model.___torch_mangle_99.CLIP, declared in
    /// code/__torch__/clip/model/___torch_mangle_99.py); null when the declaration is not found.
    /// </summary>
    private static HashSet<string>? ReadDeclarations(TorchArchive archive, string className)
    {
        int dot = className.LastIndexOf('.');
        if (dot < 0) return null;
        string file = "code/" + className[..dot].Replace('.', '/') + ".py";
        string cls = className[(dot + 1)..];
        if (!archive.HasEntry(file)) return null;
        var code = Encoding.UTF8.GetString(archive.ReadEntry(file, 64 << 20));
        var header = Regex.Match(code, $@"^class {Regex.Escape(cls)}\(", RegexOptions.Multiline);
        if (!header.Success) return null;
        int end = code.IndexOf("\nclass ", header.Index + 1, StringComparison.Ordinal);
        var body = code[header.Index..(end < 0 ? code.Length : end)];
        var names = new HashSet<string>(StringComparer.Ordinal);
        bool found = false;
        foreach (Match m in ListAssignment().Matches(body))
        {
            found = true;
            foreach (Match q in QuotedName().Matches(m.Groups[2].Value)) names.Add(q.Groups[1].Value);
        }
        return found ? names : null;
    }

    private static string Short(string className) => className[(className.LastIndexOf('.') + 1)..];

    [GeneratedRegex(@"^\s*(__parameters__|__buffers__)\s*=\s*\[([^\]]*)\]", RegexOptions.Multiline)]
    private static partial Regex ListAssignment();

    [GeneratedRegex("\"([^\"]*)\"")]
    private static partial Regex QuotedName();
}
