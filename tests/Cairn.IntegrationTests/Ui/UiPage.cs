using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Cairn.IntegrationTests.Ui;

/// <summary>
/// A page in a browser context of its own (see <see cref="UiBrowser.OpenAsync"/>), recording what a journey must not
/// leave behind: errors on the browser console, uncaught script errors, requests for the server's own resources that
/// failed or were answered 4xx/5xx, and requests for anything on another origin. The UI is served whole by
/// <c>cairn serve</c>, so those are refused at once (the test machine has no network; waiting for a name lookup to fail
/// would only slow the page) and recorded. Disposing it closes the context.
/// </summary>
public sealed class UiPage : IAsyncDisposable
{
    private readonly IBrowserContext _context;
    private readonly Uri _origin;
    private readonly List<string> _consoleErrors = [];
    private readonly List<string> _failedRequests = [];
    private readonly List<string> _foreignRequests = [];

    private UiPage(IBrowserContext context, IPage page, Uri baseUrl)
    {
        _context = context;
        _origin = new Uri(baseUrl.GetLeftPart(UriPartial.Authority));
        Page = page;
        page.Console += (_, message) =>
        {
            // A refused foreign request is logged as "Failed to load resource"; it is listed in ForeignRequests.
            if (message.Type == "error" && !(message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal) && !IsOwn(message.Location)))
            {
                Record(_consoleErrors, $"{message.Text} (at {message.Location})");
            }
        };
        page.PageError += (_, error) => Record(_consoleErrors, "uncaught: " + error);
        page.Response += (_, response) =>
        {
            if (response.Status >= 400 && IsOwn(response.Url))
            {
                Record(_failedRequests, $"{response.Status} {response.Request.Method} {response.Url}");
            }
        };
        page.RequestFailed += (_, request) =>
        {
            if (IsOwn(request.Url))
            {
                Record(_failedRequests, $"{request.Failure} {request.Method} {request.Url}");
            }
        };
    }

    /// <summary>Opens a page in <paramref name="context"/>, whose requests to origins other than <paramref name="baseUrl"/>'s are refused.</summary>
    internal static async Task<UiPage> OpenAsync(IBrowserContext context, Uri baseUrl)
    {
        var page = new UiPage(context, await context.NewPageAsync(), baseUrl);
        // A pattern rather than a predicate: the driver matches it, so the server's own requests are not intercepted.
        var foreign = new Regex($"^(?!{Regex.Escape(page._origin.GetLeftPart(UriPartial.Authority))}/)", RegexOptions.None, TimeSpan.FromSeconds(1));
        await context.RouteAsync(foreign, async route =>
        {
            Record(page._foreignRequests, $"{route.Request.Method} {route.Request.Url}");
            await route.AbortAsync("blockedbyclient");
        });
        return page;
    }

    public IPage Page { get; }

    /// <summary>Console errors and uncaught script errors so far, in order.</summary>
    public IReadOnlyList<string> ConsoleErrors => Snapshot(_consoleErrors);

    /// <summary>Requests for the server's own resources that failed or were answered 4xx/5xx so far, in order.</summary>
    public IReadOnlyList<string> FailedRequests => Snapshot(_failedRequests);

    /// <summary>Requests for other origins so far (refused), in order.</summary>
    public IReadOnlyList<string> ForeignRequests => Snapshot(_foreignRequests);

    /// <summary>
    /// Fails the test, listing them, if the page logged a console or script error, one of its own requests failed, or
    /// it asked for anything from another origin.
    /// </summary>
    public void AssertNoConsoleErrors()
    {
        var (console, failed, foreign) = (ConsoleErrors, FailedRequests, ForeignRequests);
        Assert.True(console.Count + failed.Count + foreign.Count == 0,
            $"The page at {Page.Url} left errors behind.\nConsole:\n  {string.Join("\n  ", console)}\n" +
            $"Failed requests:\n  {string.Join("\n  ", failed)}\nRequests to other origins:\n  {string.Join("\n  ", foreign)}");
    }

    public async ValueTask DisposeAsync() => await _context.CloseAsync();

    private bool IsOwn(string url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) && _origin.IsBaseOf(uri);

    private static void Record(List<string> list, string entry)
    {
        // Playwright raises its events on the driver connection's thread, not the test's.
        lock (list)
        {
            list.Add(entry);
        }
    }

    private static string[] Snapshot(List<string> list)
    {
        lock (list)
        {
            return [.. list];
        }
    }
}
