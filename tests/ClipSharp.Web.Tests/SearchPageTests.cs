using ClipSharp.Testing;
using Microsoft.Playwright;

namespace ClipSharp.Web.Tests;

/// <summary>
/// The search page in Debian's headless chromium, driven by Playwright with that browser (no browser
/// download): type a query, see the grid, click a result, see the grid update, search by an uploaded
/// file. The screenshot is saved beside the test output (search-page.png); with
/// CLIPSHARP_UPDATE_DOCS=1 it also replaces docs/search-page.png.
/// </summary>
public class SearchPageTests(IndexedServer s) : IClassFixture<IndexedServer>
{
    private const string Chromium = "/usr/bin/chromium";

    private static async Task<IBrowser> LaunchAsync(IPlaywright playwright)
    {
        if (!File.Exists(Chromium))
            throw new FileNotFoundException($"{Chromium} is missing: scripts/test.sh installs Debian's chromium package (scripts/setup.sh chromium)", Chromium);
        return await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    [Fact]
    public async Task QueryClickAndUploadUpdateTheGrid()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1100, Height = 640 } });
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);
        await page.GotoAsync(s.Server.Url);
        await Assertions.Expect(page.Locator("#info")).ToContainTextAsync("5 images");

        await page.FillAsync("#q", "a photo of a rocket");
        await page.PressAsync("#q", "Enter");
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("5 results for \"a photo of a rocket\"");
        Assert.Equal(5, await page.Locator(".hit").CountAsync());
        var scores = (await page.Locator(".hit .score").AllInnerTextsAsync()).Select(float.Parse).ToArray();
        Assert.Equal(scores.OrderByDescending(x => x), scores);
        await Assertions.Expect(page.Locator(".hit img").First).ToHaveJSPropertyAsync("complete", true);
        Assert.True(await page.Locator(".hit img").First.EvaluateAsync<int>("img => img.naturalWidth") > 0, "thumbnail did not load");

        // Clicking a result searches by that image: it comes first with score 1.
        var clicked = await page.Locator(".hit .path").Nth(2).InnerTextAsync();
        await page.Locator(".hit").Nth(2).ClickAsync();
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("images like " + clicked);
        // The status can change a moment before the grid does: wait for the grid (Expect retries).
        await Assertions.Expect(page.Locator(".hit .path").First).ToHaveTextAsync(clicked);
        await Assertions.Expect(page.Locator(".hit .score").First).ToHaveTextAsync("1.000");
        await page.WaitForFunctionAsync("[...document.querySelectorAll('.hit img')].every(i => i.complete && i.naturalWidth > 0)");
        var shot = Path.Combine(AppContext.BaseDirectory, "search-page.png");
        await page.ScreenshotAsync(new() { Path = shot });
        Assert.True(new FileInfo(shot).Length > 10_000);

        // Choosing a file searches by it.
        await page.Locator("#file").SetInputFilesAsync(Fixtures.Path("vit-tiny", "images", "chelsea.png"));
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("results for chelsea.png");
        await Assertions.Expect(page.Locator(".hit .path").First).ToHaveTextAsync("chelsea.png");

        // A bad query shows the server's error instead of a grid.
        await page.FillAsync("#q", "cat - cat");
        await page.PressAsync("#q", "Enter");
        await Assertions.Expect(page.Locator("#status.error")).ToContainTextAsync("cancel out");

        Assert.Empty(errors);
        if (Environment.GetEnvironmentVariable("CLIPSHARP_UPDATE_DOCS") == "1")
            File.Copy(shot, Path.Combine(Fixtures.RepoRoot, "docs", "search-page.png"), overwrite: true);
    }
}
