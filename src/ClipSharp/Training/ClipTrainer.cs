using ClipSharp.Distributed;
using ClipSharp.Models;
using ClipSharp.Tensors;
using ClipSharp.Tensors.Autograd;

namespace ClipSharp.Training;

// Letters: N pairs in the batch, K chunks, E embed dim, L context length, R resolution.

/// <summary>The contrastive objective to train with.</summary>
public enum LossKind
{
    /// <summary>CLIP's symmetric softmax cross-entropy (InfoNCE).</summary>
    Clip,
    /// <summary>SigLIP's pairwise sigmoid loss with a learnable bias.</summary>
    SigLip,
}

/// <summary>Everything that shapes a training step.</summary>
public sealed record TrainingOptions
{
    public AdamWOptions Optimizer { get; init; } = new();
    public LossKind Loss { get; init; } = LossKind.Clip;
    /// <summary>Learning-rate schedule; null keeps <see cref="AdamWOptions.LearningRate"/> constant.</summary>
    public CosineSchedule? Schedule { get; init; }
    /// <summary>Clip gradients to this global L2 norm (torch.nn.utils.clip_grad_norm_); null: no clipping.</summary>
    public double? MaxGradNorm { get; init; }
    /// <summary>
    /// Split each batch into this many chunks with gradient caching, so the loss over the whole batch
    /// stays exact while only one chunk's activations are alive at a time.
    /// </summary>
    public int Chunks { get; init; } = 1;
    public FreezeOptions Freeze { get; init; } = FreezeOptions.None;
}

/// <summary>One step's outcome.</summary>
public readonly record struct StepResult(double Loss, double LearningRate, double GradNorm);

/// <summary>
/// Trains a two-tower model (<see cref="ClipModel"/>, <see cref="Models.Siglip.SiglipModel"/>) on image–text
/// pairs: forward on a tape, contrastive loss, backward, optional clipping, AdamW, then (CLIP loss)
/// logit_scale clamped to [0, ln 100]. With a <see cref="Collective"/> of more than one rank, each rank steps
/// on its shard of a global batch (ClipTrainer.DataParallel.cs).
/// </summary>
public sealed partial class ClipTrainer
{
    public const double MaxLogitScale = 4.605170185988092;  // ln 100

    public ITrainableEncoder Model { get; }
    public TrainingOptions Options { get; private set; }

    /// <summary>
    /// Replaces the learning-rate schedule (e.g. once a time-budgeted run knows how many steps fit);
    /// steps already taken keep the rates they had.
    /// </summary>
    public void Reschedule(CosineSchedule schedule) => Options = Options with { Schedule = schedule };
    public ComputeContext Context { get; }
    public Gradients Gradients { get; } = new();
    public AdamW Optimizer { get; }
    /// <summary>The trainable parameters, by name, in registration order (including SigLIP's bias).</summary>
    public IReadOnlyList<KeyValuePair<string, Tensor>> Trainable { get; }
    /// <summary>
    /// The sigmoid loss's learnable bias b: the model's own logit_bias (SigLIP), else the trainer's, initialised
    /// to −10 (see <see cref="OwnsLogitBias"/>); null for the CLIP loss.
    /// </summary>
    public Tensor? LogitBias { get; }

    /// <summary>True when <see cref="LogitBias"/> is the trainer's (CLIP trained with the sigmoid loss), not a model parameter; checkpoints keep it with the optimiser state.</summary>
    public bool OwnsLogitBias { get; }

    /// <summary>The ranks this trainer shares each global batch with (<see cref="SingleProcess"/> by default).</summary>
    public ICollective Collective { get; }

