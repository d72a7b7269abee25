using Microsoft.ML.OnnxRuntime;

/// <summary>ONNX Runtime (CPU, MLAS kernels): all graph optimisations, one intra-op thread per core.</summary>
sealed class OrtPeer : IPeer, IDisposable
{
    private readonly InferenceSession _image, _text;
    private readonly bool _profiling;

    public OrtPeer(string dir, int threads)
    {
        var imageOptions = Options(threads);
        // ORT_PROFILE=PREFIX writes ONNX Runtime's per-node timings (Chrome trace JSON) of the image session to PREFIX_*.json,
        // for comparing layer by layer with ClipSharp (bench/peer/ort_profile.py sums them by node).
        if (Environment.GetEnvironmentVariable("ORT_PROFILE") is { Length: > 0 } prefix)
        {
            // The prefix first: setting EnableProfiling hands ORT the prefix it has at that moment.
            imageOptions.ProfileOutputPathPrefix = prefix;
            imageOptions.EnableProfiling = true;
            _profiling = true;
        }
        _image = new InferenceSession(Path.Combine(dir, "image.onnx"), imageOptions);
        _text = new InferenceSession(Path.Combine(dir, "text.onnx"), Options(threads));
    }

    private static SessionOptions Options(int threads) => new()
    {
        IntraOpNumThreads = threads,
        InterOpNumThreads = 1,
        ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
    };

    public string Name => $"onnxruntime {typeof(InferenceSession).Assembly.GetName().Version}";

    public float[] EncodeImages(float[] pixels, int n, int res) =>
        Run(_image, "pixel_values", OrtValue.CreateTensorValueFromMemory(pixels, [n, 3, res, res]), "image_features");

    public float[] EncodeTexts(long[] tokens, int n, int context) =>
        Run(_text, "tokens", OrtValue.CreateTensorValueFromMemory(tokens, [n, context]), "text_features");

    public void Dispose()
    {
        if (_profiling) Console.Error.WriteLine($"ORT profile: {_image.EndProfiling()}");
        _image.Dispose();
        _text.Dispose();
    }

    private static float[] Run(InferenceSession session, string input, OrtValue value, string output)
    {
        using (value)
        using (var run = new RunOptions())
        using (var results = session.Run(run, [input], [value], [output]))
            return results[0].GetTensorDataAsSpan<float>().ToArray();
    }
}
