using System.Text.Json;
using ClipSharp.Imaging;
using ClipSharp.Imaging.Preprocessing;
using ClipSharp.Tensors;

namespace ClipSharp;

/// <summary>An image that could not be used, and why.</summary>
public sealed record ImageFailure(string Path, string Reason);

/// <summary>Features of the images that could be read, in input order, and the ones that could not.</summary>
public sealed record ImageBatchResult(Tensor? Features, IReadOnlyList<string> Paths, IReadOnlyList<ImageFailure> Failures);

public sealed partial class ClipPipeline
{
    /// <summary>How images are prepared for this model (size, crop, mean/std, interpolation).</summary>
    public PreprocessConfig ImageConfig { get; init; }

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
    /// and skipped; the rest are encoded, in input order.
    /// </summary>
    public ImageBatchResult EncodeImageFiles(IReadOnlyList<string> paths, bool applyExifOrientation = true, int batchSize = 32,
        IProgress<int>? progress = null)
    {
        var pre = new Preprocessor(ImageConfig);
        int r = pre.OutputSize, len = pre.OutputLength;
        var okPaths = new List<string>();
        var failures = new List<ImageFailure>();
        var chunks = new List<Tensor>();
        int done = 0;
        for (int start = 0; start < paths.Count; start += batchSize)
        {
            int count = Math.Min(batchSize, paths.Count - start);
            var pixels = new float[count * len];
            var errors = new string?[count];
            Context.For(count, i =>
            {
                try
                {
                    Prepare(File.ReadAllBytes(paths[start + i]), paths[start + i], applyExifOrientation, pre, pixels.AsSpan(i * len, len));
                }
                catch (Exception e) when (e is InvalidDataException or NotSupportedException or IOException or UnauthorizedAccessException)
                {
                    errors[i] = e.Message;
                }
            });
            var good = Enumerable.Range(0, count).Where(i => errors[i] is null).ToArray();
            foreach (var i in Enumerable.Range(0, count).Where(i => errors[i] is not null))
                failures.Add(new ImageFailure(paths[start + i], errors[i]!));
            if (good.Length > 0)
            {
                var batch = new Tensor(good.Length, 3, r, r);
                for (int j = 0; j < good.Length; j++) pixels.AsSpan(good[j] * len, len).CopyTo(batch.Span.Slice(j * len, len));
                chunks.Add(Encoder.EncodeImage(Context, batch));
                okPaths.AddRange(good.Select(i => paths[start + i]));
            }
            done += count;
            progress?.Report(done);
        }
        if (okPaths.Count == 0) return new ImageBatchResult(null, okPaths, failures);
        int e = chunks[0].Shape[1];
        var features = new Tensor(okPaths.Count, e);
        int at = 0;
        foreach (var c in chunks) { c.Span.CopyTo(features.Span.Slice(at)); at += c.Length; }
        return new ImageBatchResult(features, okPaths, failures);
    }
}
