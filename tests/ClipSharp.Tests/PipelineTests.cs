using ClipSharp.Tensors;
using ClipSharp.Testing;

namespace ClipSharp.Tests;

public class PipelineTests
{
    private static async IAsyncEnumerable<string> Async(IEnumerable<string> items)
    {
        foreach (var i in items) { await Task.Yield(); yield return i; }
    }

    [Fact]
    public async Task StreamingEmbedsInOrderSkipsCorruptFilesAndMatchesTheBatchPath()
    {
        var pipeline = ClipPipeline.Load(Fixtures.Path("vit-tiny", "openai", "model.safetensors"), new ComputeContext(2));
        var dir = Directory.CreateTempSubdirectory("stream-").FullName;
        try
        {
            var images = new[] { "astronaut.png", "rocket.bmp", "logo.png", "camera.png", "no_time_for_that_tiny.gif" }
                .Select(n => Fixtures.Path("vit-tiny", "images", n)).ToList();
            var corrupt = Path.Combine(dir, "corrupt.png");
            File.WriteAllBytes(corrupt, [0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3]);
            images.Insert(2, corrupt);
            var streamed = new List<ImageEmbedding>();
            await foreach (var item in pipeline.EmbedImagesAsync(Async(images), batchSize: 2, decodeThreads: 2, applyExifOrientation: false))
                streamed.Add(item);
            Assert.Equal(images, streamed.Select(s => s.Path));
            Assert.NotNull(streamed[2].Error);
            Assert.Null(streamed[2].Embedding);

            var batch = pipeline.EncodeImageFiles(images, batchSize: 3);
            Assert.Single(batch.Failures);
            int e = batch.Features!.Shape[1];
            var good = streamed.Where(s => s.Embedding is not null).ToArray();
            for (int i = 0; i < good.Length; i++)
                Assert.Equal(batch.Features.Span.Slice(i * e, e).ToArray(), good[i].Embedding);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Theory]
    [InlineData("vit")]
    [InlineData("resnet")]
    public void PackedInferenceWeightsGiveIdenticalFeaturesAndTrainingNeedsNoRelease(string kind)
    {
        var text = new Models.TextConfig(77, 49408, 32, 2, 2);
        var config = kind == "vit"
            ? new Models.ClipConfig(16, new Models.VitConfig(32, 16, 32, 2, 2), text)
            : new Models.ClipConfig(16, new Models.ResNetConfig(32, [1, 1, 1, 1], 8, 2), text);
        var model = Models.ClipModel.Random(config, seed: 3);
        var ctx = new ComputeContext(2);
        var pixels = new Tensor(3, 3, 32, 32);
        var rng = new Random(1);
        foreach (ref var v in pixels.Span) v = (float)rng.NextDouble() - 0.5f;
        var tokens = Text.ClipTokenizer.Default.Encode(["a photo of a cat", "two dogs"], 77).Cast<int>().ToArray();
        var image = model.EncodeImage(ctx, pixels).Span.ToArray();
        var texts = model.EncodeText(ctx, tokens, 2).Span.ToArray();

        var packed = ctx.WithWeights(model.PrepareForInference(Models.Precision.Float32, ctx));
        Assert.Equal(model.Visual.LinearLayers.Concat(model.Text.Transformer.LinearLayers).Distinct().Count(), packed.Weights!.Count);
        Assert.Equal(image, model.EncodeImage(packed, pixels).Span.ToArray());
        Assert.Equal(texts, model.EncodeText(packed, tokens, 2).Span.ToArray());

        // Training changes the live weights; nothing is released, and a context without the session sees the update.
        var trainer = new Training.ClipTrainer(model, new Training.TrainingOptions(), ctx);
        trainer.Step(pixels.Slice(0, 2).Clone(), tokens);
        Assert.NotEqual(texts, model.EncodeText(ctx, tokens, 2).Span.ToArray());

        // Images too (the ResNet's channels-last convolution weights are derived): a new session on the trained
        // model must give what a fresh model built from its updated parameters gives.
        var repacked = ctx.WithWeights(model.PrepareForInference(Models.Precision.Float32, ctx));
        var updated = new IO.StateDict();
        foreach (var (name, value) in model.Parameters) updated.Add(name, value.Clone(), "F32");
        var fresh = Models.ClipModel.FromStateDict(updated, config);
        Assert.Equal(fresh.EncodeImage(ctx, pixels).Span.ToArray(), model.EncodeImage(repacked, pixels).Span.ToArray());
        Assert.Equal(fresh.EncodeImage(ctx, pixels).Span.ToArray(), model.EncodeImage(ctx, pixels).Span.ToArray());
        Assert.NotEqual(image, model.EncodeImage(repacked, pixels).Span.ToArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Fp32AndInt8PipelinesOnOneModelGiveTheirOwnPrecisionsOutputs(bool int8First)
    {
        // Regression: precision used to be written into the shared layers, so building an int8 pipeline turned an
        // existing fp32 one on the same model into int8 while its Precision still said Float32.
        var path = Fixtures.Path("vit-tiny", "openai", "model.safetensors");
        var images = Directory.GetFiles(Fixtures.Path("vit-tiny", "images")).Order().ToArray();
        var ctx = new ComputeContext(2);
        var referenceFp32 = ClipPipeline.Load(path, ctx).EncodeImageFiles(images).Features!.Span.ToArray();
        var referenceInt8 = ClipPipeline.Load(path, ctx, Models.Precision.Int8).EncodeImageFiles(images).Features!.Span.ToArray();
        Assert.NotEqual(referenceFp32, referenceInt8);   // the two precisions are distinguishable on these images

        var model = ModelLoader.Load(path);
        ClipPipeline fp32, int8;
        if (int8First)
        {
            int8 = ClipPipeline.FromPath(path, model, ctx, Models.Precision.Int8);
            fp32 = ClipPipeline.FromPath(path, model, ctx, Models.Precision.Float32);
        }
        else
        {
            fp32 = ClipPipeline.FromPath(path, model, ctx, Models.Precision.Float32);
            int8 = fp32.WithPrecision(Models.Precision.Int8);
        }
        Assert.Equal(referenceFp32, fp32.EncodeImageFiles(images).Features!.Span.ToArray());
        Assert.Equal(referenceInt8, int8.EncodeImageFiles(images).Features!.Span.ToArray());
        Assert.Equal(referenceFp32, fp32.EncodeImageFiles(images).Features!.Span.ToArray());   // interleaved, still its own
        Assert.Equal(fp32.ModelId, int8.ModelId);
        Assert.NotEqual(fp32.OutputId, int8.OutputId);   // the classifier cache key tells them apart
    }

    [Theory]
    [InlineData(null)]
    [InlineData(Models.Precision.Float32)]
    [InlineData(Models.Precision.Int8)]
    public void ClassTokenOnlyLastBlockGivesTheFullComputationsFeatures(Models.Precision? precision)
    {
        // An observed run computes every token of the last block; an unobserved one only the class token.
        var model = ModelLoader.Load(Fixtures.Path("vit-tiny", "openai", "model.safetensors"));
        var plain = new ComputeContext(2);
        if (precision is { } p) plain = plain.WithWeights(model.PrepareForInference(p, plain));
        var lastBlock = $"visual.transformer.resblock_{((Models.VitConfig)model.Config.Vision).Layers - 1}";
        Tensor? lastTokens = null;
        var observed = new ComputeContext(2) { Weights = plain.Weights, Tap = (name, t) => { if (name == lastBlock) lastTokens = t.Clone(); } };
        var pixels = new Tensor(3, 3, model.Config.Vision.ImageSize, model.Config.Vision.ImageSize);
        var rng = new Random(5);
        foreach (ref var v in pixels.Span) v = (float)rng.NextDouble() * 2 - 1;
        var full = model.EncodeImage(observed, pixels).Span.ToArray();
        Assert.NotNull(lastTokens);   // the observed run did take the all-token path
        Assert.Equal(full, model.EncodeImage(plain, pixels).Span.ToArray());
    }

    [Fact]
    public void PooledBlockBuffersGiveTheSameResultsWhateverRanBefore()
    {
        // Block intermediates are kept between forward passes and grown for bigger batches; a pass must
        // not see anything of the one before.
        var text = new Models.TextConfig(77, 49408, 32, 2, 2);
        var config = new Models.ClipConfig(16, new Models.VitConfig(32, 16, 32, 2, 2), text);
        var ctx = new ComputeContext(2);
        int[] Tokens(params string[] texts) => Text.ClipTokenizer.Default.Encode(texts, 77).Cast<int>().ToArray();
        var shortTexts = Tokens("a cat", "a dog");
        var longTexts = Tokens("a photo of a very large and rather fluffy orange cat", "two dogs", "a bird on a wire in the rain");
        var used = Models.ClipModel.Random(config, seed: 4);
        var first = used.EncodeText(ctx, shortTexts, 2).Span.ToArray();
        var longer = used.EncodeText(ctx, longTexts, 3).Span.ToArray();
        Assert.Equal(first, used.EncodeText(ctx, shortTexts, 2).Span.ToArray());
        Assert.Equal(longer, Models.ClipModel.Random(config, seed: 4).EncodeText(ctx, longTexts, 3).Span.ToArray());

        var small = new Tensor(1, 3, 32, 32);
        var large = new Tensor(4, 3, 32, 32);
        var rng = new Random(2);
        foreach (ref var v in small.Span) v = (float)rng.NextDouble() - 0.5f;
        foreach (ref var v in large.Span) v = (float)rng.NextDouble() - 0.5f;
        var image = used.EncodeImage(ctx, small).Span.ToArray();
        used.EncodeImage(ctx, large);
        Assert.Equal(image, used.EncodeImage(ctx, small).Span.ToArray());
    }

    [Theory]
    [InlineData("vit-tiny")]
    [InlineData("rn-tiny")]
    public void Int8EmbeddingsAgreeWithFloat32OnTheFixtureImages(string fixture)
    {
        var modelPath = Fixtures.Path(fixture, "openai", "model.safetensors");
        var images = Directory.GetFiles(Fixtures.Path(fixture, "images")).Order().ToArray();
        var ctx = new ComputeContext(2);
        var exact = ClipPipeline.Load(modelPath, ctx).EncodeImageFiles(images);
        var int8 = ClipPipeline.Load(modelPath, ctx, Models.Precision.Int8);
        Assert.Equal("int8", int8.Context.Weights!.Kind);
        var quantized = int8.EncodeImageFiles(images);
        Assert.Equal(exact.Paths, quantized.Paths);
        int n = exact.Features.Shape[0], e = exact.Features.Shape[1];
        var cosines = Enumerable.Range(0, n).Select(i => System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(
            exact.Features.Span.Slice(i * e, e), quantized.Features.Span.Slice(i * e, e))).ToArray();
        Assert.True(cosines.Min() >= 0.99f, $"{fixture}: int8 vs fp32 cosine min {cosines.Min()}, mean {cosines.Average()}");
        Assert.True(cosines.Min() < 1f, "int8 gave bit-identical features: the quantised path did not run");
    }
}
