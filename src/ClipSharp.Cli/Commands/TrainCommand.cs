using System.CommandLine;
using System.Globalization;
using ClipSharp.Datasets;
using ClipSharp.Distributed;
using ClipSharp.Imaging.Preprocessing;
using ClipSharp.Models;
using ClipSharp.Models.Siglip;
using ClipSharp.Tensors;
using ClipSharp.Text;
using ClipSharp.Text.SentencePiece;
using ClipSharp.Training;
using ClipSharp.ZeroShot;

namespace ClipSharp.Cli.Commands;

/// <summary>
/// `clipsharp train --data SRC (--model CKPT | --arch NAME) --out DIR`: contrastive training with
/// AdamW, a cosine schedule, checkpoints (DIR/checkpoint), metrics (DIR/metrics.jsonl) and a loss plot
/// (DIR/loss.svg). A SigLIP --model trains with its own tokenizer and preprocessing and saves a Hugging
/// Face directory. Parsing and printing only; the work is in ClipSharp.Training.
/// Under `mpirun -np P` each process is one rank of a data-parallel job (<see cref="MpiLaunch"/>): rank 0 prints,
/// logs, validates and writes checkpoints; the others compute their shard of each batch.
/// </summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data")
        {
            Description = "A .csv/.tsv of image,caption pairs; an ImageFolder tree; WebDataset shards (a.tar, 'shard-{000..009}.tar', a,b or a folder of .tar); or fashion-mnist[:DIR]",
            Required = true,
        };
        var shuffleBuffer = new Option<int>("--shuffle-buffer") { Description = "WebDataset: samples held in the shuffle buffer", DefaultValueFactory = _ => 1000 };
        var augment = new Option<string>("--augment") { Description = "Image augmentation: none, flip, rrc (random resized crop, scale 0.9–1), rrc:MIN_SCALE, or a comma list", DefaultValueFactory = _ => "none" };
        var model = ModelOptions.ModelOption(required: false, whenOmitted: "the checkpoint to fine-tune (CLIP, or a SigLIP Hugging Face directory / hf: id); omitted: train --arch from scratch");
        var arch = new Option<string?>("--arch") { Description = $"Train from scratch: a preset ({string.Join(", ", ModelConfigs.PresetNames)}) or an OpenCLIP config JSON" };
        var initSeed = new Option<int>("--init-seed") { Description = "Seed for --arch initialisation", DefaultValueFactory = _ => 0 };
        var output = new Option<string>("--out") { Description = "Run folder: checkpoint/, metrics.jsonl, loss.svg", Required = true };
        var steps = new Option<int?>("--steps") { Description = "Optimiser steps (default: --epochs worth)" };
        var epochs = new Option<int>("--epochs") { Description = "Epochs when --steps is not given", DefaultValueFactory = _ => 1 };
        var batch = ModelOptions.BatchOption("Pairs per step (the contrastive batch; under MPI the global batch)", 64);
        var chunks = new Option<int>("--chunks") { Description = "Split each batch into this many chunks (gradient caching keeps the loss exact)", DefaultValueFactory = _ => 1 };
        var lr = new Option<double>("--lr") { Description = "Peak learning rate", DefaultValueFactory = _ => 5e-4 };
        var wd = new Option<double>("--wd") { Description = "Weight decay (2-D weights, not norms/biases/logit_scale)", DefaultValueFactory = _ => 0.2 };
        var warmup = new Option<int>("--warmup") { Description = "Linear warm-up steps", DefaultValueFactory = _ => 100 };
        var beta1 = new Option<double>("--beta1") { DefaultValueFactory = _ => 0.9 };
        var beta2 = new Option<double>("--beta2") { DefaultValueFactory = _ => 0.98 };
        var eps = new Option<double>("--eps") { DefaultValueFactory = _ => 1e-6 };
        var clip = new Option<double?>("--grad-clip") { Description = "Clip gradients to this global norm" };
        var loss = new Option<string?>("--loss") { Description = "clip | siglip (default: siglip for a SigLIP model, clip otherwise)" };
        var lockImage = new Option<bool>("--lock-image") { Description = "Freeze the image tower" };
        var lockImageGroups = new Option<int>("--lock-image-unlocked-groups") { Description = "…except its last N layer groups", DefaultValueFactory = _ => 0 };
        var lockText = new Option<bool>("--lock-text") { Description = "Freeze the text tower" };
        var lockTextGroups = new Option<int>("--lock-text-unlocked-groups") { Description = "…except its last N layer groups", DefaultValueFactory = _ => 0 };
        var imageKey = new Option<string>("--csv-img-key") { DefaultValueFactory = _ => "filepath" };
        var captionKey = new Option<string>("--csv-caption-key") { DefaultValueFactory = _ => "title" };
        var templates = new Option<string>("--templates") { Description = "Caption templates for class datasets: single, simple, openai or a file", DefaultValueFactory = _ => "simple" };
        var seed = new Option<ulong>("--seed") { Description = "Data order seed", DefaultValueFactory = _ => 0 };
        var seconds = new Option<double?>("--seconds") { Description = "Time budget: the cosine schedule is sized from the measured step rate" };
        var val = new Option<string?>("--val") { Description = "Zero-shot validation set: an ImageFolder tree or fashion-mnist[:DIR] (test split)" };
        var valEvery = new Option<int>("--val-every") { Description = "Evaluate every N steps (and at the end)", DefaultValueFactory = _ => 100 };
        var valLimit = new Option<int>("--val-limit") { Description = "Validation images", DefaultValueFactory = _ => 1000 };
        var valTemplates = new Option<string>("--val-templates") { Description = "Prompt templates for validation", DefaultValueFactory = _ => "openai" };
        var saveEvery = new Option<int>("--save-every") { Description = "Checkpoint every N steps (and at the end)", DefaultValueFactory = _ => 500 };
        var resume = new Option<bool>("--resume") { Description = "Continue from OUT/checkpoint (weights, optimiser, data position)" };
        var threads = new Option<int?>("--threads") { Description = "Compute threads (default: the cores this process may use, shared among the MPI ranks on this host)" };
        var mpi = new Option<bool>("--mpi") { Description = "Run as one rank of an MPI job (automatic under Open MPI's mpirun)" };
        var cmd = new Command("train", "Train or fine-tune a CLIP or SigLIP model on image–text pairs.")
        {
            data, model, arch, initSeed, output, steps, epochs, seconds, val, valEvery, valLimit, valTemplates, batch, chunks, lr, wd, warmup, beta1, beta2, eps, clip, loss,
            lockImage, lockImageGroups, lockText, lockTextGroups, imageKey, captionKey, templates, seed, saveEvery, resume, threads,
            shuffleBuffer, augment, mpi,
        };
        cmd.SetAction(parse =>
        {
            // MPI is finalised only after a run that ended well: a rank that throws leaves without it, and mpirun
            // then ends the job instead of leaving the other ranks waiting in their next collective.
            var job = parse.GetValue(mpi) || MpiLaunch.Detected ? MpiLaunch.Start() : null;
            var measured = job is null ? null : new MeasuredCollective(job);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            int code = Train(parse, measured ?? (ICollective)SingleProcess.Instance);
            if (measured is { Rank: 0, Size: > 1 })
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"rank 0 spent {measured.Seconds:F1} s of {clock.Elapsed.TotalSeconds:F1} s in {measured.Calls:N0} MPI collectives (transfer and waiting for the other ranks; {measured.Bytes / 1e6:F0} MB sent)"));
            job?.Dispose();
            return code;
        });
        return cmd;

        int Train(ParseResult parse, ICollective job)
        {
            bool root = job.Rank == 0;
            var start = LoadModel(parse.GetValue(model), parse.GetValue(arch), parse.GetValue(initSeed));
            var augmentation = ImageAugmentation.Parse(parse.GetValue(augment));
            var dataset = OpenData(parse.GetValue(data)!, parse.GetValue(imageKey)!, parse.GetValue(captionKey)!, parse.GetValue(templates)!,
                parse.GetValue(shuffleBuffer));
            int batchSize = parse.GetValue(batch);
            double? budget = parse.GetValue(seconds);
            int total = parse.GetValue(steps)
                ?? (budget is not null ? int.MaxValue / 2 : Math.Max(1, dataset.Count / Math.Max(1, batchSize)) * parse.GetValue(epochs));
            var options = new TrainingOptions
            {
                Optimizer = new AdamWOptions { LearningRate = parse.GetValue(lr), WeightDecay = parse.GetValue(wd), Beta1 = parse.GetValue(beta1), Beta2 = parse.GetValue(beta2), Eps = parse.GetValue(eps) },
                Schedule = new CosineSchedule(parse.GetValue(lr), Math.Min(parse.GetValue(warmup), total), total),
                MaxGradNorm = parse.GetValue(clip),
                Chunks = parse.GetValue(chunks),
                Loss = (parse.GetValue(loss) ?? (start.Model is SiglipModel ? "siglip" : "clip")).ToLowerInvariant() switch
                {
                    "clip" => LossKind.Clip,
                    "siglip" => LossKind.SigLip,
                    var other => throw new ArgumentException($"--loss: expected clip or siglip, got '{other}'"),
                },
                Freeze = new FreezeOptions
                {
                    LockImage = parse.GetValue(lockImage), ImageUnlockedGroups = parse.GetValue(lockImageGroups),
                    LockText = parse.GetValue(lockText), TextUnlockedGroups = parse.GetValue(lockTextGroups),
                },
            };
            int threadCount = parse.GetValue(threads) ?? Math.Max(1, Environment.ProcessorCount / (job.Size > 1 ? MpiLaunch.LocalRanks : 1));
            var trainer = new ClipTrainer(start.Model, options, new ComputeContext(threadCount), job);
            var outDir = parse.GetValue(output)!;
            Directory.CreateDirectory(outDir);
            var checkpoint = Path.Combine(outDir, "checkpoint");
            TrainingProgress? progress = null;
            if (parse.GetValue(resume) && root)
            {
                if (TrainingCheckpoint.Recover(checkpoint))
                {
                    progress = TrainingCheckpoint.Load(checkpoint, trainer);
                    TrainingLog.TruncateAfter(Path.Combine(outDir, "metrics.jsonl"), progress.Step);   // the lost steps run again
                    Console.WriteLine($"resumed from {checkpoint} at step {progress.Step} (epoch {progress.Epoch})");
                }
                else
                {
                    // Nothing finished saving (a run killed before or during its first checkpoint save leaves
                    // only a temporary copy, which Recover has discarded): start over rather than refuse.
                    TrainingLog.TruncateAfter(Path.Combine(outDir, "metrics.jsonl"), 0);
                    Console.WriteLine($"--resume: no finished checkpoint at {checkpoint} (the run stopped before its first save completed); starting from step 0");
                }
            }
            if (progress is null && options.Loss == LossKind.SigLip && parse.GetValue(model) is null) trainer.InitialiseSigLipScale();
            trainer.SynchronizeFromRoot();   // rank 0's weights, moments and step (resumed or fresh) on every rank
            using var run = new TrainingRun(trainer, dataset, new Preprocessor(start.ImageConfig),
                start.Tokenizer, batchSize, parse.GetValue(seed), progress, augmentation)
            {
                Skipped = ReportSkipped,
            };
            if (root)
            {
                Console.WriteLine($"training {start.Model.Describe()} with the {(options.Loss == LossKind.SigLip ? "sigmoid" : "softmax")} loss");
                Console.WriteLine($"{dataset.Count:N0} pairs, batch {batchSize}, {run.StepsPerEpoch} steps/epoch, {(budget is { } b ? $"{b:F0} s budget" : $"{total} steps")}, " +
                    $"{trainer.Trainable.Sum(kv => (long)kv.Value.Length):N0} trainable values");
                if (job.Size > 1)
                    Console.WriteLine($"data-parallel over {job.Size} MPI ranks: {run.LocalBatchSize} pairs and {threadCount} threads per rank, " +
                        $"features all-gathered for the {(options.Loss == LossKind.SigLip ? "sigmoid" : "contrastive")} loss over the global batch, gradients summed");
            }
            var imageConfig = start.ImageConfig;
            ZeroShotValidation? validation = root && parse.GetValue(val) is { } v
                ? v.StartsWith("fashion-mnist", StringComparison.OrdinalIgnoreCase)
                    ? ZeroShotValidation.FromFashionMnist(v.Contains(':') ? v[(v.IndexOf(':') + 1)..] : FashionMnist.DebianDirectory,
                        parse.GetValue(valLimit), imageConfig, PromptSets.Templates(parse.GetValue(valTemplates)!), start.Tokenizer)
                    : ZeroShotValidation.FromImageFolder(v, parse.GetValue(valLimit), imageConfig, PromptSets.Templates(parse.GetValue(valTemplates)!), start.Tokenizer)
                : null;
            if (root)
                RunLoop(run, total, budget, parse.GetValue(lr), parse.GetValue(warmup), parse.GetValue(saveEvery), outDir, checkpoint,
                    validation, parse.GetValue(valEvery), start.Companions);
            else
                RunLoop(run, total, budget, parse.GetValue(lr), parse.GetValue(warmup), saveEvery: 0, outDir: null, checkpoint: null, validation: null, valEvery: 0, companions: []);
            return 0;
        }
    }

    /// <summary>
    /// Steps until <paramref name="total"/> steps or the time budget. On rank 0 (<paramref name="outDir"/> given) it
    /// also logs, validates and checkpoints; the other ranks of a job pass null and only step. Rank 0's clock
    /// decides when a time-budgeted run stops and how long its schedule is, broadcast so every rank agrees.
    /// </summary>
    private static void RunLoop(TrainingRun run, int total, double? budget, double lr, int warmup, int saveEvery, string? outDir, string? checkpoint,
        ZeroShotValidation? validation, int valEvery, IReadOnlyList<string> companions)
    {
        var job = run.Trainer.Collective;
        var metricsPath = outDir is null ? null : Path.Combine(outDir, "metrics.jsonl");
        var accuracy = new List<(long Step, double Top1)>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long startStep = run.Progress.Step;
        // The schedule of a time-budgeted run is sized from the rate of steps 3..10 (after JIT warm-up).
        const int calibrationStart = 2, calibrationEnd = 10;
        double calibrationClock = 0;
        using (var metrics = metricsPath is null ? null : new StreamWriter(metricsPath, append: true))
        {
            void Validate(long step)
            {
                if (validation is null || metrics is null) return;
                double top1 = validation.Top1(run.Trainer.Model, run.Trainer.Context);
                accuracy.Add((step, top1));
                metrics.WriteLine(System.Text.Json.JsonSerializer.Serialize(new { step, zeroshot_top1 = top1, validation_images = validation.Count }));
                metrics.Flush();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"step {step}: zero-shot top-1 {top1:P2} on {validation.Count} validation images"));
            }
            while (run.Progress.Step < total)
            {
                if (budget is { } b && job.Broadcast(clock.Elapsed.TotalSeconds >= b)) break;
                var m = run.Next();
                metrics?.WriteLine(TrainingLog.JsonLine(m));
                if (m.Step - startStep == calibrationStart) calibrationClock = clock.Elapsed.TotalSeconds;
                long sinceCalibration = m.Step - startStep - calibrationEnd;
                if (budget is { } limit && sinceCalibration >= 0 && sinceCalibration % 20 == 0)
                {
                    // Size (then keep re-sizing) the cosine schedule from the average rate so far, validation
                    // included, so it ends as the budget does even when the machine's load changes.
                    double secondsPerStep = (clock.Elapsed.TotalSeconds - calibrationClock) / (m.Step - startStep - calibrationStart);
                    if (validation is not null && sinceCalibration == 0) secondsPerStep *= 1.05;
                    int estimate = job.Broadcast((int)Math.Max(m.Step + 1, m.Step + (limit - clock.Elapsed.TotalSeconds) / secondsPerStep));
                    if (sinceCalibration == 0 || Math.Abs(estimate - total) > Math.Max(2, total / 50))
                    {
                        total = estimate;
                        run.Trainer.Reschedule(new CosineSchedule(lr, Math.Min(warmup, Math.Max(1, total / 10)), total));
                        if (sinceCalibration == 0 && metrics is not null) Console.WriteLine($"time budget {limit:F0} s: about {total} steps");
                    }
                }
                if (metrics is null) continue;
                double perStep = clock.Elapsed.TotalSeconds / (m.Step - startStep);
                var eta = TimeSpan.FromSeconds(perStep * (total - m.Step));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"step {m.Step}/{total}  epoch {m.Epoch}  loss {m.Loss:F4}  lr {m.LearningRate:E2}  scale {m.LogitScale:F2}  {m.SamplesPerSecond:F1} samples/s  ETA {eta:hh\\:mm\\:ss}"));
                if (saveEvery > 0 && m.Step % saveEvery == 0 && m.Step < total)
                {
                    metrics.Flush();
                    TrainingCheckpoint.Save(checkpoint!, run.Trainer, run.Progress, SaveStage, companions);
                }
                if (valEvery > 0 && m.Step % valEvery == 0) Validate(m.Step);
            }
            if (accuracy.Count == 0 || accuracy[^1].Step != run.Progress.Step) Validate(run.Progress.Step);
        }
        if (outDir is null) return;
        TrainingCheckpoint.Save(checkpoint!, run.Trainer, run.Progress, SaveStage, companions);
        File.WriteAllText(Path.Combine(outDir, "loss.svg"), TrainingLog.LossSvg(TrainingLog.ReadLosses(metricsPath!)));
        if (accuracy.Count > 0)
            File.WriteAllText(Path.Combine(outDir, "accuracy.svg"), TrainingLog.LossSvg(accuracy, "zero-shot top-1 (validation)"));
        string loads = run.Trainer.Model is SiglipModel ? "a Hugging Face SigLIP directory: --model it" : "model.safetensors loads like any checkpoint";
        Console.WriteLine($"saved {checkpoint} ({loads}), {metricsPath}, {Path.Combine(outDir, "loss.svg")}");
    }

    /// <summary>
    /// Test hook: with CLIPSHARP_TEST_SAVE_PAUSE_MS set, each checkpoint stage is announced on stdout and
    /// followed by that pause, so a test can kill the process at a known point of a save.
    /// </summary>
    private static readonly Action<string>? SaveStage =
        int.TryParse(Environment.GetEnvironmentVariable("CLIPSHARP_TEST_SAVE_PAUSE_MS"), out int pause) && pause > 0
            ? stage => { Console.WriteLine($"checkpoint stage {stage}"); Console.Out.Flush(); Thread.Sleep(pause); }
            : null;

    private static void ReportSkipped(string line) => Console.Error.WriteLine($"skipped {line}");

    /// <summary>The model to train with the tokenizer, preprocessing and companion files (copied into each checkpoint) that go with it.</summary>
    private sealed record StartingPoint(ITrainableEncoder Model, ITextTokenizer Tokenizer, PreprocessConfig ImageConfig, IReadOnlyList<string> Companions);

    private static StartingPoint LoadModel(string? model, string? arch, int seed)
    {
        if ((model is null) == (arch is null)) throw new ArgumentException("give exactly one of --model (fine-tune a checkpoint) or --arch (train from scratch)");
        if (model is not null)
        {
            var path = HubModelArgument.Resolve(model);
            if (Directory.Exists(path) && SiglipConfig.IsSiglipConfig(Path.Combine(path, "config.json")))
            {
                // A Hugging Face SigLIP directory: its own SentencePiece tokenizer and preprocessor config, and a
                // checkpoint in the same layout (config, tokenizer and preprocessor files copied in).
                var siglip = SiglipModel.Load(path);
                if (siglip.Config.Vision.NaFlex)
                    throw new NotSupportedException($"{path}: a SigLIP 2 NaFlex model; training supports FixRes SigLIP / SigLIP 2 models only so far");
                return new(siglip, SiglipTokenizer.FromDirectory(path), ClipPipeline.DefaultImageConfig(path, siglip.Config.Vision.ImageSize),
                    TrainingCheckpoint.HuggingFaceCompanions(path));
            }
            var clip = ModelLoader.Load(path);
            return new(clip, ClipTokenizer.Default, PreprocessConfig.Clip(clip.Config.Vision.ImageSize), []);
        }
        var config = File.Exists(arch) ? ModelConfigs.FromOpenClipFile(arch!) : ModelConfigs.Preset(arch!);
        return new(ClipModel.Random(config, seed), ClipTokenizer.Default, PreprocessConfig.Clip(config.Vision.ImageSize), []);
    }

    private static IPairSource OpenData(string spec, string imageKey, string captionKey, string templates, int shuffleBuffer)
    {
        var prompts = PromptSets.Templates(templates);
        if (WebDataset.Looks(spec))
            return new WebDataset(WebDataset.ExpandShards(spec), shuffleBuffer, ReportSkipped);
        if (spec.StartsWith("fashion-mnist", StringComparison.OrdinalIgnoreCase))
        {
            var dir = spec.Contains(':') ? spec[(spec.IndexOf(':') + 1)..] : FashionMnist.DebianDirectory;
            return new ShuffledPairs(LabelledPairDataset.FromFashionMnist(dir, "train", prompts));
        }
        if (Directory.Exists(spec)) return new ShuffledPairs(LabelledPairDataset.FromImageFolder(spec, prompts));
        return new ShuffledPairs(new CsvPairDataset(CommandHelpers.RequireFile(spec, "--data"), imageKey, captionKey));
    }
}
