using System.Diagnostics;
using System.Text;
using Microsoft.Playwright;

namespace Cairn.IntegrationTests.Ui;

/// <summary>
/// Every browser test class joins this collection (<c>[Collection(UiBrowser.Collection)]</c>) and takes
/// <see cref="UiBrowser"/> in its constructor, so that the whole run shares one Chromium process.
/// </summary>
[CollectionDefinition(UiBrowser.Collection)]
public sealed class UiBrowserDefinition : ICollectionFixture<UiBrowser>;

/// <summary>The colour scheme a page is shown in (the browser's <c>prefers-color-scheme</c>).</summary>
public enum UiColorScheme
{
    Light,
    Dark,
}

/// <summary>
/// One headless Chromium for the test run: Debian's <c>/usr/bin/chromium</c>, driven by the Playwright driver that the
/// Microsoft.Playwright package copies into bin/ (.playwright: node and playwright-core). No browser is ever
/// downloaded: scripts/test installs the OS package when it is missing, and without it every UI test fails saying so.
/// Each test opens its pages in a context of its own (<see cref="OpenAsync"/>), which shares nothing with the others.
/// </summary>
public sealed class UiBrowser : IAsyncLifetime
{
    /// <summary>The xunit collection of the browser tests: <c>[Collection(UiBrowser.Collection)]</c>.</summary>
    public const string Collection = "ui";

    /// <summary>Where Debian's chromium package puts its launcher.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    // Running as root on a closed network: no sandbox (it needs an unprivileged user), and none of the background
    // connections (component updates, sync, QUIC probes, safe browsing...) that are refused many at a time and slow
    // every start.
    private static readonly string[] ChromiumArgs =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
    ];

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    /// <summary>
    /// Where <see cref="Screenshot"/> writes: CAIRN_SCREENSHOTS (a relative path is taken from the repository's root, as
    /// scripts/test does), or tests/Cairn.IntegrationTests/TestResults/screenshots, which git ignores.
    /// </summary>
    public string ScreenshotsFolder { get; } = Environment.GetEnvironmentVariable("CAIRN_SCREENSHOTS") is { Length: > 0 } folder
        ? Path.GetFullPath(folder, Repository.Root)
        : Path.Combine(Repository.Root, "tests", "Cairn.IntegrationTests", "TestResults", "screenshots");

    /// <summary>How long starting Playwright's driver and Chromium took.</summary>
    public TimeSpan LaunchTime { get; private set; }

    /// <summary>True when CAIRN_UI_HEADED=1 shows the browser on the display.</summary>
    public static bool Headed { get; } = Environment.GetEnvironmentVariable("CAIRN_UI_HEADED") == "1";

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException(
                $"The browser tests need Chromium at {ChromiumPath}: run scripts/test (it installs it), or `apt-get install chromium`. " +
                "Playwright is never allowed to download a browser of its own.");
        }
        if (Headed && Environment.GetEnvironmentVariable("DISPLAY") is null or "" && Environment.GetEnvironmentVariable("WAYLAND_DISPLAY") is null or "")
        {
            throw new InvalidOperationException("CAIRN_UI_HEADED=1 needs a display (DISPLAY or WAYLAND_DISPLAY); unset it to run headless.");
        }
        // Only `playwright install` downloads browsers and nothing here runs it; this keeps it so if anything ever does.
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        var clock = Stopwatch.StartNew();
        _playwright = await Playwright.CreateAsync();
        // Playwright gives every launch a fresh profile (user-data dir) under the temp folder and deletes it on close.
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = !Headed,
            Args = Headed ? ChromiumArgs : ["--headless", .. ChromiumArgs],
            Timeout = 60_000,
        });
        LaunchTime = clock.Elapsed;
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }
        _playwright?.Dispose();
    }

    /// <summary>
    /// A new browser context (no cookies or storage shared with other tests) and a page in it, with relative URLs
    /// resolved against <paramref name="baseUrl"/>, a 1440x900 viewport, and console errors and failed requests recorded.
    /// </summary>
    public async Task<UiPage> OpenAsync(string baseUrl, UiColorScheme colorScheme = UiColorScheme.Light)
    {
        var context = await (_browser ?? throw new InvalidOperationException("The browser is not started.")).NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseUrl,
            ViewportSize = new ViewportSize { Width = 1440, Height = 900 },
            ColorScheme = colorScheme == UiColorScheme.Dark ? ColorScheme.Dark : ColorScheme.Light,
            Locale = "en-GB",
            TimezoneId = "UTC",
        });
        // Playwright's 30 s default was once too short for a page load at the suite's peak, when the PostgreSQL tests,
        // other servers and Chromium share two cores; a wait that fails for real only fails later.
        context.SetDefaultTimeout(60_000);
        return await UiPage.OpenAsync(context, new Uri(baseUrl));
    }

    /// <summary>Signs in with an API token through the sign-in form a browser without a session is sent to.</summary>
    public static async Task SignInAsync(IPage page, string token)
    {
        await page.GotoAsync("/");
        // No session: the server sends the browser to the sign-in form.
        Assert.Contains("/signin", page.Url, StringComparison.Ordinal);
        await page.GetByLabel("API token").FillAsync(token);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/(models)?$"));
    }

    /// <summary>Saves a PNG of the page as <c>&lt;name&gt;.png</c> in <see cref="ScreenshotsFolder"/> and returns its path.</summary>
    /// <param name="page">The page to capture.</param>
    /// <param name="name">The file's name without extension, such as <c>model-versions</c>; characters other than letters, digits, '.', '-' and '_' become '-'.</param>
    /// <param name="fullPage">The whole scrollable page (default), or only what the 1440x900 viewport shows (much faster on a very long page).</param>
    public async Task<string> Screenshot(IPage page, string name, bool fullPage = true)
    {
        var safe = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            safe.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '-');
        }
        Directory.CreateDirectory(ScreenshotsFolder);
        var path = Path.Combine(ScreenshotsFolder, safe + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = fullPage, Type = ScreenshotType.Png });
        return path;
    }
}
