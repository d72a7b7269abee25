namespace ClipSharp.Models;

/// <summary>The MLP non-linearity: OpenAI's checkpoints use QuickGELU, most OpenCLIP ones exact GELU.</summary>
public enum Activation
{
    /// <summary>x · σ(1.702 x).</summary>
    QuickGelu,
    /// <summary>x · Φ(x) with the exact erf.</summary>
    Gelu,
}

/// <summary>Image tower architecture: a <see cref="VitConfig"/> or a <see cref="ResNetConfig"/>.</summary>
public abstract record VisionConfig
{
    /// <summary>Input resolution R (images are R×R).</summary>
    public int ImageSize { get; }

    /// <summary>Channel width (ViT: model width; ResNet: stem width, ×32 at the attention pool).</summary>
    public int Width { get; }

    /// <summary>Attention heads (ViT: width / 64; ResNet attention pool: width · 32 / 64).</summary>
    public int Heads { get; }

    protected VisionConfig(int imageSize, int width, int heads)
    {
        Check.Positive(imageSize, nameof(imageSize));
        Check.Positive(width, nameof(width));
        Check.Positive(heads, nameof(heads));
        ImageSize = imageSize;
        Width = width;
        Heads = heads;
    }
}

/// <summary>Vision Transformer: R/P × R/P patches of P×P pixels, <see cref="Layers"/> residual attention blocks.</summary>
public sealed record VitConfig : VisionConfig
{
    public int PatchSize { get; }
    public int Layers { get; }
    public int MlpWidth { get; }

    public VitConfig(int imageSize, int patchSize, int width, int layers, int heads, int? mlpWidth = null)
        : base(imageSize, width, heads)
    {
        Check.Positive(patchSize, nameof(patchSize));
        Check.Positive(layers, nameof(layers));
        if (imageSize % patchSize != 0) throw new ArgumentException($"image size {imageSize} is not a multiple of patch size {patchSize}");
        if (width % heads != 0) throw new ArgumentException($"vision width {width} is not divisible by {heads} heads");
        PatchSize = patchSize;
        Layers = layers;
        MlpWidth = mlpWidth ?? width * 4;
    }

    /// <summary>Patches per side.</summary>
    public int Grid => ImageSize / PatchSize;

    /// <summary>Tokens: one class token plus Grid² patches.</summary>
    public int Tokens => Grid * Grid + 1;
}

/// <summary>OpenAI's ModifiedResNet: three-conv stem, four bottleneck stages, attention pooling.</summary>
public sealed record ResNetConfig : VisionConfig
{
    /// <summary>Bottleneck blocks per stage (4 stages).</summary>
    public IReadOnlyList<int> Layers { get; }

    public ResNetConfig(int imageSize, IReadOnlyList<int> layers, int width, int? heads = null)
        : base(imageSize, width, heads ?? width * 32 / 64)
    {
        if (layers.Count != 4) throw new ArgumentException($"ModifiedResNet needs 4 stage depths, got {layers.Count}");
        foreach (var l in layers) Check.Positive(l, nameof(layers));
        if (imageSize % 32 != 0) throw new ArgumentException($"ModifiedResNet image size {imageSize} is not a multiple of 32");
        Layers = layers.ToArray();
    }

    /// <summary>Channels entering the attention pool.</summary>
    public int PoolWidth => Width * 32;

    /// <summary>Spatial size entering the attention pool.</summary>
    public int PoolGrid => ImageSize / 32;

    public bool Equals(ResNetConfig? other) =>
        other is not null && base.Equals(other) && Layers.SequenceEqual(other.Layers);

    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), Layers.Count, Layers[0], Layers[^1]);
}

/// <summary>Causal text transformer over BPE tokens.</summary>
public sealed record TextConfig
{
    public int ContextLength { get; }
    public int VocabSize { get; }
    public int Width { get; }
    public int Heads { get; }
    public int Layers { get; }
    public int MlpWidth { get; }

    public TextConfig(int contextLength, int vocabSize, int width, int heads, int layers, int? mlpWidth = null)
    {
        Check.Positive(contextLength, nameof(contextLength));
        Check.Positive(vocabSize, nameof(vocabSize));
        Check.Positive(width, nameof(width));
        Check.Positive(heads, nameof(heads));
        Check.Positive(layers, nameof(layers));
        if (width % heads != 0) throw new ArgumentException($"text width {width} is not divisible by {heads} heads");
        ContextLength = contextLength;
        VocabSize = vocabSize;
        Width = width;
        Heads = heads;
        Layers = layers;
        MlpWidth = mlpWidth ?? width * 4;
    }
}

/// <summary>A whole CLIP model: both towers project into a shared <see cref="EmbedDim"/>-wide space.</summary>
public sealed record ClipConfig
{
    public int EmbedDim { get; }
    public VisionConfig Vision { get; }
    public TextConfig Text { get; }
    public Activation Activation { get; }

    public ClipConfig(int embedDim, VisionConfig vision, TextConfig text, Activation activation = Activation.QuickGelu)
    {
        Check.Positive(embedDim, nameof(embedDim));
        EmbedDim = embedDim;
        Vision = vision ?? throw new ArgumentNullException(nameof(vision));
        Text = text ?? throw new ArgumentNullException(nameof(text));
        Activation = activation;
    }

    /// <summary>"ViT 224px/32, width 768, 12 layers, 12 heads | text width 512, 12 layers, 8 heads | embed 512, QuickGelu".</summary>
    public string Describe()
    {
        string vision = Vision switch
        {
            VitConfig v => $"ViT {v.ImageSize}px patch {v.PatchSize}, width {v.Width}, {v.Layers} layers, {v.Heads} heads",
            ResNetConfig r => $"ModifiedResNet {r.ImageSize}px, layers ({string.Join(",", r.Layers)}), width {r.Width}, {r.Heads} pool heads",
            _ => Vision.ToString()!,
        };
        return $"{vision} | text width {Text.Width}, {Text.Layers} layers, {Text.Heads} heads, context {Text.ContextLength} | embed {EmbedDim}, {Activation}";
    }
}

internal static class Check
{
    public static void Positive(int value, string name)
    {
        if (value <= 0) throw new ArgumentException($"{name} must be positive, got {value}");
    }
}