    /// <param name="model">The model to train (its parameters change in place).</param>
    /// <param name="options">Loss, optimiser, schedule, chunks, freezing (defaults: <see cref="TrainingOptions"/>).</param>
    /// <param name="context">Threads and instruction set for the kernels.</param>
    /// <param name="collective">
    /// The ranks of a data-parallel job: every rank builds its trainer on the same model and options and
    /// passes its own shard of each global batch to <see cref="Step"/>. Null: one process.
    /// </param>
    public ClipTrainer(ITrainableEncoder model, TrainingOptions? options = null, ComputeContext? context = null, ICollective? collective = null)
    {
        Model = model;
        Options = options ?? new TrainingOptions();
        Context = context ?? ComputeContext.Default;
        Collective = collective ?? SingleProcess.Instance;
        if (Options.Chunks < 1) throw new ArgumentOutOfRangeException(nameof(options), Options.Chunks, "Chunks must be at least 1");
        var trainable = Freezing.Trainable(model, Options.Freeze).ToList();
        if (Options.Loss == LossKind.SigLip)
        {
            LogitBias = model.LogitBias;
            if (LogitBias is null)
            {
                (LogitBias, OwnsLogitBias) = (new Tensor(new[] { -10f }, 1), true);
                trainable.Add(new("logit_bias", LogitBias));
            }
        }
        foreach (var kv in trainable) Gradients.Track(kv.Value);
        Trainable = trainable;
        Optimizer = new AdamW(trainable, Gradients, Options.Optimizer);
        _sparseTokenEmbedding = trainable.Any(kv => ReferenceEquals(kv.Value, model.TokenEmbedding));
    }

    /// <summary>True when the token embedding is trained (and updated row-sparsely).</summary>
    private readonly bool _sparseTokenEmbedding;

    /// <summary>SigLIP's initial temperature: t′ = ln 10 (call once before training a fresh model with the sigmoid loss).</summary>
    public void InitialiseSigLipScale() => Model.LogitScale.Span[0] = (float)Math.Log(10);

    /// <summary>The learning rate for the next step.</summary>
    public double CurrentLearningRate => Options.Schedule?.At(Optimizer.StepCount) ?? Options.Optimizer.LearningRate;

    /// <summary>Computes gradients for the batch, clips, steps the optimiser and clamps logit_scale.</summary>
    /// <param name="pixels">(N, 3, R, R) preprocessed images (with several ranks: this rank's shard of the global batch).</param>
    /// <param name="tokens">(N, L) token ids, row n paired with image n.</param>
    public StepResult Step(Tensor pixels, int[] tokens)
    {
        double lr = CurrentLearningRate;
        double loss = ComputeGradients(pixels, tokens);
        double norm = Gradients.GlobalNorm();
        if (Options.MaxGradNorm is { } max)
        {
            double coef = max / (norm + 1e-6);
            if (coef < 1) Gradients.Scale((float)coef);
        }
        if (_sparseTokenEmbedding) Optimizer.MarkRows(Model.TokenEmbedding, _globalTokens ?? tokens);   // only looked-up rows have a gradient
        Optimizer.Step(lr);
        if (Options.Loss == LossKind.Clip)
            Model.LogitScale.Span[0] = Math.Clamp(Model.LogitScale.Span[0], 0f, (float)MaxLogitScale);
        return new StepResult(loss, lr, norm);
    }

    /// <summary>
    /// Zeroes the gradients and fills them for this batch; returns the loss (BatchNorm in training mode).
    /// With several ranks: the loss over the global batch and the gradient summed over the ranks, the same on every rank.
    /// </summary>
    public double ComputeGradients(Tensor pixels, int[] tokens)
    {
        int n = pixels.Shape[0];
        int l = Model.ContextLength;
        if (tokens.Length != n * l) throw new ArgumentException($"{n} images but {tokens.Length / Math.Max(1, l)} token rows of {l}");
        Gradients.Zero();
        int chunks = Math.Min(Options.Chunks, n);
        if (Collective.Size > 1) return DataParallel(pixels, tokens, n, chunks);
        return chunks == 1 ? FullBatch(pixels, tokens, n) : GradientCaching(pixels, tokens, n, chunks);
    }

    /// <summary>
    /// Evaluates the loss without keeping activations or touching gradients or BatchNorm statistics
    /// (over the given pairs only: no exchange with other ranks).
    /// </summary>
    public double Loss(Tensor pixels, int[] tokens)
    {
        var tape = new Tape(Context, Gradients, record: false) { UpdateRunningStatistics = false };
        int n = pixels.Shape[0];
        var image = Model.EncodeImage(tape, pixels);
        var text = Model.EncodeText(tape, tokens, n);
        return LossOf(tape, image, text).Data[0];
    }

