using System.Text.Json;
using ClipSharp.Imaging;
using ClipSharp.Imaging.Preprocessing;
using ClipSharp.Models.Siglip;
using ClipSharp.Tensors;

namespace ClipSharp;

/// <summary>An image that could not be used, and why.</summary>
public sealed record ImageFailure(string Path, string Reason);

/// <summary>Features of the images that could be read, in input order, and the ones that could not.</summary>
public sealed record ImageBatchResult(Tensor? Features, IReadOnlyList<string> Paths, IReadOnlyList<ImageFailure> Failures);

/// <summary>
/// One image prepared for the image tower: (3, R, R) CHW floats for a fixed-resolution model, or, for a SigLIP 2
/// NaFlex model, (h·w, 3P²) patches on a <see cref="GridHeight"/> × <see cref="GridWidth"/> grid (0 × 0 otherwise);
/// <see cref="Width"/> × <see cref="Height"/> is the decoded image's size (after any EXIF rotation).
/// </summary>
public sealed record ImagePixels(float[] Data, int Width, int Height, int GridHeight = 0, int GridWidth = 0);

public sealed partial class ClipPipeline
{
    /// <summary>How images are prepared for this model (size, crop, mean/std, interpolation); null for a NaFlex model (see <see cref="NaFlexImages"/>).</summary>
    public PreprocessConfig? ImageConfig { get; init; }

    /// <summary>
    /// For a SigLIP 2 NaFlex model: images are resized at their own aspect ratio to the patch budget and cut into
    /// patches (from the checkpoint's preprocessor_config.json); null for fixed-resolution models.
    /// </summary>
    public NaFlexPreprocessor? NaFlexImages { get; init; }

    private Preprocessor? _preprocessor;

    /// <summary>The fixed-resolution preprocessor of <see cref="ImageConfig"/> (immutable and thread-safe, built once).</summary>
    private Preprocessor FixResPreprocessor => _preprocessor ??= new Preprocessor(
        ImageConfig ?? throw new InvalidOperationException("this pipeline has no fixed-resolution preprocessing (a NaFlex model)"));

    /// <summary>
    /// Decode large JPEGs at 1/2, 1/4 or 1/8 size in the DCT domain when the model needs far fewer
    /// pixels (Pillow's draft mode). Faster, but not pixel-identical to the reference: off by default.
    /// </summary>
    public bool DraftDecoding { get; init; }

    /// <summary>The same pipeline with <see cref="DraftDecoding"/> on.</summary>
    public ClipPipeline WithDraftDecoding() => new(this) { DraftDecoding = true };

    /// <summary>
    /// Decodes and preprocesses one image file's bytes into (3, R, R) CHW floats; returns the decoded
    /// image's size (after any EXIF rotation). <paramref name="limits"/> bounds the decode (default
    /// <see cref="ImageDecodeLimits.Default"/>; a server passes <see cref="ImageDecodeLimits.Upload"/>).
    /// </summary>
    public (int Width, int Height) Prepare(ReadOnlySpan<byte> data, string name, bool applyExifOrientation, Preprocessor preprocessor, Span<float> destination,
        ImageDecodeLimits? limits = null)
    {
        int r = preprocessor.OutputSize;
        var frame = DraftDecoding ? ImageDecoder.DecodeDraft(data, name, r, r, limits) : ImageDecoder.Decode(data, name, limits);
        if (applyExifOrientation) frame = Orientation.ApplyOrientation(frame);
        preprocessor.Preprocess(frame, destination);
        return (frame.Width, frame.Height);
    }

    /// <summary>
    /// Decodes one image file's bytes (within <paramref name="limits"/>, default <see cref="ImageDecodeLimits.Default"/>),
    /// applies its EXIF orientation when asked, and prepares it the model's way: <see cref="ImageConfig"/>'s fixed
    /// resolution, or <see cref="NaFlexImages"/>' patches. Needs no model, so it may run beside a forward pass.
    /// </summary>
    public ImagePixels PrepareImage(ReadOnlySpan<byte> data, string name, bool applyExifOrientation = true, ImageDecodeLimits? limits = null)
    {
        if (NaFlexImages is { } naflex)
        {
            var frame = ImageDecoder.Decode(data, name, limits);
            if (applyExifOrientation) frame = Orientation.ApplyOrientation(frame);
            var (patches, gh, gw) = naflex.Preprocess(frame);
            return new ImagePixels(patches, frame.Width, frame.Height, gh, gw);
        }
        var pre = FixResPreprocessor;
        var pixels = new float[pre.OutputLength];
        var (w, h) = Prepare(data, name, applyExifOrientation, pre, pixels, limits);
        return new ImagePixels(pixels, w, h);
    }

