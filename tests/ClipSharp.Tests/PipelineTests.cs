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
}
