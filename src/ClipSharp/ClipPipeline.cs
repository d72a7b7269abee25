using ClipSharp.Models;
using ClipSharp.Models.Siglip;
using ClipSharp.Pretrained;
using ClipSharp.Tensors;
using ClipSharp.Text;

namespace ClipSharp;

/// <summary>
/// A model with its tokenizer and image preprocessing: the unit every command works with. Immutable: its
/// precision, preprocessing and prepared (packed or int8) weights are its own inference session, so other
/// pipelines on the same <see cref="ClipModel"/> are unaffected. Encodes raw texts and image files in batches.
/// </summary>
public sealed partial class ClipPipeline
{
    /// <summary>The model behind this pipeline, whatever its family (CLIP, SigLIP): what encoding and scoring use.</summary>
    public IImageTextEncoder Encoder { get; }

    /// <summary>The checkpoint's own tokenizer (CLIP BPE, SigLIP SentencePiece).</summary>
    public ITextTokenizer TextTokenizer { get; }

    /// <summary>How this model's logits become probabilities (CLIP softmax over labels, SigLIP per-pair sigmoid).</summary>
    public ScoreKind Scoring => Encoder.Scoring;

    /// <summary>The CLIP model, for the CLIP-only parts (training, conversion); a SigLIP pipeline says which command lacks support.</summary>
    public ClipModel Model => Encoder as ClipModel
        ?? throw new NotSupportedException($"{ModelPath}: a {Encoder.Family} model; this operation supports CLIP models only so far");

    /// <summary>The CLIP tokenizer, for the CLIP-only parts; see <see cref="TextTokenizer"/>.</summary>
    public ClipTokenizer Tokenizer => TextTokenizer as ClipTokenizer
        ?? throw new NotSupportedException($"{ModelPath}: a {Encoder.Family} model has no CLIP tokenizer; this operation supports CLIP models only so far");

    /// <summary>The context every forward of this pipeline runs on: the caller's threads and ISA, with this pipeline's own prepared weights.</summary>
    public ComputeContext Context { get; }

    /// <summary>Where the model was loaded from (for messages and for reloading; not an identity, see <see cref="ModelId"/>).</summary>
    public string ModelPath { get; }

    /// <summary>
    /// The weights' stable identity ("sha256:..." of the weights file, see <see cref="ModelIdentity"/>): a moved file or
    /// a new snapshot of the same weights keeps it. Keys indexes and caches together with <see cref="Precision"/>.
    /// </summary>
    public string ModelId { get; init; }

    /// <summary>Arithmetic of the linear layers (int8 trades ~1% of embedding agreement for speed); this pipeline's own.</summary>
    public Precision Precision { get; }

    /// <summary><see cref="ModelId"/> with the precision when it changes the outputs ("sha256:...|int8"): the key for cached outputs.</summary>
    public string OutputId => Precision == Precision.Int8 ? ModelId + "|int8" : ModelId;

    public ClipPipeline(ClipModel model, ClipTokenizer tokenizer, ComputeContext context, string modelPath, Precision precision = Precision.Float32)
        : this((IImageTextEncoder)model, tokenizer, context, modelPath, precision) { }

    /// <summary>A pipeline on any family's model with its tokenizer (see <see cref="FromPretrained"/> for loading both from a checkpoint).</summary>
    public ClipPipeline(IImageTextEncoder model, ITextTokenizer tokenizer, ComputeContext context, string modelPath, Precision precision = Precision.Float32)
    {
        Encoder = model;
        TextTokenizer = tokenizer;
        ModelPath = modelPath;
        Precision = precision;
        ModelId = File.Exists(modelPath) || Directory.Exists(modelPath) ? ModelIdentity.For(modelPath) : "path:" + modelPath;
        ImageConfig = model.ImageSize > 0 ? Imaging.Preprocessing.PreprocessConfig.Clip(model.ImageSize) : null;   // 0: NaFlex, sized per image
        Context = context.WithWeights(model.PrepareForInference(precision, context));
    }

