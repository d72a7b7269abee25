using ClipSharp.Text.Unicode;

namespace ClipSharp.Text;

/// <summary>
/// The CLIP pre-tokeniser: what <c>regex.findall</c> returns for
/// <c>&lt;\|startoftext\|&gt;|&lt;\|endoftext\|&gt;|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+</c>
/// with IGNORECASE, as (start, length) ranges over UTF-16 text. Alternatives are tried in that order
/// at each position; a code point no alternative matches (whitespace, U+0345) is skipped.
/// </summary>
public static class PreTokenizer
{
    private const string StartOfText = "<|startoftext|>";
    private const string EndOfText = "<|endoftext|>";

    /// <summary>Finds the next pre-token at or after <paramref name="pos"/>; false when none is left.</summary>
    public static bool Next(ReadOnlySpan<char> text, ref int pos, out int start, out int length)
    {
        while (pos < text.Length)
        {
            int cp = PythonText.ReadCodePoint(text, pos, out int width);
            int end = MatchAt(text, pos, cp, width);
            if (end > pos)
            {
                start = pos;
                length = end - pos;
                pos = end;
                return true;
            }
            pos += width;
        }
        start = length = 0;
        return false;
    }

    /// <summary>All pre-tokens of <paramref name="text"/> as strings (convenience for tests and tools).</summary>
    public static List<string> Split(string text)
    {
        var list = new List<string>();
        int pos = 0;
        while (Next(text, ref pos, out int start, out int length))
            list.Add(text.Substring(start, length));
        return list;
    }

    private static int MatchAt(ReadOnlySpan<char> text, int pos, int cp, int width)
    {
        if (cp == '<')
        {
            if (FoldedEquals(text, pos, StartOfText)) return pos + StartOfText.Length;
            if (FoldedEquals(text, pos, EndOfText)) return pos + EndOfText.Length;
        }
        else if (cp == '\'' && pos + 1 < text.Length)
        {
            int n = Contraction(text, pos + 1);
            if (n > 0) return pos + 1 + n;
        }
        var cls = CodePointClasses.Of(cp);
        if ((cls & CodePointClass.Letter) != 0) return RunEnd(text, pos + width, CodePointClass.Letter);
        if ((cls & CodePointClass.Number) != 0) return pos + width;
        if ((cls & CodePointClass.Other) != 0) return RunEnd(text, pos + width, CodePointClass.Other);
        return pos;
    }

    private static int RunEnd(ReadOnlySpan<char> text, int pos, CodePointClass cls)
    {
        while (pos < text.Length)
        {
            int cp = PythonText.ReadCodePoint(text, pos, out int width);
            if (!CodePointClasses.Is(cp, cls)) break;
            pos += width;
        }
        return pos;
    }

    /// <summary>Length of the contraction suffix (s, t, re, ve, m, ll, d) at <paramref name="i"/>, or 0.</summary>
    private static int Contraction(ReadOnlySpan<char> text, int i)
    {
        char a = Fold(text[i]);
        char b = i + 1 < text.Length ? Fold(text[i + 1]) : '\0';
        return a switch
        {
            's' or 't' or 'm' or 'd' => 1,
            'r' or 'v' when b == 'e' => 2,
            'l' when b == 'l' => 2,
            _ => 0,
        };
    }

    private static bool FoldedEquals(ReadOnlySpan<char> text, int pos, string literal)
    {
        if (text.Length - pos < literal.Length) return false;
        for (int k = 0; k < literal.Length; k++)
            if (Fold(text[pos + k]) != literal[k]) return false;
        return true;
    }

    /// <summary>Maps a character to the ASCII lower-case letter IGNORECASE matching equates it with
    /// (ASCII upper case, and the pairs in <see cref="PythonCharData.AsciiFolds"/>), else itself.</summary>
    private static char Fold(char c)
    {
        if (c < 0x80) return (uint)(c - 'A') <= 'Z' - 'A' ? (char)(c | 0x20) : c;
        var folds = PythonCharData.AsciiFolds;
        for (int k = 0; k < folds.Length; k += 2)
            if (folds[k] == c) return (char)folds[k + 1];
        return c;
    }
}
