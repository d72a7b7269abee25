using Microsoft.ML.OnnxRuntime;

/// <summary>ONNX Runtime (CPU, MLAS kernels): all graph optimisations, one intra-op thread per core.</summary>
sealed class OrtPeer : IPeer
{
    private readonly InferenceSession _image, _text;

    public OrtPeer(string dir, int threads)
    {
        var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _image = new InferenceSession(Path.Combine(dir, "image.onnx"), options);
        _text = new InferenceSession(Path.Combine(dir, "text.onnx"), options);
    }

    public string Name => $"onnxruntime {typeof(InferenceSession).Assembly.GetName().Version}";

    public float[] EncodeImages(float[] pixels, int n, int res) =>
        Run(_image, "pixel_values", OrtValue.CreateTensorValueFromMemory(pixels, [n, 3, res, res]), "image_features");

    public float[] EncodeTexts(long[] tokens, int n, int context) =>
        Run(_text, "tokens", OrtValue.CreateTensorValueFromMemory(tokens, [n, context]), "text_features");

    private static float[] Run(InferenceSession session, string input, OrtValue value, string output)
    {
        using (value)
        using (var run = new RunOptions())
        using (var results = session.Run(run, [input], [value], [output]))
            return results[0].GetTensorDataAsSpan<float>().ToArray();
    }
}
