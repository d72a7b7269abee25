using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ClipSharp.Training;

/// <summary>Metrics as JSON lines, one object per step, and an SVG plot of the loss.</summary>
public static class TrainingLog
{
    /// <summary>{"step":…,"epoch":…,"loss":…,"lr":…,"grad_norm":…,"logit_scale":…,"samples_per_s":…,"seconds":…}</summary>
    public static string JsonLine(StepMetrics m) => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["step"] = m.Step, ["epoch"] = m.Epoch, ["loss"] = m.Loss, ["lr"] = m.LearningRate, ["grad_norm"] = m.GradNorm,
        ["logit_scale"] = m.LogitScale, ["samples_per_s"] = m.SamplesPerSecond, ["seconds"] = m.Seconds,
    });

    /// <summary>
    /// Cuts a metrics log back to <paramref name="step"/> (a resumed run repeats the later steps): drops
    /// every line of a later step and a torn last line. Rewritten through a temporary file.
    /// </summary>
    public static void TruncateAfter(string path, long step)
    {
        if (!File.Exists(path)) return;
        var kept = new List<string>();
        foreach (var line in File.ReadLines(path))
        {
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.TryGetProperty("step", out var s) && s.GetInt64() <= step) kept.Add(line);
            }
            catch (JsonException) { }   // a line cut short by a crash
        }
        var temp = path + ".tmp";
        File.WriteAllLines(temp, kept);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>(step, loss) pairs from a metrics.jsonl file (later lines win when a resumed run repeats a step).</summary>
    public static IReadOnlyList<(long Step, double Loss)> ReadLosses(string path)
    {
        var byStep = new SortedDictionary<long, double>();
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            using var doc = JsonDocument.Parse(line);
            if (!doc.RootElement.TryGetProperty("loss", out var loss)) continue;   // validation lines
            byStep[doc.RootElement.GetProperty("step").GetInt64()] = loss.GetDouble();
        }
        return byStep.Select(kv => (kv.Key, kv.Value)).ToList();
    }

    /// <summary>A self-contained SVG line plot of loss against step (raw values and a moving average).</summary>
    public static string LossSvg(IReadOnlyList<(long Step, double Loss)> points, string title = "training loss")
    {
        const int w = 720, h = 400, left = 60, right = 20, top = 30, bottom = 40;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">");
        sb.Append(CultureInfo.InvariantCulture, $"<rect width=\"{w}\" height=\"{h}\" fill=\"white\"/><text x=\"{w / 2}\" y=\"18\" text-anchor=\"middle\">{Escape(title)}</text>");
        if (points.Count > 0)
        {
            long x0 = points[0].Step, x1 = Math.Max(points[^1].Step, x0 + 1);
            double y0 = Math.Min(0, points.Min(p => p.Loss)), y1 = Math.Max(points.Max(p => p.Loss), y0 + 1e-9);
            double X(long s) => left + (double)(s - x0) / (x1 - x0) * (w - left - right);
            double Y(double v) => top + (1 - (v - y0) / (y1 - y0)) * (h - top - bottom);
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{h - bottom}\" x2=\"{w - right}\" y2=\"{h - bottom}\" stroke=\"black\"/>");
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{h - bottom}\" stroke=\"black\"/>");
            for (int i = 0; i <= 4; i++)
            {
                double v = y0 + (y1 - y0) * i / 4;
                sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 6}\" y=\"{Y(v) + 4:F1}\" text-anchor=\"end\">{v:G3}</text>");
                long s = x0 + (x1 - x0) * i / 4;
                sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{X(s):F1}\" y=\"{h - bottom + 16}\" text-anchor=\"middle\">{s}</text>");
            }
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{w / 2}\" y=\"{h - 6}\" text-anchor=\"middle\">step</text>");
            sb.Append("<polyline fill=\"none\" stroke=\"#9ecae1\" stroke-width=\"1\" points=\"");
            foreach (var (s, v) in points) sb.Append(CultureInfo.InvariantCulture, $"{X(s):F1},{Y(v):F1} ");
            sb.Append("\"/>");
            int window = Math.Max(1, points.Count / 50);
            sb.Append("<polyline fill=\"none\" stroke=\"#08519c\" stroke-width=\"2\" points=\"");
            double sum = 0;
            for (int i = 0; i < points.Count; i++)
            {
                sum += points[i].Loss;
                if (i >= window) sum -= points[i - window].Loss;
                sb.Append(CultureInfo.InvariantCulture, $"{X(points[i].Step):F1},{Y(sum / Math.Min(i + 1, window)):F1} ");
            }
            sb.Append("\"/>");
        }
        sb.Append("</svg>");
        return sb.ToString();
    }

    private static string Escape(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}