    /// <summary>
    /// The preprocessing that goes with a checkpoint: a Hugging Face directory's
    /// preprocessor_config.json, an OpenCLIP open_clip_config.json's preprocess_cfg, else CLIP's
    /// own transform at the model's resolution.
    /// </summary>
    public static PreprocessConfig DefaultImageConfig(string modelPath, int resolution)
    {
        var dir = Directory.Exists(modelPath) ? modelPath : Path.GetDirectoryName(Path.GetFullPath(modelPath))!;
        var hf = Path.Combine(dir, "preprocessor_config.json");
        if (Directory.Exists(modelPath) && File.Exists(hf)) return PreprocessConfig.FromHuggingFace(hf);
        var openClip = Path.Combine(dir, "open_clip_config.json");
        if (File.Exists(openClip))
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(openClip));
            if (doc.RootElement.TryGetProperty("preprocess_cfg", out var p))
            {
                IReadOnlyList<double>? Read(string name) => p.TryGetProperty(name, out var a) ? a.EnumerateArray().Select(e => e.GetDouble()).ToArray() : null;
                string Str(string name, string fallback) => p.TryGetProperty(name, out var s) ? s.GetString() ?? fallback : fallback;
                return PreprocessConfig.FromOpenClip(resolution, Read("mean"), Read("std"), Str("interpolation", "bicubic"), Str("resize_mode", "shortest"));
            }
        }
        return PreprocessConfig.Clip(resolution);
    }

    /// <summary>
    /// Decodes, preprocesses and encodes image files in batches; decoding runs on all the context's
    /// threads. A corrupt or unsupported file is recorded in <see cref="ImageBatchResult.Failures"/>
    /// and skipped; the rest are encoded, in input order. The same stage as <see cref="EmbedImagesAsync"/>
    /// (same decode, orientation, preprocessing and batches), as a plain call.
    /// </summary>
    public ImageBatchResult EncodeImageFiles(IReadOnlyList<string> paths, bool applyExifOrientation = true, int batchSize = 32,
        IProgress<int>? progress = null)
    {
        var okPaths = new List<string>();
        var rows = new List<float[]>();
        var failures = new List<ImageFailure>();
        var pending = new PreparedFile[Math.Min(batchSize, paths.Count)];
        for (int start = 0; start < paths.Count; start += batchSize)
        {
            int count = Math.Min(batchSize, paths.Count - start);
            Context.For(count, i => pending[i] = PrepareFile(paths[start + i], applyExifOrientation));
            foreach (var item in EncodePrepared(pending.AsSpan(0, count).ToArray()))
                if (item.Embedding is { } v) { okPaths.Add(item.Path); rows.Add(v); }
                else failures.Add(new ImageFailure(item.Path, item.Error!));
            progress?.Report(start + count);
        }
        if (rows.Count == 0) return new ImageBatchResult(null, okPaths, failures);
        var features = new Tensor(rows.Count, rows[0].Length);
        for (int i = 0; i < rows.Count; i++) rows[i].CopyTo(features.Span.Slice(i * rows[i].Length));
        return new ImageBatchResult(features, okPaths, failures);
    }

    /// <summary>A file read and prepared for the image tower, or why it could not be.</summary>
    internal readonly record struct PreparedFile(string Path, ImagePixels? Pixels, string? Error);

    /// <summary>Reads and prepares one file; a file that is unreadable or not a supported image comes back with its reason.</summary>
    internal PreparedFile PrepareFile(string path, bool applyExifOrientation)
    {
        try { return new PreparedFile(path, PrepareImage(File.ReadAllBytes(path), path, applyExifOrientation), null); }
        catch (Exception e) when (IsUnusableImage(e)) { return new PreparedFile(path, null, e.Message); }
    }

    /// <summary>The failures that skip one image (never the job): unreadable file, corrupt or unsupported data.</summary>
    internal static bool IsUnusableImage(Exception e) => e is InvalidDataException or NotSupportedException or IOException or UnauthorizedAccessException;

    /// <summary>
    /// Encodes the prepared images of a batch in one forward pass of the image tower; returns one result per
    /// input, in order: the unnormalised embedding, or the input's error.
    /// </summary>
    internal ImageEmbedding[] EncodePrepared(IReadOnlyList<PreparedFile> batch)
    {
        var features = EncodePixels(batch.Where(p => p.Pixels is not null).Select(p => p.Pixels!).ToArray());
        int next = 0;
        return batch.Select(p => p.Pixels is null
            ? new ImageEmbedding(p.Path, null, p.Error)
            : new ImageEmbedding(p.Path, features[next++], null)).ToArray();
    }

    /// <summary>Unnormalised embeddings of prepared images (see <see cref="PrepareImage"/>), in one pass of the image tower.</summary>
    public float[][] EncodePixels(IReadOnlyList<ImagePixels> images)
    {
        if (images.Count == 0) return [];
        Tensor f;
        if (NaFlexImages is { } naflex)
        {
            if (Encoder is not SiglipModel siglip) throw new InvalidOperationException("NaFlex images need a SigLIP 2 NaFlex model");
            int k = 3 * naflex.PatchSize * naflex.PatchSize;
            f = siglip.EncodeImagePatches(Context, images.Select(i => i.GridHeight > 0
                ? new NaFlexPatches(new Tensor(i.Data, i.GridHeight * i.GridWidth, k), i.GridHeight, i.GridWidth)
                : throw new ArgumentException("a fixed-resolution image given to a NaFlex model")).ToArray());
        }
        else
        {
            var pre = FixResPreprocessor;
            int r = pre.OutputSize, len = pre.OutputLength;
            var batch = new Tensor(images.Count, 3, r, r);
            for (int i = 0; i < images.Count; i++)
            {
                if (images[i].Data.Length != len) throw new ArgumentException($"image {i} holds {images[i].Data.Length} values; this model takes 3×{r}×{r}");
                images[i].Data.CopyTo(batch.Span.Slice(i * len, len));
            }
            f = Encoder.EncodeImage(Context, batch);
        }
        int e = f.Shape[1];
        return Enumerable.Range(0, images.Count).Select(i => f.Span.Slice(i * e, e).ToArray()).ToArray();
    }
}
