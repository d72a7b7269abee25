using ClipSharp.IO;
using ClipSharp.Tensors;
using ClipSharp.Tensors.Kernels;

namespace ClipSharp.Models;

// Letters: N images, M texts, E embed dim, L context length, R resolution.

/// <summary>
/// A CLIP model: an image tower and a text tower projecting into one E-dimensional space, and a
/// learnable temperature. logits_per_image = exp(logit_scale) · normalise(image) · normalise(text)ᵀ.
/// </summary>
public sealed partial class ClipModel : IImageTextEncoder
{
    public ClipConfig Config { get; }
    public IImageTower Visual { get; }
    public TextTransformer Text { get; }
    public Tensor LogitScale { get; }  // (1), stored as ln(scale)

    /// <summary>What the checkpoint loader noticed but did not refuse (e.g. NaN/Inf weights); empty for random models.</summary>
    public IReadOnlyList<string> LoadWarnings { get; internal set; } = [];

    /// <summary>Parameters the checkpoint gave with NaN or Inf values (see <see cref="LoadWarnings"/>).</summary>
    public IReadOnlyList<string> NonFiniteWeights { get; internal set; } = [];

    /// <summary>All parameters in registration order, by OpenAI/OpenCLIP name.</summary>
    public IReadOnlyList<KeyValuePair<string, Tensor>> Parameters { get; }

    /// <summary>Builds the model, taking every parameter from <paramref name="source"/>.</summary>
    public ClipModel(ClipConfig config, IParameterSource source)
    {
        Config = config;
        var p = new ParameterBuilder(source);
        // Reference order: visual first, then the text tower, then logit_scale.
        Visual = config.Vision switch
        {
            VitConfig v => new VisionTransformer(p, v, config.EmbedDim, config.Activation),
            ResNetConfig r => new ModifiedResNet(p, r, config.EmbedDim),
            _ => throw new ArgumentException($"unsupported vision config {config.Vision.GetType().Name}"),
        };
        Text = new TextTransformer(p, config.Text, config.EmbedDim, config.Activation);
        LogitScale = p.Take("logit_scale", [], new Init.Constant((float)Math.Log(1 / 0.07)));
        p.Finish();
        Parameters = p.Parameters;
    }

    /// <summary>Builds a model from a state_dict, inferring the architecture from shapes unless given.</summary>
    public static ClipModel FromStateDict(StateDict sd, ClipConfig? config = null) =>
        new(config ?? ModelConfigs.InferFromStateDict(sd), new StateDictSource(sd));

    /// <summary>A randomly initialised model (the reference's scheme), reproducible from <paramref name="seed"/>.</summary>
    public static ClipModel Random(ClipConfig config, int seed) => new(config, new RandomInitSource(seed));

    /// <summary>
    /// Inference copies of every linear layer's weight at <paramref name="precision"/>, for a session's
    /// context (<see cref="ComputeContext.WithWeights"/>): float32 packs each weight once into the GEMM's
    /// panel layout (a second copy of those weights); int8 quantises them (a quarter of the size) and runs
    /// those layers in int8 with per-row activation scales. The model's layers are not changed, so another
    /// session on this model keeps its own precision, and training has nothing to release. Convolutions,
    /// attention and normalisation stay float32.
    /// </summary>
    public InferenceWeights PrepareForInference(Precision precision = Precision.Float32, ComputeContext? ctx = null) =>
        new(precision == Precision.Int8 ? "int8" : "fp32-packed",
            Visual.LinearLayers.Concat(Text.Transformer.LinearLayers).Distinct()
                .Select(layer => KeyValuePair.Create((object)layer, layer.PrepareForInference(precision, ctx))));

    /// <summary>Total number of parameter values.</summary>
    public long ParameterCount => Parameters.Sum(kv => (long)kv.Value.Length);

    /// <summary>encode_image: pixels (N, 3, R, R) → (N, E), not normalised.</summary>
    public Tensor EncodeImage(ComputeContext ctx, Tensor pixels) => Visual.Forward(ctx, pixels);

