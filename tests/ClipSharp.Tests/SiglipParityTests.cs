using ClipSharp.Imaging;
using ClipSharp.Imaging.Preprocessing;
using ClipSharp.Imaging.Resampling;
using ClipSharp.Models.Siglip;
using ClipSharp.Tensors;
using ClipSharp.Testing;

namespace ClipSharp.Tests;

/// <summary>
/// SigLIP (FixRes) and SigLIP 2 NaFlex against tests/reference/siglip_ref.py, a PyTorch forward that
/// follows transformers' modeling_siglip.py / modeling_siglip2.py, on random weights in the HF layout.
/// Embeddings within 1e-4 relative (per row), sigmoid probabilities within 1e-5 absolute.
/// </summary>
public class SiglipParityTests
{
    private static readonly string[] Images = ["square", "wide", "tall", "rocket"];

    internal static string Dir(string name)
    {
        var dir = Path.Combine(Fixtures.RepoRoot, "tests", "ClipSharp.Tests", "data", "siglip", name);
        if (!Directory.Exists(dir))
            throw new DirectoryNotFoundException($"SigLIP fixture missing: {dir} (regenerate with /usr/bin/python3 tests/reference/siglip_ref.py)");
        return dir;
    }

    private static ImageFrame Photo(string name) => ImageDecoder.Decode(Path.Combine(Dir("images"), name + ".png"));

    private static void AssertClose(Tensor expected, Tensor actual, double tolerance)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected.Span[i] - actual.Span[i]) <= tolerance,
                $"element {i}: expected {expected.Span[i]}, got {actual.Span[i]} (tolerance {tolerance:E0})");
    }

    [Fact]
    public void FixResEmbeddingsLogitsAndProbabilitiesMatchReference()
    {
        var dir = Dir("siglip-fixres");
        var model = SiglipModel.Load(dir);
        Assert.False(model.Config.Vision.NaFlex);
        var expected = Path.Combine(dir, "expected.safetensors");
        var pixels = TestSafetensors.Tensor(expected, "pixel_values");
        var ids = TestSafetensors.Ints(expected, "input_ids");
        var ctx = new ComputeContext(2);
        var image = model.EncodeImage(ctx, pixels);
        var text = model.EncodeText(ctx, ids, ids.Length / model.Config.Text.ContextLength);
        ModelParityTests.AssertRowsClose(TestSafetensors.Tensor(expected, "image_embeds"), image, 1e-4);
        ModelParityTests.AssertRowsClose(TestSafetensors.Tensor(expected, "text_embeds"), text, 1e-4);
        var logits = model.Logits(ctx, image, text);
        AssertClose(TestSafetensors.Tensor(expected, "logits_per_image"), logits, 1e-4);
        AssertClose(TestSafetensors.Tensor(expected, "probs"), SiglipModel.Probabilities(logits), 1e-5);
    }

    [Fact]
    public void FixResPreprocessingFromPreprocessorConfigMatchesReferencePixels()
    {
        var dir = Dir("siglip-fixres");
        var pre = new Preprocessor(PreprocessConfig.FromHuggingFace(Path.Combine(dir, "preprocessor_config.json")));
        var expected = TestSafetensors.Tensor(Path.Combine(dir, "expected.safetensors"), "pixel_values");
        int len = pre.OutputLength;
        for (int i = 0; i < Images.Length; i++)
        {
            var actual = pre.Preprocess(Photo(Images[i]));
            for (int j = 0; j < len; j++)
                Assert.True(Math.Abs(actual[j] - expected.Span[i * len + j]) <= 1e-6f, $"{Images[i]} value {j}: {actual[j]} vs {expected.Span[i * len + j]}");
        }
    }

    public static TheoryData<int> Budgets => new() { 16, 40 };

    [Theory]
    [MemberData(nameof(Budgets))]
    public void NaFlexEmbeddingsAndProbabilitiesMatchReference(int budget)
    {
        var dir = Dir("siglip2-naflex");
        var model = SiglipModel.Load(dir);
        Assert.True(model.Config.Vision.NaFlex);
        var expected = Path.Combine(dir, "expected.safetensors");
        var padded = TestSafetensors.Tensor(expected, $"pixel_values_{budget}");        // (N, budget, K)
        var shapes = TestSafetensors.Ints(expected, $"spatial_shapes_{budget}");
        var mask = TestSafetensors.Ints(expected, $"pixel_attention_mask_{budget}");
        int k = model.Config.Vision.PatchLength;
        var images = new List<NaFlexPatches>();
        for (int i = 0; i < Images.Length; i++)
        {
            int h = shapes[2 * i], w = shapes[2 * i + 1];
            Assert.Equal(h * w, mask.Skip(i * budget).Take(budget).Sum());
            var patches = new Tensor(h * w, k);
            padded.Span.Slice(i * budget * k, h * w * k).CopyTo(patches.Span);
            images.Add(new NaFlexPatches(patches, h, w));
        }
        // The fixture covers square, wide and tall grids.
        Assert.Contains(images, im => im.Height == im.Width);
        Assert.Contains(images, im => im.Height < im.Width);
        Assert.Contains(images, im => im.Height > im.Width);
        var ids = TestSafetensors.Ints(expected, "input_ids");
        var ctx = new ComputeContext(2);
        var image = model.EncodeImagePatches(ctx, images);
        var text = model.EncodeText(ctx, ids, ids.Length / model.Config.Text.ContextLength);
        ModelParityTests.AssertRowsClose(TestSafetensors.Tensor(expected, $"image_embeds_{budget}"), image, 1e-4);
        ModelParityTests.AssertRowsClose(TestSafetensors.Tensor(expected, "text_embeds"), text, 1e-4);
        var logits = model.Logits(ctx, image, text);
        AssertClose(TestSafetensors.Tensor(expected, $"probs_{budget}"), SiglipModel.Probabilities(logits), 1e-5);
    }

    /// <summary>The front door on a NaFlex checkpoint: files in, the reference's embeddings out (its preprocessor_config.json's budget, 16), plain call and stream alike.</summary>
    [Fact]
    public async Task NaFlexPipelineEncodesImageFilesAsTheReference()
    {
        var dir = Dir("siglip2-naflex");
        var pipeline = ClipPipeline.FromPretrained(dir, new ClipSharp.Pretrained.PipelineOptions { Context = new ComputeContext(2) });
        Assert.NotNull(pipeline.NaFlexImages);
        Assert.Equal(16, pipeline.NaFlexImages!.MaxNumPatches);
        var files = Images.Select(n => Path.Combine(Dir("images"), n + ".png")).ToArray();
        var expected = TestSafetensors.Tensor(Path.Combine(dir, "expected.safetensors"), "image_embeds_16");
        var result = pipeline.EncodeImageFiles([.. files, Path.Combine(dir, "config.json")], batchSize: 3);
        Assert.Equal(files, result.Paths);
        Assert.Single(result.Failures);   // a file that is not an image is skipped, as for CLIP
        ModelParityTests.AssertRowsClose(expected, result.Features!, 1e-4);
        var streamed = new List<float[]>();
        await foreach (var item in pipeline.EmbedImagesAsync(files.ToAsyncEnumerable(), batchSize: 2)) streamed.Add(item.Embedding!);
        for (int i = 0; i < files.Length; i++) Assert.Equal(result.Features!.Span.Slice(i * 64, 64).ToArray(), streamed[i]);
    }

    [Theory]
    [MemberData(nameof(Budgets))]
    public void NaFlexPreprocessingMatchesReferencePatches(int budget)
    {
        var dir = Dir("siglip2-naflex");
        var expected = Path.Combine(dir, "expected.safetensors");
        var padded = TestSafetensors.Tensor(expected, $"pixel_values_{budget}");
        var shapes = TestSafetensors.Ints(expected, $"spatial_shapes_{budget}");
        var pre = new NaFlexPreprocessor(8, budget, [0.5f, 0.5f, 0.5f], [0.5f, 0.5f, 0.5f], ResampleFilter.Bilinear);
        int k = 3 * 8 * 8;
        for (int i = 0; i < Images.Length; i++)
        {
            var (patches, gh, gw) = pre.Preprocess(Photo(Images[i]));
            Assert.Equal((shapes[2 * i], shapes[2 * i + 1]), (gh, gw));
            for (int j = 0; j < patches.Length; j++)
                Assert.True(Math.Abs(patches[j] - padded.Span[i * budget * k + j]) <= 1e-6f, $"{Images[i]} value {j}: {patches[j]} vs {padded.Span[i * budget * k + j]}");
        }
    }

    [Theory]
    [InlineData(4, 3)]
    [InlineData(4, 10)]
    [InlineData(16, 5)]
    public void PositionGridWeightsAreNormalisedAndIdentityAtSameSize(int inSize, int outSize)
    {
        var (_, count, weights) = PositionGrid.Weights(inSize, outSize);
        int kernel = weights.Length / outSize;
        for (int i = 0; i < outSize; i++)
            Assert.Equal(1.0, weights.Skip(i * kernel).Take(count[i]).Sum(w => (double)w), 5);
        var table = Enumerable.Range(0, inSize * inSize * 2).Select(i => (float)Math.Sin(i)).ToArray();
        var same = new float[table.Length];
        PositionGrid.Resize(same, table, inSize, inSize, inSize, 2);
        Assert.Equal(table, same);
    }
}