    /// <summary>A copy sharing <paramref name="other"/>'s session (prepared weights are not rebuilt).</summary>
    private ClipPipeline(ClipPipeline other)
    {
        (Encoder, TextTokenizer, Context, ModelPath, ModelId, Precision) = (other.Encoder, other.TextTokenizer, other.Context, other.ModelPath, other.ModelId, other.Precision);
        (ImageConfig, NaFlexImages, DraftDecoding) = (other.ImageConfig, other.NaFlexImages, other.DraftDecoding);
    }

    /// <summary>
    /// The one way in: a model name from <see cref="Hub.KnownModels"/> ("ViT-B-32", "ViT-B-32/laion2b_s34b_b79k"),
    /// an "hf:org/name[@revision]" id (through the Hugging Face cache, downloading what is missing), a Hugging Face
    /// or OpenCLIP snapshot folder, or a single checkpoint file. The checkpoint's own preprocessing and tokenizer
    /// files are read here (<see cref="DefaultImageConfig"/>, <see cref="ClipTokenizer.ForModelDirectory"/>).
    /// </summary>
    public static ClipPipeline FromPretrained(string nameOrPathOrHfId, PipelineOptions? options = null) =>
        FromPretrainedAsync(nameOrPathOrHfId, options).GetAwaiter().GetResult();

    /// <inheritdoc cref="FromPretrained(string, PipelineOptions?)"/>
    public static async Task<ClipPipeline> FromPretrainedAsync(string nameOrPathOrHfId, PipelineOptions? options = null, CancellationToken ct = default)
    {
        options ??= new PipelineOptions();
        var path = await ModelResolver.ResolveAsync(nameOrPathOrHfId, options.Hub, options.Progress, ct).ConfigureAwait(false);
        var pipeline = Directory.Exists(path) && SiglipConfig.IsSiglipConfig(Path.Combine(path, "config.json"))
            ? FromSiglipDirectory(path, options.Context ?? ComputeContext.Default, options.Precision)
            : FromPath(path, ModelLoader.Load(path), options.Context ?? ComputeContext.Default, options.Precision);
        return options.DraftDecoding ? pipeline.WithDraftDecoding() : pipeline;
    }

    /// <summary>Loads the model at <paramref name="modelPath"/> (any checkpoint format, or a name / hf: id) with its tokenizer.</summary>
    public static ClipPipeline Load(string modelPath, ComputeContext context, Precision precision = Precision.Float32) =>
        FromPretrained(modelPath, new PipelineOptions { Context = context, Precision = precision });

    /// <summary>
    /// A further pipeline on an already loaded <paramref name="model"/> (say an int8 one beside an fp32 one), with the
    /// checkpoint files at <paramref name="modelPath"/> giving its tokenizer, preprocessing and identity.
    /// </summary>
    public static ClipPipeline FromPath(string modelPath, ClipModel model, ComputeContext context, Precision precision = Precision.Float32)
    {
        var dir = Directory.Exists(modelPath) ? modelPath : Path.GetDirectoryName(Path.GetFullPath(modelPath));
        return new(model, ClipTokenizer.ForModelDirectory(dir), context, modelPath, precision)
        {
            ImageConfig = DefaultImageConfig(modelPath, model.Config.Vision.ImageSize),
        };
    }

    /// <summary>A SigLIP / SigLIP 2 FixRes directory: config.json, model.safetensors, spiece.model or tokenizer.model, preprocessor_config.json.</summary>
    private static ClipPipeline FromSiglipDirectory(string dir, ComputeContext context, Precision precision)
    {
        var model = SiglipModel.Load(dir);
        var tokenizer = Text.SentencePiece.SiglipTokenizer.FromDirectory(dir);
        if (model.Config.Vision.NaFlex)
        {
            var config = Path.Combine(dir, "preprocessor_config.json");
            if (!File.Exists(config)) throw new FileNotFoundException($"{dir}: a SigLIP 2 NaFlex model needs its preprocessor_config.json (patch_size, max_num_patches)", config);
            var naflex = Imaging.Preprocessing.NaFlexPreprocessor.FromHuggingFace(config);
            if (naflex.PatchSize != model.Config.Vision.PatchSize)
                throw new InvalidDataException($"{config}: patch_size {naflex.PatchSize}, but the model's is {model.Config.Vision.PatchSize}");
            return new(model, tokenizer, context, dir, precision)
            {
                ImageConfig = null,
                NaFlexImages = naflex,
            };
        }
        return new(model, tokenizer, context, dir, precision)
        {
            ImageConfig = DefaultImageConfig(dir, model.Config.Vision.ImageSize),
        };
    }