    /// <summary>encode_text: token ids (M, L) → (M, E), not normalised.</summary>
    public Tensor EncodeText(ComputeContext ctx, ReadOnlySpan<int> tokens, int count) => Text.Forward(ctx, tokens, count);

    /// <summary>exp(logit_scale).</summary>
    public float Scale => MathF.Exp(LogitScale.Span[0]);

    string IImageTextEncoder.Family => "clip";
    ScoreKind IImageTextEncoder.Scoring => ScoreKind.Softmax;
    int IImageTextEncoder.ContextLength => Config.Text.ContextLength;
    int IImageTextEncoder.ImageSize => Config.Vision.ImageSize;
    int IImageTextEncoder.EmbedDim => Config.EmbedDim;

    /// <summary>Softmax over each row of (N, M) logits: zero-shot probabilities over the texts.</summary>
    Tensor IImageTextEncoder.Probabilities(Tensor logits)
    {
        var src = logits.Contiguous();
        var p = new Tensor(src.Shape);
        int m = src.Shape[^1];
        for (int r = 0; r < src.Length / m; r++)
            System.Numerics.Tensors.TensorPrimitives.SoftMax(src.Span.Slice(r * m, m), p.Span.Slice(r * m, m));
        return p;
    }

    /// <summary>
    /// logits_per_image (N, M) = exp(logit_scale) · normalise(image) · normalise(text)ᵀ;
    /// logits_per_text is its transpose.
    /// </summary>
    public Tensor Logits(ComputeContext ctx, Tensor imageFeatures, Tensor textFeatures)
    {
        var logits = CosineSimilarities(ctx, imageFeatures, textFeatures);
        System.Numerics.Tensors.TensorPrimitives.Multiply(logits.Span, Scale, logits.Span);
        return logits;
    }

    /// <summary>(N, M) cosine similarities normalise(a) · normalise(b)ᵀ of (N, E) and (M, E) features.</summary>
    public static Tensor CosineSimilarities(ComputeContext ctx, Tensor a, Tensor b)
    {
        int n = a.Shape[0], m = b.Shape[0], e = a.Shape[1];
        if (b.Shape[1] != e)
            throw new ArgumentException($"image features have width {e}, text features {b.Shape[1]}");
        var (x, y) = (Normalized(a), Normalized(b));
        var result = new Tensor(n, m);
        Gemm.Multiply(ctx, result.Span, m, x.Span, e, false, y.Span, e, true, n, m, e);
        return result;
    }

    /// <summary>Each row divided by its L2 norm: x / ‖x‖₂ (rows of zeros stay zero). The one L2 normalisation.</summary>
    public static Tensor Normalized(Tensor features)
    {
        var src = features.Contiguous();
        var result = new Tensor(src.Shape);
        int e = src.Shape[^1];
        for (int r = 0; r < src.Length / e; r++) NormalizeRow(src.Span.Slice(r * e, e), result.Span.Slice(r * e, e));
        return result;
    }

    /// <summary>destination = source / ‖source‖₂ (zeros for a zero vector); the spans may be the same.</summary>
    public static void NormalizeRow(ReadOnlySpan<float> source, Span<float> destination)
    {
        float norm = System.Numerics.Tensors.TensorPrimitives.Norm(source);
        System.Numerics.Tensors.TensorPrimitives.Multiply(source, norm > 0 ? 1f / norm : 0f, destination);
    }

    /// <summary>The machine's measured float32 FMA peak in GFLOP/s on <paramref name="threads"/> threads (for bench's share of peak).</summary>
    public static double MeasurePeakGflops(int threads) => PeakFlops.Measure(threads);
}

/// <summary>Arithmetic of the linear layers at inference.</summary>
public enum Precision
{
    /// <summary>float32 throughout (bit-for-bit the reference path).</summary>
    Float32,
    /// <summary>Dynamic int8 linear layers (weights per channel, activations per row); the rest float32.</summary>
    Int8,
}
