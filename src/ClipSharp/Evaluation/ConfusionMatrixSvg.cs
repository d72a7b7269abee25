using System.Globalization;
using System.Net;
using System.Text;

namespace ClipSharp.Evaluation;

/// <summary>Renders a confusion matrix as an SVG heat map: rows are true classes, columns predictions, cells row-normalised.</summary>
public static class ConfusionMatrixSvg
{
    public static string Render(int[,] confusion, IReadOnlyList<string> labels, string title)
    {
        int k = labels.Count;
        int cell = k <= 20 ? 36 : Math.Max(6, 720 / k);
        bool showNumbers = cell >= 28;
        int labelWidth = Math.Min(200, 8 + 7 * labels.Max(l => l.Length));
        int left = labelWidth + 10, top = labelWidth + 40, size = cell * k;
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.Append(inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{left + size + 20}\" height=\"{top + size + 40}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        sb.Append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        sb.Append(inv, $"<text x=\"{left}\" y=\"20\" font-size=\"15\" font-weight=\"bold\">{WebUtility.HtmlEncode(title)}</text>\n");
        sb.Append(inv, $"<text x=\"{left + size / 2}\" y=\"{top + size + 28}\" text-anchor=\"middle\">predicted class</text>\n");
        sb.Append(inv, $"<text transform=\"translate(14,{top + size / 2}) rotate(-90)\" text-anchor=\"middle\">true class</text>\n");
        for (int r = 0; r < k; r++)
        {
            int rowTotal = 0;
            for (int c = 0; c < k; c++) rowTotal += confusion[r, c];
            string name = WebUtility.HtmlEncode(Truncate(labels[r], 28));
            sb.Append(inv, $"<text x=\"{left - 6}\" y=\"{top + r * cell + cell / 2 + 4}\" text-anchor=\"end\">{name}</text>\n");
            sb.Append(inv, $"<text transform=\"translate({left + r * cell + cell / 2 + 4},{top - 6}) rotate(-60)\">{name}</text>\n");
            for (int c = 0; c < k; c++)
            {
                double f = rowTotal == 0 ? 0 : (double)confusion[r, c] / rowTotal;
                // White → dark blue; diagonal cells get a green tint so correct predictions stand out.
                int shade = (int)Math.Round(255 * (1 - f));
                string fill = r == c ? $"rgb({shade},{Math.Min(255, shade + 40)},{shade})" : $"rgb({shade},{shade},255)";
                sb.Append(inv, $"<rect x=\"{left + c * cell}\" y=\"{top + r * cell}\" width=\"{cell}\" height=\"{cell}\" fill=\"{fill}\" stroke=\"#ddd\"><title>{name} → {WebUtility.HtmlEncode(labels[c])}: {confusion[r, c]} ({f:P1})</title></rect>\n");
                if (showNumbers && confusion[r, c] > 0)
                    sb.Append(inv, $"<text x=\"{left + c * cell + cell / 2}\" y=\"{top + r * cell + cell / 2 + 4}\" text-anchor=\"middle\" fill=\"{(f > 0.5 ? "white" : "black")}\">{confusion[r, c]}</text>\n");
            }
        }
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    private static string Truncate(string s, int n) => s.Length <= n ? s : s[..(n - 1)] + "…";
}
