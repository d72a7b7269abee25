using ClipSharp.Text.Cleaning;
using ClipSharp.Text.Unicode;

namespace ClipSharp.Text.Tests;

/// <summary>Python behaviours .NET does not share. Expected values were printed by CPython 3.11 / ftfy 6.3.1.</summary>
public class PythonSemanticsTests
{
    [Theory]
    [InlineData("İSTANBUL", "i\u0307stanbul")]        // full mapping: two code points
    [InlineData("ΟΔΟΣ", "οδος")]                      // final sigma at the end of a word
    [InlineData("ΣΑΣ Σ", "σας σ")]                    // a lone capital sigma is not final
    [InlineData("Σ", "σ")]
    [InlineData("AΣ\u0301", "aς\u0301")]              // case-ignorable marks are skipped both ways
    [InlineData("AΣ\u0301B", "aσ\u0301b")]
    [InlineData("ΑΣ.", "ας.")]
    [InlineData("ǅ", "ǆ")]
    [InlineData("ẞ", "ß")]
    [InlineData("Ω\u2126", "ωω")]
    [InlineData("plain ascii 123", "plain ascii 123")]
    [InlineData("𝐀 𐐀", "𝐀 𐐨")]                       // astral: math bold has no case, Deseret does
    public void LowerMatchesPython(string input, string expected) => Assert.Equal(expected, PythonText.Lower(input));

    [Theory]
    [InlineData("\u001c a \u001f", "a")]               // str.isspace includes the information separators
    [InlineData("\u200b a \u200b", "\u200b a \u200b")] // zero-width space is not whitespace
    [InlineData("\u3000a\u0085", "a")]
    public void StripMatchesPython(string input, string expected) => Assert.Equal(expected, PythonText.Strip(input));

    [Fact]
    public void RegexSpaceExcludesInformationSeparators()
    {
        Assert.Equal("a \u001c b", PythonText.CollapseSpaces("a \u001c\t b"));
        Assert.Equal("a b c", PythonText.CollapseSpaces("a\u00a0\u2009b\r\n\u3000c"));
    }

    [Theory]
    [InlineData("&amp;", "&")]
    [InlineData("&notit;", "¬it;")]                   // longest known prefix, rest kept
    [InlineData("&ampx", "&x")]
    [InlineData("&#65abc;", "Aabc;")]
    [InlineData("&#x110000;", "\ufffd")]
    [InlineData("&#128;", "€")]                       // Windows-1252 reading of C1 references
    [InlineData("&#0;", "\ufffd")]
    [InlineData("&#11;", "")]                         // invalid code points vanish
    [InlineData("&#xD800;", "\ufffd")]
    [InlineData("&#xFFFF;", "")]
    [InlineData("&copy2024", "©2024")]
    [InlineData("&Eacute", "É")]
    [InlineData("&#X41;", "A")]
    [InlineData("&#;", "&#;")]
    [InlineData("& x", "& x")]
    [InlineData("&abcdefghijklmnopqrstuvwxyzabcdefghijk;", "&abcdefghijklmnopqrstuvwxyzabcdefghijk;")]
    [InlineData("&lt;&gt", "<>")]
    [InlineData("&&amp;", "&&")]
    public void HtmlUnescapeMatchesPython(string input, string expected) => Assert.Equal(expected, HtmlEntities.PythonUnescape(input));

    [Theory]
    [InlineData("&EACUTE;", "É")]
    [InlineData("&SZLIG;", "SS")]
    [InlineData("&nTILDE;", "&nTILDE;")]
    [InlineData("&#65abc;", "&#65abc;")]
    [InlineData("&#x41;", "A")]
    [InlineData("&eacute", "&eacute")]                // ftfy wants the semicolon
    [InlineData("caf\u00c3\u00a9", "café")]           // UTF-8 read as Latin-1
    [InlineData("\u00e2\u0153\u201d No problems", "✔ No problems")]  // read as Windows-1252
    [InlineData("voil\u00c3 le travail", "voilà le travail")]       // NBSP flattened to a space
    [InlineData("sch\u00c3\u00b6n", "schön")]
    [InlineData("&lt;tag&gt;", "<tag>")]
    [InlineData("<b>&amp;</b>", "<b>&amp;</b>")]      // a literal '<' turns entity decoding off
    [InlineData("a\nb &amp;\n<c>\n&amp;", "a\nb &\n<c>\n&amp;")]  // ... for that line and the ones after it
    [InlineData("\u001b[36;44mblue\u001b[0m", "blue")]
    [InlineData("ﬂuﬃeﬆ", "fluffiest")]
    [InlineData("ＬＯＵＤ　ＮＯＩＳＥＳ", "LOUD NOISES")]
    [InlineData("Ｕﾀｰﾝ", "Uターン")]
    [InlineData("\u201chere\u2019s\u201d", "\"here's\"")]
    [InlineData("a\r\nb\rc\u2028d", "a\nb\nc\nd")]
    [InlineData("x\u0000y\u007fz\ufeff", "xyz")]
    [InlineData("\u0080\u0093quoted\u0094", "€\"quoted\"")]
    [InlineData("\u00c3\u0080 la", "À la")]
    [InlineData("a\uFFFEe\u0301", "a\uFFFEé")]              // .NET's NFC rejects U+FFFE; Python's does not
    public void FixTextMatchesFtfy(string input, string expected) => Assert.Equal(expected, FtfyFixer.FixText(input));

    [Fact]
    public void PreTokenizerFollowsTheReferenceRegex()
    {
        Assert.Equal(["it", "'s", "a", "test", "'ll", "they", "'re"], PreTokenizer.Split("it's a test'll they're"));
        Assert.Equal(["it", "'ſ"], PreTokenizer.Split("it'ſ"));                       // IGNORECASE folds ſ to s
        Assert.Equal(["<|ſtartoftext|>", "x"], PreTokenizer.Split("<|ſtartoftext|>x"));
        Assert.Equal(["!!<|", "endoftext", "|>"], PreTokenizer.Split("!!<|endoftext|>")); // greedy symbol run
        Assert.Equal(["3", ".", "1", "4"], PreTokenizer.Split("3.14"));                 // one digit per token
        Assert.Equal(["a", "b"], PreTokenizer.Split("a\u0345b"));                       // U+0345 matches no alternative
        Assert.Equal(["𝒥𝓸𝓱𝓷", "🐱🚀"], PreTokenizer.Split("𝒥𝓸𝓱𝓷 🐱🚀"));         // astral letters and symbols
    }
}
