using ClipSharp.Testing;

namespace ClipSharp.Imaging.Tests;

/// <summary>
/// Replays the inputs the fuzz harness (bench/ClipSharp.Fuzz) saved under bench/fuzz/corpus/images: inputs
/// that once failed and the costliest input of each batch. Each must decode or be refused with a typed
/// exception naming the input, within the time and memory bar of issue #19.
/// </summary>
public class FuzzCorpusReplayTests
{
    public static IEnumerable<object[]> Inputs()
    {
        var dir = Path.Combine(Fixtures.RepoRoot, "bench", "fuzz", "corpus", "images");
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"fuzz corpus missing: {dir}");
        return Directory.GetFiles(dir)
            .Where(f => !f.EndsWith(".txt") && !f.EndsWith(".recipe"))
            .Order(StringComparer.Ordinal)
            .Select(f => new object[] { Path.GetFileName(f) });
    }

    [Fact]
    public void CorpusIsNotEmpty() => Assert.NotEmpty(Inputs());

    [Theory]
    [MemberData(nameof(Inputs))]
    public void SavedInput_DecodesOrIsRefusedTyped(string file)
    {
        var dir = Path.Combine(Fixtures.RepoRoot, "bench", "fuzz", "corpus", "images");
        var bytes = File.ReadAllBytes(Path.Combine(dir, file));
        var kindLine = File.ReadLines(Path.Combine(dir, Path.ChangeExtension(file, ".txt"))).First(l => l.StartsWith("kind: "));
        string mode = kindLine["kind: ".Length..].Split('.')[0];
        var task = Task.Run(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                var frame = mode switch
                {
                    "upload" => ImageDecoder.Decode(bytes, file, ImageDecodeLimits.Upload),
                    "draft" => ImageDecoder.DecodeDraft(bytes, file, 224, 224),
                    _ => ImageDecoder.Decode(bytes, file),
                };
                Assert.Equal((long)frame.Width * frame.Height * frame.BytesPerPixel, frame.Pixels.Length);
            }
            catch (Exception e) when (e is InvalidDataException or NotSupportedException)
            {
                Assert.StartsWith(file + ": ", e.Message);
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated < (300L << 20), $"{file}: allocated {allocated >> 20} MiB");
        });
        if (!task.Wait(TimeSpan.FromSeconds(20))) Assert.Fail($"{file}: did not finish within 20 s");
        task.GetAwaiter().GetResult();
    }
}
