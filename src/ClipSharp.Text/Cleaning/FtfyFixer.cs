namespace ClipSharp.Text.Cleaning;

/// <summary>
/// ftfy's <c>fix_text</c> with its default configuration, the first stage of the CLIP reference's
/// text cleaning. The text is fixed line by line (each segment keeps its '\n'); within a segment the
/// fixes below run in this order, repeatedly, until the segment stops changing:
/// HTML entities (skipped from the first segment containing '&lt;' on), mojibake repair, C1
/// controls, Latin ligatures, character width, curly quotes, line breaks, surrogates, terminal
/// escapes, control characters, NFC.
/// </summary>
public static class FtfyFixer
{
    /// <summary>ftfy.fix_text(text).</summary>
    public static string FixText(string text)
    {
        if (text.Length == 0) return text;
        bool unescapeHtml = true;
        int newline = text.IndexOf('\n');
        if (newline < 0 || newline == text.Length - 1)
            return FixSegment(text, unescapeHtml && !text.Contains('<'));

        var sb = new System.Text.StringBuilder(text.Length);
        int pos = 0;
        while (pos < text.Length)
        {
            int brk = text.IndexOf('\n', pos);
            int end = brk < 0 ? text.Length : brk + 1;
            string segment = text[pos..end];
            if (unescapeHtml && segment.Contains('<')) unescapeHtml = false;  // stays off for later segments, as in ftfy
            sb.Append(FixSegment(segment, unescapeHtml));
            pos = end;
        }
        return sb.ToString();
    }

    /// <summary>ftfy.fix_and_explain on one segment (explanations omitted).</summary>
    private static string FixSegment(string text, bool unescapeHtml)
    {
        if (IsPlainAscii(text)) return text;
        while (true)
        {
            string orig = text;
            if (unescapeHtml) text = HtmlEntities.FtfyUnescape(text);
            text = MojibakeRepair.FixEncoding(text);
            text = CharacterFixes.FixC1Controls(text);
            text = CharacterFixes.FixLatinLigatures(text);
            text = CharacterFixes.FixCharacterWidth(text);
            text = CharacterFixes.UncurlQuotes(text);
            text = CharacterFixes.FixLineBreaks(text);
            text = CharacterFixes.FixSurrogates(text);
            text = CharacterFixes.RemoveTerminalEscapes(text);
            text = CharacterFixes.RemoveControlChars(text);
            text = CharacterFixes.Nfc(text);
            if (text == orig) return text;
        }
    }

    /// <summary>True when no fix can change the text: printable ASCII, tab and LF only, and no '&amp;'.</summary>
    private static bool IsPlainAscii(string s)
    {
        foreach (char c in s)
            if (c > '~' || (c < ' ' && c != '\t' && c != '\n') || c == '&')
                return false;
        return true;
    }
}
