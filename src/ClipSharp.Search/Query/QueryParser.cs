using System.Globalization;
using System.Text;

namespace ClipSharp.Search.Query;

/// <summary>
/// Parses query arithmetic such as <c>"2:golden retriever" + ./pool.jpg - "fruit"</c> into
/// <see cref="QueryTerm"/>s.
/// <code>
/// query  := [sign] term (sign term)*
/// sign   := '+' | '-'          (an operator only at the start of a token: "t-shirt" is one word)
/// term   := [weight ':'] [kind ':'] (quoted | words)
/// quoted := '"' ... '"' | '\'' ... '\''   (\" \' \\ escapes; may itself start with weight: and kind:)
/// words  := one or more bare words up to the next operator, joined by single spaces
/// weight := decimal number, e.g. 2, 0.5, 1e-1
/// kind   := text | image | img
/// </code>
/// Without an explicit kind a term is an image when its value ends in an image extension (.jpg .jpeg
/// .png .bmp .gif .webp) or starts with ./ ../ / ~/ (or .\ ..\ on Windows), otherwise text. A quoted term
/// must be followed by an operator or the end.
/// </summary>
public static class QueryParser
{
    private static readonly string[] ImageExtensions = [".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp"];

    public static IReadOnlyList<QueryTerm> Parse(string query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var terms = new List<QueryTerm>();
        int pos = 0;
        bool first = true;
        while (true)
        {
            pos = SkipSpace(query, pos);
            if (pos == query.Length)
            {
                if (first) throw new QueryParseException(query, pos, "empty query");
                break;
            }
            float sign = 1;
            if (query[pos] is '+' or '-' && IsOperator(query, pos))
            {
                sign = query[pos] == '-' ? -1 : 1;
                pos = SkipSpace(query, pos + 1);
                if (pos == query.Length) throw new QueryParseException(query, pos, $"expected a term after '{query[pos - 1]}'");
                if (query[pos] is '+' or '-' && IsOperator(query, pos))
                    throw new QueryParseException(query, pos, $"expected a term, found operator '{query[pos]}'");
            }
            else if (!first)
                throw new QueryParseException(query, pos, "expected '+' or '-' between terms");
            pos = ParseTerm(query, pos, sign, terms);
            first = false;
        }
        return terms;
    }

    /// <summary>'+'/'-' at the start of a token (query start or after whitespace) is an operator.</summary>
    private static bool IsOperator(string q, int pos) => pos == 0 || char.IsWhiteSpace(q[pos - 1]) || q[pos - 1] is '"' or '\'';

    private static int SkipSpace(string q, int pos)
    {
        while (pos < q.Length && char.IsWhiteSpace(q[pos])) pos++;
        return pos;
    }

    private static int ParseTerm(string q, int start, float sign, List<QueryTerm> terms)
    {
        int pos = start;
        float? weight = TryWeight(q, ref pos);
        QueryTermKind? kind = TryKind(q, ref pos);
        if (pos == q.Length || char.IsWhiteSpace(q[pos]))
            throw new QueryParseException(q, pos, "expected a term after the prefix");

        string value;
        if (q[pos] is '"' or '\'')
        {
            int open = pos;
            value = ReadQuoted(q, ref pos);
            int inner = 0;
            if (weight == null)
            {
                weight = TryWeight(value, ref inner);
            }
            kind ??= TryKind(value, ref inner);
            value = value[inner..].Trim();
            if (value.Length == 0) throw new QueryParseException(q, open, "empty quoted term");
            if (pos < q.Length && !char.IsWhiteSpace(q[pos]) && q[pos] is not ('+' or '-'))
                throw new QueryParseException(q, pos, "expected whitespace, '+' or '-' after the closing quote");
        }
        else
        {
            var words = new List<string>();
            while (pos < q.Length)
            {
                int w = pos;
                while (pos < q.Length && !char.IsWhiteSpace(q[pos])) pos++;
                words.Add(q[w..pos]);
                int next = SkipSpace(q, pos);
                if (next == q.Length || (q[next] is '+' or '-')) break;
                if (q[next] is '"' or '\'') throw new QueryParseException(q, next, "expected '+' or '-' before a quoted term");
                pos = next;
            }
            value = string.Join(' ', words);
        }
        float wgt = weight ?? 1f;
        terms.Add(new QueryTerm(sign * wgt, kind ?? InferKind(value), value, start));
        return pos;
    }

    private static string ReadQuoted(string q, ref int pos)
    {
        char quote = q[pos];
        int open = pos++;
        var sb = new StringBuilder();
        while (pos < q.Length)
        {
            char c = q[pos];
            if (c == '\\' && pos + 1 < q.Length && q[pos + 1] is '"' or '\'' or '\\')
            {
                sb.Append(q[pos + 1]);
                pos += 2;
                continue;
            }
            if (c == quote)
            {
                pos++;
                return sb.ToString();
            }
            sb.Append(c);
            pos++;
        }
        throw new QueryParseException(q, open, $"unterminated quote {quote}");
    }

    /// <summary>Consumes "number:" at <paramref name="pos"/> if present.</summary>
    private static float? TryWeight(string s, ref int pos)
    {
        int p = pos;
        while (p < s.Length && (char.IsAsciiDigit(s[p]) || s[p] == '.' ||
               ((s[p] is 'e' or 'E') && p > pos) || ((s[p] is '+' or '-') && p > pos && s[p - 1] is 'e' or 'E'))) p++;
        if (p == pos || p >= s.Length || s[p] != ':') return null;
        if (!float.TryParse(s.AsSpan(pos, p - pos), NumberStyles.Float, CultureInfo.InvariantCulture, out float w) || !float.IsFinite(w))
            return null;
        pos = p + 1;
        return w;
    }

    /// <summary>Consumes "text:", "image:" or "img:" (case-insensitive) at <paramref name="pos"/> if present.</summary>
    private static QueryTermKind? TryKind(string s, ref int pos)
    {
        foreach (var (prefix, kind) in new[] { ("text:", QueryTermKind.Text), ("image:", QueryTermKind.Image), ("img:", QueryTermKind.Image) })
            if (string.Compare(s, pos, prefix, 0, prefix.Length, StringComparison.OrdinalIgnoreCase) == 0)
            {
                pos += prefix.Length;
                return kind;
            }
        return null;
    }

    private static QueryTermKind InferKind(string value)
    {
        foreach (var ext in ImageExtensions)
            if (value.EndsWith(ext, StringComparison.OrdinalIgnoreCase)) return QueryTermKind.Image;
        foreach (var prefix in new[] { "./", "../", "/", "~/", ".\\", "..\\" })
            if (value.StartsWith(prefix, StringComparison.Ordinal)) return QueryTermKind.Image;
        return QueryTermKind.Text;
    }
}