    private double FullBatch(Tensor pixels, int[] tokens, int n)
    {
        var tape = new Tape(Context, Gradients);
        var image = Model.EncodeImage(tape, pixels);
        var text = Model.EncodeText(tape, tokens, n);
        var loss = LossOf(tape, image, text);
        tape.Backward(loss);
        return loss.Data[0];
    }

    /// <summary>
    /// Step (3) of gradient caching: each chunk (rows [bounds[k], bounds[k+1])) recomputed on a recording tape and
    /// its slice of d(image embeddings) / d(text embeddings) backpropagated into the parameter gradients.
    /// </summary>
    private void BackwardChunks(Tensor pixels, int[] tokens, int[] bounds, Tensor dImage, Tensor dText)
    {
        int l = Model.ContextLength;
        for (int k = 0; k + 1 < bounds.Length; k++)
        {
            int start = bounds[k], count = bounds[k + 1] - start;
            var imageTape = new Tape(Context, Gradients) { UpdateRunningStatistics = false };
            var imageChunk = Model.EncodeImage(imageTape, pixels.Slice(start, count).Contiguous());
            if (imageChunk.RequiresGrad) imageTape.Backward(imageChunk, dImage.Slice(start, count));
            var textTape = new Tape(Context, Gradients);
            var textChunk = Model.EncodeText(textTape, tokens.AsSpan(start * l, count * l), count);
            if (textChunk.RequiresGrad) textTape.Backward(textChunk, dText.Slice(start, count));
        }
    }

    /// <summary>
    /// Gradient caching (Gao et al. 2021): (1) embed every chunk with a values-only tape; (2) compute the
    /// full-batch loss on the cached embeddings and its gradient d(embeddings) (and d logit_scale);
    /// (3) recompute each chunk on a recording tape and backpropagate its slice of d(embeddings).
    /// BatchNorm sees the same chunks in both passes; running statistics update in pass (1) only.
    /// </summary>
    private double GradientCaching(Tensor pixels, int[] tokens, int n, int chunks)
    {
        int l = Model.ContextLength, e = Model.EmbedDim;
        var bounds = ChunkBounds(n, chunks);
        var imageAll = new Tensor(n, e);
        var textAll = new Tensor(n, e);
        var values = new Tape(Context, Gradients, record: false);
        for (int k = 0; k < chunks; k++)
        {
            int start = bounds[k], count = bounds[k + 1] - start;
            Model.EncodeImage(values, pixels.Slice(start, count).Contiguous()).Data.CopyTo(imageAll.Span.Slice(start * e, count * e));
            Model.EncodeText(values, tokens.AsSpan(start * l, count * l), count).Data.CopyTo(textAll.Span.Slice(start * e, count * e));
        }

        var lossTape = new Tape(Context, Gradients);
        var image = lossTape.Leaf(imageAll);
        var text = lossTape.Leaf(textAll);
        var loss = LossOf(lossTape, image, text);
        lossTape.Backward(loss);
        var dImage = image.Grad ?? new Tensor(n, e);
        var dText = text.Grad ?? new Tensor(n, e);
        BackwardChunks(pixels, tokens, bounds, dImage, dText);
        return loss.Data[0];
    }

    /// <summary>Start of each of <paramref name="chunks"/> near-equal chunks of <paramref name="n"/> rows, and n at the end.</summary>
    private static int[] ChunkBounds(int n, int chunks) => Enumerable.Range(0, chunks + 1).Select(k => (int)((long)k * n / chunks)).ToArray();

    private Variable LossOf(Tape tape, Variable image, Variable text) => Options.Loss switch
    {
        LossKind.Clip => ContrastiveLoss.Clip(tape, image, text, tape.Param(Model.LogitScale)),
        LossKind.SigLip => ContrastiveLoss.SigLip(tape, image, text, tape.Param(Model.LogitScale), tape.Param(LogitBias!)),
        _ => throw new ArgumentOutOfRangeException(nameof(Options.Loss), Options.Loss, "unknown loss"),
    };
}
