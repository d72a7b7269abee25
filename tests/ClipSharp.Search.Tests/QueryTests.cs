using ClipSharp.Search.Query;
using ClipSharp.Search.Vectors;

namespace ClipSharp.Search.Tests;

public class QueryTests
{
    private static (float W, QueryTermKind K, string V)[] P(string q) =>
        QueryParser.Parse(q).Select(t => (t.Weight, t.Kind, t.Value)).ToArray();

    [Fact]
    public void ParsesTheExampleFromTheSpec()
    {
        var terms = QueryParser.Parse("\"2:golden retriever\" + ./pool.jpg - \"fruit\"");
        Assert.Equal([(2f, QueryTermKind.Text, "golden retriever"), (1f, QueryTermKind.Image, "./pool.jpg"), (-1f, QueryTermKind.Text, "fruit")],
            terms.Select(t => (t.Weight, t.Kind, t.Value)));
        Assert.Equal([0, 23, 36], terms.Select(t => t.Position));
    }

    [Fact]
    public void BareWordsFormOneTextTermUntilAnOperator()
    {
        Assert.Equal([(1f, QueryTermKind.Text, "a red t-shirt"), (-0.5f, QueryTermKind.Text, "logo")], P("a  red t-shirt -0.5:logo"));
        Assert.Equal([(1f, QueryTermKind.Text, "cat+dog")], P("cat+dog"));
        Assert.Equal([(-1f, QueryTermKind.Text, "night")], P(" - night "));
        Assert.Equal([(3f, QueryTermKind.Text, "sunset beach")], P("3:sunset beach"));
    }

    [Fact]
    public void WeightsOutsideOrInsideQuotesAndScientificNotation()
    {
        Assert.Equal([(0.5f, QueryTermKind.Text, "snow")], P("0.5:\"snow\""));
        Assert.Equal([(0.25f, QueryTermKind.Text, "snow")], P("'2.5e-1:snow'"));
        Assert.Equal([(-2f, QueryTermKind.Text, "x")], P("- 2:x"));
        // an outer weight makes an inner "n:" part of the text
        Assert.Equal([(2f, QueryTermKind.Text, "3:10 to yuma")], P("2:\"3:10 to yuma\""));
        Assert.Equal([(1f, QueryTermKind.Text, "3:10 to yuma")], P("\"text:3:10 to yuma\""));
    }

    [Fact]
    public void PathsWithSpacesKindsAndEscapes()
    {
        Assert.Equal([(1f, QueryTermKind.Image, "/home/me/My Photos/pool party.png"), (-1f, QueryTermKind.Text, "people")],
            P("\"/home/me/My Photos/pool party.png\" - people"));
        Assert.Equal([(1f, QueryTermKind.Image, "holiday/IMG 01.JPEG")], P("'holiday/IMG 01.JPEG'"));
        Assert.Equal([(1f, QueryTermKind.Image, "scan0001")], P("image:scan0001"));
        Assert.Equal([(1f, QueryTermKind.Image, "a b")], P("img:\"a b\""));
        Assert.Equal([(1f, QueryTermKind.Text, "photo.jpg")], P("text:photo.jpg"));
        Assert.Equal([(1f, QueryTermKind.Text, "say \"cheese\" \\ o'k")], P("\"say \\\"cheese\\\" \\\\ o'k\""));
        Assert.Equal([(1f, QueryTermKind.Text, "a"), (1f, QueryTermKind.Text, "b")], P("\"a\"+\"b\""));
        Assert.Equal([(1f, QueryTermKind.Text, "dog's toy")], P("dog's toy"));
    }

    [Theory]
    [InlineData("", 0, "empty query")]
    [InlineData("   ", 3, "empty query")]
    [InlineData("cat +", 5, "expected a term")]
    [InlineData("cat + - dog", 6, "found operator")]
    [InlineData("\"cat\" dog", 6, "expected '+' or '-'")]
    [InlineData("cat \"dog\"", 4, "before a quoted term")]
    [InlineData("cat + \"dog", 6, "unterminated quote")]
    [InlineData("\"cat\"dog", 5, "after the closing quote")]
    [InlineData("2: cat", 2, "expected a term after the prefix")]
    [InlineData("\"  \"", 0, "empty quoted term")]
    [InlineData("\"2:\"", 0, "empty quoted term")]
    public void ErrorsNameThePosition(string query, int position, string message)
    {
        var e = Assert.Throws<QueryParseException>(() => QueryParser.Parse(query));
        Assert.Equal(position, e.Position);
        Assert.Contains(message, e.Message);
        Assert.Contains($"position {position}", e.Message);
    }

    [Fact]
    public void CombineIsNormalisedWeightedSumOfNormalisedEmbeddings()
    {
        var emb = new Dictionary<string, float[]>
        {
            ["dog"] = [3, 0, 0, 0],      // norm 3: must be normalised before weighting
            ["pool.jpg"] = [0, 2, 0, 0],
            ["fruit"] = [0, 0, 1, 0],
        };
        var terms = QueryParser.Parse("2:dog + pool.jpg - 0.5:fruit");
        var q = QueryCombiner.Combine(terms, t => emb[t], i => emb[i]);
        var expected = new float[] { 2, 1, -0.5f, 0 };
        VectorKernels.Normalize(expected);
        for (int i = 0; i < 4; i++) Assert.Equal(expected[i], q[i], 6);

        // image terms go to the image callback, text to the text callback
        var seen = new List<string>();
        QueryCombiner.Combine(terms, t => { seen.Add("T:" + t); return emb[t]; }, i => { seen.Add("I:" + i); return emb[i]; });
        Assert.Equal(["T:dog", "I:pool.jpg", "T:fruit"], seen);
    }

    [Fact]
    public void CombineRejectsCancellationAndMismatchedLengths()
    {
        var e = Assert.Throws<ArgumentException>(() => QueryCombiner.Combine(QueryParser.Parse("cat - cat"), _ => [1, 2], _ => [1, 2]));
        Assert.Contains("cancel", e.Message);
        Assert.Throws<ArgumentException>(() => QueryCombiner.Combine(QueryParser.Parse("cat + x.png"), _ => [1, 2], _ => [1, 2, 3]));
        Assert.Throws<ArgumentException>(() => QueryCombiner.Combine(QueryParser.Parse("cat"), _ => [0, 0], _ => [1]));
    }
}