public class GeluTanhOperatorTests
{
    [Fact]
    public void EveryIsaPathMatchesTheTanhFormulaInDouble()
    {
        var x = Enumerable.Range(-2000, 4001).Select(i => i * 0.005f).Append(-90f).Append(90f).ToArray();
        foreach (var isa in new[] { IsaLevel.Scalar, IsaLevel.Vector128, IsaLevel.Avx2, IsaLevel.Avx512 })
        {
            if (isa > ComputeContext.DetectIsa()) continue;
            var y = new float[x.Length];
            ClipSharp.Tensors.Kernels.Elementwise.Apply<ClipSharp.Tensors.Kernels.GeluTanhOperator>(x, y, isa);
            for (int i = 0; i < x.Length; i++)
            {
                double v = x[i], u = Math.Sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v);
                double expected = 0.5 * v * (1 + Math.Tanh(u));
                Assert.True(Math.Abs(y[i] - expected) <= 2e-6 * Math.Max(1, Math.Abs(expected)), $"{isa} x={x[i]}: {y[i]} vs {expected}");
            }
        }
    }
}

public class SiglipInferenceWeightsTests
{
    [Fact]
    public void PackedWeightsGiveTheSameEmbeddingsAsUnpacked()
    {
        var dir = SiglipParityTests.Dir("siglip-fixres");
        var model = SiglipModel.Load(dir);
        var expected = Path.Combine(dir, "expected.safetensors");
        var pixels = TestSafetensors.Tensor(expected, "pixel_values");
        var ctx = new ComputeContext(2);
        var packed = ctx.WithWeights(model.PrepareForInference(ClipSharp.Models.Precision.Float32, ctx));
        ModelParityTests.AssertRowsClose(TestSafetensors.Tensor(expected, "image_embeds"), model.EncodeImage(packed, pixels), 1e-4);
    }
}
