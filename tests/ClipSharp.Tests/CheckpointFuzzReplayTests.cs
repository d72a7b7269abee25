using System.Buffers.Binary;
using ClipSharp.IO;
using ClipSharp.Testing;

namespace ClipSharp.Tests;

/// <summary>
/// Replays the checkpoint inputs the fuzz harness (bench/ClipSharp.Fuzz) saved under
/// bench/fuzz/corpus/checkpoints (the costliest inputs of each batch, and failures once fixed): each must
/// load or be refused with a <see cref="CheckpointException"/>, in bounded time. Inputs still failing wait
/// in checkpoints/pending/, which this does not replay (see bench/fuzz/README.md).
/// </summary>
public class CheckpointFuzzReplayTests
{
    private static string Dir => Path.Combine(Fixtures.RepoRoot, "bench", "fuzz", "corpus", "checkpoints");

    public static IEnumerable<object[]> Inputs()
    {
        if (!Directory.Exists(Dir)) throw new DirectoryNotFoundException($"fuzz corpus missing: {Dir}");
        return Directory.GetFiles(Dir)
            .Where(f => f.EndsWith(".pt") || f.EndsWith(".safetensors") || f.EndsWith(".stheader"))
            .Order(StringComparer.Ordinal)
            .Select(f => new object[] { Path.GetFileName(f) });
    }

    [Fact]
    public void CorpusIsNotEmpty() => Assert.NotEmpty(Inputs());

    [Theory]
    [MemberData(nameof(Inputs))]
    public void SavedInput_LoadsOrIsRefusedTyped(string file)
    {
        var bytes = File.ReadAllBytes(Path.Combine(Dir, file));
        var task = Task.Run(() =>
        {
            try
            {
                if (file.EndsWith(".stheader"))
                {
                    SafetensorsHeader.Parse(file, bytes.AsSpan(8), BinaryPrimitives.ReadInt64LittleEndian(bytes));
                    return;
                }
                var tmp = Path.Combine(Path.GetTempPath(), $"clipsharp-replay-{Environment.ProcessId}-{file}");
                File.WriteAllBytes(tmp, bytes);
                try { CheckpointLoader.Load(tmp); }
                finally { File.Delete(tmp); }
            }
            catch (CheckpointException)
            {
            }
        });
        if (!task.Wait(TimeSpan.FromSeconds(20))) Assert.Fail($"{file}: did not finish within 20 s");
        task.GetAwaiter().GetResult();
    }
}
