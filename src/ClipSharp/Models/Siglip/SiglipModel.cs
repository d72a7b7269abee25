using ClipSharp.IO;
using ClipSharp.Tensors;
using ClipSharp.Tensors.Kernels;

namespace ClipSharp.Models.Siglip;

// Letters: N images, M texts, E embed dim.

/// <summary>
/// SiglipModel / Siglip2Model: logits_per_image (N, M) = exp(logit_scale) · normalise(image) ·
/// normalise(text)ᵀ + logit_bias; each pair's probability is sigmoid(logit), independently of the other labels.
/// Parameters use the Hugging Face names (text_model.…, vision_model.…, logit_scale, logit_bias).
/// </summary>
public sealed partial class SiglipModel : IImageTextEncoder
{
    public SiglipConfig Config { get; }
    public SiglipTextTower Text { get; }
    public SiglipVisionTower Vision { get; }
    public Tensor LogitScale { get; }   // (1), ln(scale)
    public Tensor LogitBias { get; }    // (1)
    public IReadOnlyList<KeyValuePair<string, Tensor>> Parameters { get; }

    public SiglipModel(SiglipConfig config, IParameterSource source)
    {
        Config = config;
        var p = new ParameterBuilder(source);
        // HF registration order: text_model, vision_model, logit_scale, logit_bias.
        Text = new SiglipTextTower(p, config.Text);
        Vision = new SiglipVisionTower(p, config.Vision);
        LogitScale = p.Take("logit_scale", [1], Init.Zeros);
        LogitBias = p.Take("logit_bias", [1], Init.Zeros);
        p.Finish();
        Parameters = p.Parameters;
    }

    /// <summary>Loads a Hugging Face SigLIP / SigLIP 2 directory (config.json + model.safetensors).</summary>
    public static SiglipModel Load(string directory)
    {
        var config = SiglipConfig.FromHuggingFace(directory);
        var weights = System.IO.Path.Combine(directory, "model.safetensors");
        if (!File.Exists(weights)) throw new FileNotFoundException($"{directory}: no model.safetensors", weights);
        return new SiglipModel(config, new StateDictSource(SafetensorsReader.Load(weights)));
    }

    public long ParameterCount => Parameters.Sum(kv => (long)kv.Value.Length);

    /// <summary>
    /// Inference copies of every linear layer's weight at <paramref name="precision"/>, used through
    /// <see cref="ComputeContext.WithWeights"/> as for <see cref="ClipModel.PrepareForInference"/>.
    /// </summary>
    public InferenceWeights PrepareForInference(Precision precision = Precision.Float32, ComputeContext? ctx = null) =>
        new(precision == Precision.Int8 ? "int8" : "fp32-packed",
            Vision.LinearLayers.Concat(Text.LinearLayers).Distinct()
                .Select(layer => KeyValuePair.Create((object)layer, layer.PrepareForInference(precision, ctx))));

    /// <summary>exp(logit_scale).</summary>
    public float Scale => MathF.Exp(LogitScale.Span[0]);

    /// <summary>logit_bias.</summary>
    public float Bias => LogitBias.Span[0];

    string IImageTextEncoder.Family => "siglip";
    ScoreKind IImageTextEncoder.Scoring => ScoreKind.Sigmoid;
    int IImageTextEncoder.ContextLength => Config.Text.ContextLength;
    int IImageTextEncoder.ImageSize => Config.Vision.ImageSize;
    int IImageTextEncoder.EmbedDim => Config.EmbedDim;
    Tensor IImageTextEncoder.Probabilities(Tensor logits) => Probabilities(logits);

    /// <summary>FixRes image embeddings: pixels (N, 3, R, R) → (N, E), not normalised.</summary>
    public Tensor EncodeImage(ComputeContext ctx, Tensor pixels) => Vision.Forward(ctx, pixels);

    /// <summary>NaFlex image embeddings: each image's (h·w, 3P²) patches and grid → (N, E), not normalised.</summary>
    public Tensor EncodeImagePatches(ComputeContext ctx, IReadOnlyList<NaFlexPatches> images)
    {
        int e = Config.EmbedDim;
        var result = new Tensor(images.Count, e);
        for (int i = 0; i < images.Count; i++)
            Vision.ForwardPatches(ctx, images[i].Patches, images[i].Height, images[i].Width).Span.CopyTo(result.Span.Slice(i * e, e));
        return result;
    }

    /// <summary>Text embeddings: token ids (M, L) → (M, E), not normalised.</summary>
    public Tensor EncodeText(ComputeContext ctx, ReadOnlySpan<int> tokens, int count) => Text.Forward(ctx, tokens, count);

    /// <summary>logits_per_image (N, M) = exp(logit_scale) · cos(image, text) + logit_bias.</summary>
    public Tensor Logits(ComputeContext ctx, Tensor imageEmbeds, Tensor textEmbeds)
    {
        int n = imageEmbeds.Shape[0], m = textEmbeds.Shape[0], e = imageEmbeds.Shape[1];
        if (textEmbeds.Shape[1] != e) throw new ArgumentException($"image embeddings have width {e}, text embeddings {textEmbeds.Shape[1]}");
        var img = ClipModel.Normalized(imageEmbeds);
        var txt = ClipModel.Normalized(textEmbeds);
        var logits = new Tensor(n, m);
        Gemm.Multiply(ctx, logits.Span, m, img.Span, e, false, txt.Span, e, true, n, m, e);
        for (int i = 0; i < logits.Length; i++) logits.Span[i] = logits.Span[i] * Scale + Bias;
        return logits;
    }

    /// <summary>Per-pair probabilities sigmoid(logit), (N, M): independent labels, rows need not sum to 1.</summary>
    public static Tensor Probabilities(Tensor logits)
    {
        var p = new Tensor(logits.Shape);
        var src = logits.Contiguous().Span;
        for (int i = 0; i < p.Length; i++) p.Span[i] = 1f / (1f + MathF.Exp(-src[i]));
        return p;
    }
}

/// <summary>One NaFlex image: (h·w, 3P²) patches in (row, column, channel) order on an h × w grid.</summary>
public sealed record NaFlexPatches(Tensor Patches, int Height, int Width);
