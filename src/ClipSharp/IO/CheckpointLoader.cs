namespace ClipSharp.IO;

/// <summary>What <see cref="CheckpointLoader.Detect"/> found at a path.</summary>
public enum CheckpointFormat
{
    /// <summary>safetensors: 8-byte little-endian header length, then a JSON object.</summary>
    Safetensors,
    /// <summary>torch.save zip archive (PyTorch ≥ 1.6): data.pkl + data/N storages.</summary>
    PyTorchZip,
    /// <summary>TorchScript zip archive (torch.jit.save): data.pkl + code/ + constants.pkl.</summary>
    TorchScript,
    /// <summary>A Hugging Face CLIPModel directory (config.json + weights).</summary>
    HuggingFaceDirectory,
    /// <summary>A pre-1.6 torch.save file (bare pickle stream): not supported.</summary>
    LegacyPyTorch,
    /// <summary>Nothing we recognise.</summary>
    Unknown,
}

/// <summary>
/// Loads any supported CLIP checkpoint into a <see cref="StateDict"/> with OpenAI/OpenCLIP names, after
/// detecting the format from magic bytes (never from the extension alone):
/// zip "PK\x03\x04" → torch.save or TorchScript; 8-byte length + '{' → safetensors; a directory with
/// config.json → Hugging Face. Files using Hugging Face names are mapped to OpenAI names whatever
/// their container. <see cref="StateDict.Describe"/> says what was found.
/// </summary>
public static class CheckpointLoader
{
    /// <summary>
    /// Loads <paramref name="path"/>; every failure is a <see cref="CheckpointException"/> naming the file
    /// (including running out of memory, and any malformed value a lower layer rejects untyped).
    /// Weights holding NaN or Inf load, with one line in <see cref="StateDict.Warnings"/> naming them.
    /// </summary>
    public static StateDict Load(string path)
    {
        StateDict sd;
        try
        {
            sd = LoadUnchecked(path);
        }
        catch (Exception e) when (Untyped(e))
        {
            throw Wrap(path, e);
        }
        var bad = sd.FindNonFinite();
        if (bad.Count > 0)
        {
            sd.NonFiniteTensors = bad.Select(b => b.Name).ToArray();
            var list = string.Join(", ", bad.Take(5).Select(b =>
                $"'{b.Name}' ({string.Join(" + ", new[] { b.NaN > 0 ? $"{b.NaN} NaN" : null, b.Infinite > 0 ? $"{b.Infinite} Inf" : null }.Where(x => x != null))})"));
            sd.AddWarning($"{path}: weights hold NaN or Inf in {bad.Count} tensor{(bad.Count > 1 ? "s" : "")}: {list}{(bad.Count > 5 ? $" and {bad.Count - 5} more" : "")}; outputs may be NaN");
        }
        return sd;
    }

    /// <summary>Failures below the loader that are about the file, not about our code's state.</summary>
    internal static bool Untyped(Exception e) => e is not CheckpointException && e is OutOfMemoryException or ArgumentException
        or InvalidDataException or OverflowException or FormatException or System.Text.DecoderFallbackException or IndexOutOfRangeException
        or InvalidOperationException or EndOfStreamException;

    internal static CheckpointException Wrap(string path, Exception e) => e is OutOfMemoryException
        ? new CheckpointException(path, "ran out of memory while loading; the file asks for more than this machine has", e)
        : new CheckpointException(path, $"malformed checkpoint: {e.Message}", e);

    private static StateDict LoadUnchecked(string path)
    {
        var format = Detect(path);
        StateDict sd = format switch
        {
            CheckpointFormat.Safetensors => SafetensorsReader.Load(path),
            CheckpointFormat.PyTorchZip or CheckpointFormat.TorchScript => LoadZip(path),
            CheckpointFormat.HuggingFaceDirectory => HfCheckpointReader.Load(path),
            CheckpointFormat.LegacyPyTorch => throw new CheckpointException(path,
                "legacy (pre-1.6, non-zip) torch.save file; expected the zip format. Re-save it with torch.save(sd, path) on PyTorch >= 1.6 or convert it to safetensors"),
            _ => throw Unknown(path),
        };
        if (format != CheckpointFormat.HuggingFaceDirectory && HfClipNames.LooksLikeHf(sd.Names))
            sd = HfClipNames.ToOpenAi(sd);
        return sd;
    }

    /// <summary>Detects the checkpoint format at <paramref name="path"/> from its first bytes.</summary>
    public static CheckpointFormat Detect(string path)
    {
        if (Directory.Exists(path))
            return File.Exists(Path.Combine(path, "config.json")) ? CheckpointFormat.HuggingFaceDirectory : CheckpointFormat.Unknown;
        if (!File.Exists(path)) throw new CheckpointException(path, "no such file or directory");
        Span<byte> head = stackalloc byte[16];
        int n;
        using (var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read))
            n = fs.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        head = head[..n];
        if (n >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4)
            return IsTorchScript(path) ? CheckpointFormat.TorchScript : CheckpointFormat.PyTorchZip;
        if (n >= 9 && head[8] == '{') return CheckpointFormat.Safetensors;
        if (n >= 2 && head[0] == 0x80 && head[1] <= 5) return CheckpointFormat.LegacyPyTorch;
        // A damaged .safetensors file goes to the safetensors reader, whose errors say what is wrong.
        if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)) return CheckpointFormat.Safetensors;
        return CheckpointFormat.Unknown;
    }

    private static StateDict LoadZip(string path)
    {
        using var archive = TorchArchive.Open(path);
        return IsTorchScript(archive) ? TorchScriptReader.Load(archive) : TorchSaveReader.Load(archive);
    }

    private static bool IsTorchScript(string path)
    {
        using var archive = TorchArchive.Open(path);
        return IsTorchScript(archive);
    }

    private static bool IsTorchScript(TorchArchive archive) => archive.HasEntry("constants.pkl") || archive.HasFolder("code");

    private static CheckpointException Unknown(string path)
    {
        if (Directory.Exists(path))
            return new CheckpointException(path, "directory has no config.json; expected a Hugging Face CLIPModel directory");
        var head = new byte[Math.Min(8, new FileInfo(path).Length)];
        using (var fs = File.OpenRead(path)) fs.ReadExactly(head);
        return new CheckpointException(path,
            $"unrecognised checkpoint format (first bytes {Convert.ToHexString(head)}); expected safetensors, a torch.save/TorchScript zip (50 4B 03 04) or a Hugging Face directory");
    }
}
