using System.Globalization;
using ClipSharp.IO;
using ClipSharp.Tensors;

namespace ClipSharp.Training;

/// <summary>Where a run stands: steps taken, and the position in the data order.</summary>
public sealed record TrainingProgress(long Step, int Epoch, int Position, ulong Seed);

/// <summary>
/// A training checkpoint is a directory holding model.safetensors (the weights under the model's own
/// checkpoint names — OpenAI/OpenCLIP for CLIP, Hugging Face for SigLIP — F32, BatchNorm running statistics
/// included, loadable like any checkpoint), optimizer.safetensors (AdamW's moments as
/// "exp_avg.NAME"/"exp_avg_sq.NAME", the sigmoid loss's bias when the trainer owns it, and the step,
/// epoch, position and seed in its metadata) and any companion files copied from the source checkpoint
/// (a Hugging Face layout's config.json, tokenizer and preprocessor files, so the directory loads as the
/// source did). The directory is written under a temporary name and renamed into place, so a crash never
/// leaves a half-written checkpoint.
/// </summary>
public static class TrainingCheckpoint
{
    public const string ModelFile = "model.safetensors";
    public const string OptimizerFile = "optimizer.safetensors";

    /// <summary>
    /// Writes the checkpoint under a temporary name, then swaps it into place. <paramref name="stage"/>
    /// (for tests and progress) hears "model", "optimizer" and "swap" as each part is done.
    /// <paramref name="companions"/> are files copied in beside the weights under their own names
    /// (see <see cref="HuggingFaceCompanions"/>).
    /// </summary>
    public static void Save(string directory, ClipTrainer trainer, TrainingProgress progress, Action<string>? stage = null,
        IReadOnlyList<string>? companions = null)
    {
        var full = Path.GetFullPath(directory);
        var parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        Recover(full);   // leftovers of a save that crashed
        var temp = Path.Combine(parent, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(temp);
        try
        {
            SafetensorsWriter.Write(Path.Combine(temp, ModelFile),
                trainer.Model.Parameters.Select(kv => new SafetensorsItem(kv.Key, kv.Value, DType.F32)),
                new Dictionary<string, string> { ["format"] = "pt" });
            foreach (var file in companions ?? [])
            {
                var name = Path.GetFileName(file);
                if (name is ModelFile or OptimizerFile) throw new ArgumentException($"companion file {file} would overwrite the checkpoint's own {name}");
                File.Copy(file, Path.Combine(temp, name));
            }
            stage?.Invoke("model");
            var state = new List<SafetensorsItem>();
            foreach (var p in trainer.Optimizer.Parameters)
            {
                state.Add(new SafetensorsItem("exp_avg." + p.Name, p.ExpAvg, DType.F32));
                state.Add(new SafetensorsItem("exp_avg_sq." + p.Name, p.ExpAvgSq, DType.F32));
            }
            if (trainer is { OwnsLogitBias: true, LogitBias: { } bias }) state.Add(new SafetensorsItem("logit_bias", bias, DType.F32));
            SafetensorsWriter.Write(Path.Combine(temp, OptimizerFile), state, new Dictionary<string, string>
            {
                ["optimizer_steps"] = trainer.Optimizer.StepCount.ToString(CultureInfo.InvariantCulture),
                ["step"] = progress.Step.ToString(CultureInfo.InvariantCulture),
                ["epoch"] = progress.Epoch.ToString(CultureInfo.InvariantCulture),
                ["position"] = progress.Position.ToString(CultureInfo.InvariantCulture),
                ["seed"] = progress.Seed.ToString(CultureInfo.InvariantCulture),
            });
            stage?.Invoke("optimizer");
            if (Directory.Exists(full))
            {
                // Between these two moves only the aside copy exists; Recover puts it back after a crash.
                var old = AsideName(full);
                Directory.Move(full, old);
                stage?.Invoke("swap");
                Directory.Move(temp, full);
                Directory.Delete(old, recursive: true);
            }
            else Directory.Move(temp, full);
        }
        catch
        {
            try { Directory.Delete(temp, recursive: true); } catch (IOException) { }
            throw;
        }
    }

    private static string AsideName(string full) => full + ".old";

    /// <summary>
    /// The files of a Hugging Face model directory besides its weights that a checkpoint trained from it needs
    /// to load the same way: config.json, the preprocessor config and whichever tokenizer files it has.
    /// </summary>
    public static IReadOnlyList<string> HuggingFaceCompanions(string sourceDirectory) =>
        new[] { "config.json", "preprocessor_config.json", "spiece.model", "tokenizer.model", "tokenizer.json",
                "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json" }
            .Select(name => Path.Combine(sourceDirectory, name)).Where(File.Exists).ToArray();

    /// <summary>
    /// Repairs what a crash during <see cref="Save"/> can leave: if the checkpoint was moved aside but
    /// its replacement not yet moved in, the aside copy goes back; unfinished temporary copies are
    /// deleted. Returns true when a checkpoint exists afterwards.
    /// </summary>
    public static bool Recover(string directory)
    {
        var full = Path.GetFullPath(directory);
        var parent = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(parent)) return false;
        var aside = AsideName(full);
        if (Directory.Exists(aside))
        {
            if (Directory.Exists(full)) Directory.Delete(aside, recursive: true);   // the swap finished; only the cleanup did not
            else Directory.Move(aside, full);
        }
        foreach (var temp in Directory.GetDirectories(parent, $".{Path.GetFileName(full)}.*.tmp"))
            Directory.Delete(temp, recursive: true);
        return Directory.Exists(full);
    }

    /// <summary>
    /// Restores weights, optimiser moments and step count into <paramref name="trainer"/> (built on a
    /// model of the same architecture with the same options) and returns where the run stood.
    /// </summary>
    public static TrainingProgress Load(string directory, ClipTrainer trainer)
    {
        using (var model = SafetensorsFile.Open(Path.Combine(directory, ModelFile)))
            foreach (var (name, value) in trainer.Model.Parameters) Read(model, name, value);
        using var state = SafetensorsFile.Open(Path.Combine(directory, OptimizerFile));
        foreach (var p in trainer.Optimizer.Parameters)
        {
            Read(state, "exp_avg." + p.Name, p.ExpAvg);
            Read(state, "exp_avg_sq." + p.Name, p.ExpAvgSq);
        }
        if (trainer is { OwnsLogitBias: true, LogitBias: { } bias }) Read(state, "logit_bias", bias);
        long Meta(string key) => state.Metadata.TryGetValue(key, out var v) && long.TryParse(v, CultureInfo.InvariantCulture, out var n)
            ? n : throw new CheckpointException(state.Path, $"metadata '{key}' is missing or not a number");
        trainer.Optimizer.RestoreStepCount(Meta("optimizer_steps"));
        ulong seed = ulong.Parse(state.Metadata.TryGetValue("seed", out var s) ? s : "0", CultureInfo.InvariantCulture);
        return new TrainingProgress(Meta("step"), (int)Meta("epoch"), (int)Meta("position"), seed);
    }

    private static void Read(SafetensorsFile file, string name, Tensor destination)
    {
        if (!file.Contains(name)) throw new CheckpointException(file.Path, $"missing tensor '{name}'");
        var shape = file.Shape(name);
        if (Tensor.Product(shape) != destination.Length)
            throw new CheckpointException(file.Path, $"tensor '{name}' has shape {Tensor.FormatShape(shape)}, expected {destination.ShapeString}");
        file.ReadFloat32(name, destination.Span);
    }
}
