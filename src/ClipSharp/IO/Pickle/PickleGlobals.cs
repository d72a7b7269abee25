namespace ClipSharp.IO.Pickle;

/// <summary>Which globals a pickle may name.</summary>
internal enum PickleMode
{
    /// <summary>torch.save files: tensor rebuild functions, storage types, OrderedDict.</summary>
    TorchSave,
    /// <summary>TorchScript archives: additionally <c>__torch__.*</c> classes (as inert attribute bags)
    /// and the torch.jit._pickle list builders.</summary>
    TorchScript,
}

/// <summary>
/// The allow-list. Every GLOBAL / STACK_GLOBAL / INST in a pickle is looked up here before anything
/// else happens; a name not listed (os.system, builtins.eval, subprocess.Popen, torch.load, ...) is
/// refused with a <see cref="CheckpointException"/>. Nothing is ever imported or executed: the
/// entries only tell the unpickler which inert value to build.
/// </summary>
internal static class PickleGlobals
{
    private static readonly Dictionary<(string, string), GlobalKind> Fixed = new()
    {
        [("torch._utils", "_rebuild_tensor_v2")] = GlobalKind.RebuildTensor,
        [("torch._utils", "_rebuild_tensor")] = GlobalKind.RebuildTensor,
        [("torch._utils", "_rebuild_parameter")] = GlobalKind.RebuildParameter,
        [("torch._utils", "_rebuild_parameter_with_state")] = GlobalKind.RebuildParameter,
        [("torch._tensor", "_rebuild_from_type_v2")] = GlobalKind.RebuildFromType,
        [("collections", "OrderedDict")] = GlobalKind.OrderedDict,
        [("torch", "Tensor")] = GlobalKind.TensorType,
        [("torch.nn.parameter", "Parameter")] = GlobalKind.TensorType,
    };

    private static readonly HashSet<string> JitHelpers = new(StringComparer.Ordinal)
    {
        "build_intlist", "build_floatlist", "build_boollist", "build_doublelist", "build_tensorlist",
        "build_genericlist", "restore_type_tag",
    };

    /// <summary>Short description of what is allowed, for error messages.</summary>
    public const string AllowedSummary =
        "torch._utils._rebuild_tensor_v2/_rebuild_parameter, torch.*Storage, collections.OrderedDict";

    /// <summary>Resolves <paramref name="module"/>.<paramref name="name"/> or throws naming it.</summary>
    public static PyGlobal Resolve(string source, string entry, string module, string name, PickleMode mode, long position)
    {
        if (Fixed.TryGetValue((module, name), out var kind))
            return new PyGlobal(module, name, kind);
        if (module == "torch" && DTypes.TryFromTorchStorage(name, out var dtype))
            return new PyGlobal(module, name, GlobalKind.StorageType, dtype);
        if (mode == PickleMode.TorchScript)
        {
            if (module.StartsWith("__torch__.", StringComparison.Ordinal) || module == "__torch__")
                return new PyGlobal(module, name, GlobalKind.ScriptClass);
            if (module == "torch.jit._pickle" && JitHelpers.Contains(name))
                return new PyGlobal(module, name, GlobalKind.JitIdentity);
        }
        throw new CheckpointException(source,
            $"{entry} refers to global '{module}.{name}' (at byte {position}), which is not allowed; expected only {AllowedSummary}" +
            (mode == PickleMode.TorchScript ? ", __torch__.* classes" : "") +
            ". Refusing to load the file (nothing was executed)");
    }
}
