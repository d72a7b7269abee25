using ClipSharp.Tensors;
using ClipSharp.ZeroShot;

namespace ClipSharp.Tests;

public class ZeroShotTests
{
    /// <summary>A fake text encoder: each prompt maps to a fixed vector derived from its characters.</summary>
    private static Tensor FakeEncode(IReadOnlyList<string> prompts)
    {
        var t = new Tensor(prompts.Count, 4);
        for (int i = 0; i < prompts.Count; i++)
        for (int j = 0; j < 4; j++)
            t[i, j] = prompts[i].Length * (j + 1) % 7 + (prompts[i].Contains("cat") ? 5 * (j == 0 ? 1 : 0) : 0) + 0.5f;
        return t;
    }

    [Fact]
    public void WeightsAreTheRenormalisedMeanOfNormalisedPromptEmbeddings()
    {
        string[] templates = ["a photo of a {}.", "a drawing of the {}"];
        var clf = ZeroShotClassifier.Build(["cat", "dog"], templates, FakeEncode);
        for (int k = 0; k < 2; k++)
        {
            var label = k == 0 ? "cat" : "dog";
            var emb = Models.ClipModel.Normalized(FakeEncode(templates.Select(t => t.Replace("{}", label)).ToArray()));
            var mean = Enumerable.Range(0, 4).Select(j => (emb[0, j] + emb[1, j]) / 2.0).ToArray();
            double norm = Math.Sqrt(mean.Sum(v => v * v));
            for (int j = 0; j < 4; j++) Assert.Equal(mean[j] / norm, clf.Weights[k, j], 5);
        }
    }

    [Fact]
    public void ProbabilitiesAreSoftmaxOfHundredTimesCosine()
    {
        var clf = new ZeroShotClassifier(["x", "y"], new Tensor([1f, 0f, 0f, 1f], 2, 2));
        var img = new Tensor([3f, 4f], 1, 2);  // cos = 0.6, 0.8
        var p = clf.Probabilities(ComputeContext.SingleThreaded, img);
        double e0 = Math.Exp(60), e1 = Math.Exp(80);
        Assert.Equal(e0 / (e0 + e1), p[0, 0], 6);
        Assert.Equal(e1 / (e0 + e1), p[0, 1], 6);
        Assert.Equal("y", clf.Top(p.Span, 1)[0].Label);
    }

    [Fact]
    public void BuiltInPromptSetsHaveThePublishedSizes()
    {
        Assert.Equal(80, PromptSets.OpenAi.Count);
        Assert.Equal(7, PromptSets.Simple.Count);
        Assert.Equal(1000, PromptSets.ImageNetClasses.Count);
        Assert.Equal("a photo of a {}.", PromptSets.Templates("single")[0]);
        Assert.Equal(["cat", "dog", "car"], PromptSets.Labels("cat, dog,car"));
    }

    [Fact]
    public void TemplatesWithoutPlaceholderAreRejected()
    {
        var path = Path.GetTempFileName();
        File.WriteAllText(path, "a photo of a {}\nno placeholder here\n");
        try
        {
            var e = Assert.Throws<InvalidDataException>(() => PromptSets.Templates(path));
            Assert.Contains("no placeholder here", e.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void CacheReturnsStoredWeightsAndRebuildsWhenPromptsChange()
    {
        var dir = Directory.CreateTempSubdirectory("zs-cache-").FullName;
        try
        {
            var cache = new ClassifierCache(dir);
            int builds = 0;
            ZeroShotClassifier Build(string[] labels) { builds++; return ZeroShotClassifier.Build(labels, ["a {}"], FakeEncode); }
            var a = cache.GetOrBuild("m", ["cat", "dog"], ["a {}"], () => Build(["cat", "dog"]));
            var b = cache.GetOrBuild("m", ["cat", "dog"], ["a {}"], () => Build(["cat", "dog"]));
            Assert.Equal(1, builds);
            Assert.Equal(a.Weights.Span.ToArray(), b.Weights.Span.ToArray());
            cache.GetOrBuild("m", ["cat", "cow"], ["a {}"], () => Build(["cat", "cow"]));
            cache.GetOrBuild("other-model", ["cat", "dog"], ["a {}"], () => Build(["cat", "dog"]));
            Assert.Equal(3, builds);
        }
        finally { Directory.Delete(dir, true); }
    }
}
