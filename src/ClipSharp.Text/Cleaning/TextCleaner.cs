using ClipSharp.Text.Unicode;

namespace ClipSharp.Text.Cleaning;

/// <summary>
/// The CLIP reference's text cleaning, in its order:
/// <c>ftfy.fix_text</c> → <c>html.unescape</c> twice → <c>strip()</c> → <c>regex.sub(r"\s+", " ")</c>
/// → <c>strip()</c> → <c>lower()</c>, each with Python's semantics.
/// </summary>
public static class TextCleaner
{
    /// <summary>The cleaned, lower-cased text the pre-tokeniser sees.</summary>
    public static string Clean(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string s = FtfyFixer.FixText(text);
        s = HtmlEntities.PythonUnescape(HtmlEntities.PythonUnescape(s));
        s = PythonText.Strip(s);
        s = PythonText.CollapseSpaces(s);
        s = PythonText.Strip(s);
        return PythonText.Lower(s);
    }
}