    /// <summary>The same weights at another precision: a new session on the same loaded model.</summary>
    public ClipPipeline WithPrecision(Precision precision, ComputeContext? context = null) =>
        new(Encoder, TextTokenizer, context ?? Context, ModelPath, precision) { ModelId = ModelId, ImageConfig = ImageConfig, NaFlexImages = NaFlexImages, DraftDecoding = DraftDecoding };

    /// <summary>
    /// Similarity logits (N, M), the model's own scoring: CLIP exp(logit_scale) · cos(image_i, text_j) (softmax over
    /// texts gives zero-shot probabilities), SigLIP exp(logit_scale) · cos + logit_bias (a sigmoid per pair).
    /// Features need not be normalised.
    /// </summary>
    public Tensor Score(Tensor imageFeatures, Tensor textFeatures) => Encoder.Logits(Context, imageFeatures, textFeatures);

    /// <summary><see cref="Score"/> logits → probabilities as the model family defines them (see <see cref="Scoring"/>).</summary>
    public Tensor Probabilities(Tensor logits) => Encoder.Probabilities(logits);

    /// <summary>(N, M) cosine similarities of two sets of features (no logit scale), e.g. for thresholds.</summary>
    public Tensor Cosine(Tensor a, Tensor b) => ClipModel.CosineSimilarities(Context, a, b);

    /// <summary>Each row divided by its L2 norm (rows of zeros stay zero): the one normalisation helper.</summary>
    public static Tensor Normalize(Tensor features) => ClipModel.Normalized(features);

    /// <summary>One vector divided by its L2 norm (a zero vector stays zero), as a new array.</summary>
    public static float[] Normalize(ReadOnlySpan<float> vector)
    {
        var result = new float[vector.Length];
        ClipModel.NormalizeRow(vector, result);
        return result;
    }

    /// <summary>Text features (M, E), unnormalised; over-long texts are truncated when <paramref name="truncate"/>.</summary>
    public Tensor EncodeTexts(IReadOnlyList<string> texts, bool truncate = true, int batchSize = 256)
    {
        int l = Encoder.ContextLength;
        var ids = new int[texts.Count * l];
        if (TextTokenizer is ClipTokenizer clip)
        {
            var rows = clip.Encode(texts, l, truncate);
            Buffer.BlockCopy(rows, 0, ids, 0, ids.Length * sizeof(int));
        }
        else
            for (int i = 0; i < texts.Count; i++) TextTokenizer.EncodeRow(texts[i], ids.AsSpan(i * l, l), truncate, i);
        return Batched(texts.Count, batchSize, (start, count) => Encoder.EncodeText(Context, ids.AsSpan(start * l, count * l), count));
    }

    /// <summary>Runs <paramref name="encode"/> over [0, n) in chunks and stacks the (count, E) results.</summary>
    public static Tensor Batched(int n, int batchSize, Func<int, int, Tensor> encode)
    {
        if (n == 0) throw new ArgumentException("nothing to encode");
        Tensor? result = null;
        for (int start = 0; start < n; start += batchSize)
        {
            int count = Math.Min(batchSize, n - start);
            var part = encode(start, count);
            result ??= new Tensor(n, part.Shape[1]);
            part.Span.CopyTo(result.Span.Slice(start * part.Shape[1]));
        }
        return result!;
    }
}
