using System.Globalization;
using System.Numerics;
using System.Text;

namespace ClipSharp.IO.Pickle;

internal sealed partial class Unpickler
{
    /// <summary>REDUCE: only allow-listed rebuild functions may be applied, and they only build data.</summary>
    private object? Reduce(object? function, object? args)
    {
        if (function is not PyGlobal g)
            throw Fail($"REDUCE applies {Describe(function)}, which is not an allowed function; expected one of {PickleGlobals.AllowedSummary}");
        if (args is not PyTuple a)
            throw Fail($"REDUCE of '{g.FullName}' expects an argument tuple, found {Describe(args)}");
        switch (g.Kind)
        {
            case GlobalKind.RebuildTensor:
                return RebuildTensor(g, a);
            case GlobalKind.RebuildParameter:
                if (a.Count < 1 || a[0] is not TensorRef t)
                    throw Fail($"'{g.FullName}' expects a tensor as its first argument, found {(a.Count > 0 ? Describe(a[0]) : "no arguments")}");
                return t;
            case GlobalKind.RebuildFromType:
                if (a.Count < 3 || a[1] is not PyGlobal { Kind: GlobalKind.TensorType })
                    throw Fail($"'{g.FullName}' expects (func, torch.Tensor or Parameter, args, state), found {a.Count} arguments");
                return Reduce(a[0], a[2]);
            case GlobalKind.OrderedDict:
                return NewDict(g, a);
            case GlobalKind.JitIdentity:
                if (a.Count < 1) throw Fail($"'{g.FullName}' expects an argument");
                return a[0];
            default:
                throw Fail($"REDUCE calls '{g.FullName}', which may only appear as a tag, never be called");
        }
    }

    private PyDict NewDict(PyGlobal g, PyTuple a)
    {
        var d = new PyDict();
        if (a.Count == 0) return d;
        if (a.Count == 1 && a[0] is List<object?> pairs)
        {
            foreach (var p in pairs)
            {
                if (p is not PyTuple { Count: 2 } kv) throw Fail($"'{g.FullName}' expects (key, value) pairs, found {Describe(p)}");
                d.Set(kv[0], kv[1]);
            }
            return d;
        }
        throw Fail($"'{g.FullName}' called with {a.Count} unexpected arguments");
    }

    /// <summary>
    /// <c>_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])</c>:
    /// a view description only; the bytes are read later, after the whole pickle has been accepted.
    /// </summary>
    private TensorRef RebuildTensor(PyGlobal g, PyTuple a)
    {
        if (a.Count < 4)
            throw Fail($"'{g.FullName}' expects at least (storage, offset, size, stride), found {a.Count} arguments");
        if (a[0] is not StorageRef storage)
            throw Fail($"'{g.FullName}' expects a storage as its first argument, found {Describe(a[0])}");
        long offset = AsLong(a[1], "storage_offset");
        var sizes = AsLongs(a[2], "size");
        var strides = AsLongs(a[3], "stride");
        if (sizes.Length > MaxRank) throw Fail($"tensor has {sizes.Length} dimensions; expected at most {MaxRank}");
        if (sizes.Length != strides.Length)
            throw Fail($"tensor size has {sizes.Length} dims but stride has {strides.Length}");
        var shape = new int[sizes.Length];
        for (int i = 0; i < sizes.Length; i++)
        {
            if (sizes[i] < 0 || sizes[i] > int.MaxValue) throw Fail($"tensor size[{i}] = {sizes[i]} is out of range");
            if (strides[i] < 0) throw Fail($"tensor stride[{i}] = {strides[i]} is negative");
            shape[i] = (int)sizes[i];
        }
        if (offset < 0) throw Fail($"storage_offset {offset} is negative");
        return new TensorRef(storage, offset, shape, strides);
    }

    private object NewObject(object? cls, object? args)
    {
        if (cls is PyGlobal { Kind: GlobalKind.ScriptClass } g) return new PyObject(g.FullName);
        if (cls is PyGlobal { Kind: GlobalKind.OrderedDict }) return new PyDict();
        throw Fail($"NEWOBJ of {Describe(cls)} is not allowed; only TorchScript module classes are built (as attribute bags)");
    }

