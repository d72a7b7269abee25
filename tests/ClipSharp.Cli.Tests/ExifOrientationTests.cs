using System.Text.Json;
using ClipSharp.Imaging;
using ClipSharp.Imaging.Encoding;
using ClipSharp.IO;
using ClipSharp.Search.Embedding;
using ClipSharp.Tensors;
using ClipSharp.Testing;

namespace ClipSharp.Cli.Tests;

/// <summary>
/// A JPEG tagged with each of the 8 EXIF orientations embeds as its upright image (a lossless PNG of the
/// rotated pixels) through every image path: `embed`, `classify`, the index's embedder and the async stream.
/// </summary>
[Collection("Console")]
public class ExifOrientationTests
{
    /// <summary>The JPEG with an Exif APP1 (little-endian TIFF, one IFD entry: Orientation) right after SOI.</summary>
    private static byte[] WithOrientation(byte[] jpeg, int orientation)
    {
        byte[] app1 =
        [
            0xFF, 0xE1, 0x00, 0x22, (byte)'E', (byte)'x', (byte)'i', (byte)'f', 0, 0,
            (byte)'I', (byte)'I', 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00,
            0x01, 0x00, 0x12, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, (byte)orientation, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00,
        ];
        return [.. jpeg[..2], .. app1, .. jpeg[2..]];
    }

    [Fact]
    public async Task EachOrientationEmbedsAsItsUprightImageThroughEveryPath()
    {
        using var tmp = new CliHarness.TempDir();
        var model = Fixtures.Path("vit-tiny", "openai", "model.safetensors");
        var jpeg = File.ReadAllBytes(Fixtures.Path("vit-tiny", "images", "rocket.jpg"));
        var tagged = new List<string>();
        var upright = new List<string>();
        for (int o = 1; o <= 8; o++)
        {
            var path = tmp.File($"o{o}.jpg");
            File.WriteAllBytes(path, WithOrientation(jpeg, o));
            var frame = ImageDecoder.Decode(path);
            Assert.Equal(o, frame.ExifOrientation);
            var png = tmp.File($"o{o}-upright.png");
            PngWriter.Save(png, Orientation.ApplyOrientation(frame));
            tagged.Add(path);
            upright.Add(png);
        }
        var pipeline = ClipPipeline.Load(model, new ComputeContext(2));
        int e = pipeline.Model.Config.EmbedDim;

        // embed (CLI): the tagged files give the upright files' features.
        var (code, _, err) = CliHarness.Run(["embed", "--model", model, "--images", .. tagged, "--out", tmp.File("tagged.safetensors")]);
        Assert.True(code == 0, err);
        (code, _, err) = CliHarness.Run(["embed", "--model", model, "--images", .. upright, "--out", tmp.File("upright.safetensors")]);
        Assert.True(code == 0, err);
        float[] Features(string file) { using var st = SafetensorsFile.Open(file); return st.ReadTensor(st.Names.Single(n => n.Contains("image"))).Span.ToArray(); }
        var embedded = Features(tmp.File("tagged.safetensors"));
        Assert.Equal(Features(tmp.File("upright.safetensors")), embedded);
        Assert.NotEqual(embedded[..e], embedded.AsSpan(5 * e, e).ToArray());   // orientation 6 is not 1: the tag was applied

        // classify (CLI): same predictions line for line, the file name aside.
        string[] Classify(IEnumerable<string> files)
        {
            var (c, output, error) = CliHarness.Run(["classify", .. files, "--model", model, "--labels", "rocket,astronaut,cat,text", "--json", "--no-cache"]);
            Assert.True(c == 0, error);
            return output.Trim().Split('\n').Select(l => JsonDocument.Parse(l).RootElement.GetProperty("predictions").GetRawText() + JsonDocument.Parse(l).RootElement.GetProperty("probabilities").GetRawText()).ToArray();
        }
        Assert.Equal(Classify(upright), Classify(tagged));

        // index: the folder indexer's embedder (normalised) and the library's async stream match embed's features.
        var indexer = new ClipImageEmbedder(pipeline);
        var streamed = new List<float[]>();
        await foreach (var item in pipeline.EmbedImagesAsync(tagged.ToAsyncEnumerable(), batchSize: 3, decodeThreads: 2))
            streamed.Add(item.Embedding!);
        for (int i = 0; i < 8; i++)
        {
            var features = embedded.AsSpan(i * e, e).ToArray();
            Assert.Equal(features, indexer.EmbedBatch([indexer.Prepare(File.ReadAllBytes(tagged[i]), tagged[i])], CancellationToken.None)[0]);
            Assert.Equal(features, streamed[i]);
        }
    }
}