    private void Build(object? target, object? state)
    {
        switch (target)
        {
            case PyObject o when state is PyDict d:
                o.Attributes = d;
                break;
            case PyObject o:
                throw Fail($"BUILD of {o.ClassName} expects an attribute dict, found {Describe(state)}");
            case PyDict or TensorRef or List<object?>:
                break; // e.g. a state_dict's _metadata attribute: not needed
            default:
                throw Fail($"BUILD on {Describe(target)} is not supported");
        }
    }

    /// <summary>Most dimensions a tensor may have (CLIP needs 4).</summary>
    internal const int MaxRank = 8;

    private long AsLong(object? o, string what) =>
        o is long v ? v : throw Fail($"tensor {what} must be an integer, found {Describe(o)}");

    private long[] AsLongs(object? o, string what)
    {
        if (o is PyTuple t) return t.Items.Select(x => AsLong(x, what)).ToArray();
        if (o is List<object?> l) return l.Select(x => AsLong(x, what)).ToArray();
        throw Fail($"tensor {what} must be a tuple of integers, found {Describe(o)}");
    }

    // ---- protocol-0 text arguments ----

    private long ParseIntLine(string s)
    {
        if (s == "00") return 0; // False
        if (s == "01") return 1; // True
        return long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v)
            ? v : throw Fail($"expected an integer, found '{s}'");
    }

    /// <summary>Protocol-0 LONG ("123L"): 64-bit only, like LONG1/LONG4.</summary>
    private long ParseLong(string s) =>
        long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw Fail($"expected an integer of at most {MaxIntegerBytes} bytes, found '{(s.Length > 40 ? s[..40] + "..." : s)}'");

    private double ParseFloat(string s) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw Fail($"FLOAT argument '{(s.Length > 40 ? s[..40] + "..." : s)}' is not a number");

    private string ParseQuoted(string s)
    {
        if (s.Length >= 2 && (s[0] == '\'' || s[0] == '"') && s[^1] == s[0]) return Unescape(s[1..^1], "STRING");
        throw Fail($"STRING argument is not quoted: {s}");
    }

    private string Unescape(string s, string op)
    {
        if (!s.Contains('\\')) return s;
        var sb = new StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] != '\\' || i + 1 >= s.Length) { sb.Append(s[i]); continue; }
            char c = s[++i];
            switch (c)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case 'x': sb.Append((char)Hex(s, i + 1, 2, op)); i += 2; break;
                case 'u': sb.Append((char)Hex(s, i + 1, 4, op)); i += 4; break;
                case 'U':
                    int cp = Hex(s, i + 1, 8, op);
                    if (cp is < 0 or > 0x10FFFF or (>= 0xD800 and <= 0xDFFF)) throw Fail($"{op}: escape \\U{cp:X8} is not a Unicode code point");
                    sb.Append(char.ConvertFromUtf32(cp)); i += 8; break;
                default: sb.Append(c); break;
            }
        }
        return sb.ToString();
    }

    private int Hex(string s, int at, int digits, string op)
    {
        if (at + digits > s.Length || !int.TryParse(s.AsSpan(at, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int v))
            throw Fail($"{op}: bad escape '\\{s[at - 1]}{s[at..Math.Min(s.Length, at + digits)]}'; expected {digits} hex digits");
        return v;
    }

    // ---- errors ----

    private CheckpointException Fail(string message) =>
        new(_source, $"{_entry}: {message} (opcode at byte {_opStart})");

    internal static string Describe(object? o) => o switch
    {
        null => "None",
        string s => $"str '{(s.Length > 40 ? s[..40] + "..." : s)}'",
        long l => $"int {l}",
        bool b => b ? "True" : "False",
        double d => $"float {d.ToString(CultureInfo.InvariantCulture)}",
        byte[] b => $"bytes({b.Length})",
        PyGlobal g => $"global '{g.FullName}'",
        List<object?> l => $"list({l.Count})",
        _ => o.ToString() ?? o.GetType().Name,
    };
}
