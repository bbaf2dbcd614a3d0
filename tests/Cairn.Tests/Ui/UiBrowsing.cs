using System.Net;
using System.Text.RegularExpressions;
using Cairn.Tests.Api;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Cairn.Tests.Ui;

/// <summary>
/// Reading the web UI's pages in-process, as HTML: a client that keeps cookies and does not follow redirects (so that a
/// test sees them), and the sign-in form filled in with its anti-forgery token.
/// </summary>
internal static partial class UiBrowsing
{
    public static HttpClient Browser(this CairnApp app) =>
        app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    /// <summary>GETs a page that must render (200), returning its HTML.</summary>
    public static async Task<string> PageAsync(this HttpClient browser, string url)
    {
        using var response = await browser.GetAsync(url);
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {url} answered {(int)response.StatusCode}: {html[..Math.Min(html.Length, 2000)]}");
        Assert.StartsWith("text/html", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        return html;
    }

    /// <summary>Posts a form of <paramref name="formPage"/> (its anti-forgery token included) to <paramref name="action"/>.</summary>
    public static async Task<HttpResponseMessage> PostFormAsync(this HttpClient browser, string formPage, string action, IEnumerable<KeyValuePair<string, string>> fields)
    {
        var html = await browser.PageAsync(formPage);
        var token = AntiforgeryField().Match(html);
        Assert.True(token.Success, $"No anti-forgery token on {formPage}.");
        var all = fields.Append(KeyValuePair.Create("__RequestVerificationToken", WebUtility.HtmlDecode(token.Groups["value"].Value)));
        return await browser.PostAsync(action, new FormUrlEncodedContent(all));
    }

    public static async Task<HttpResponseMessage> SignInAsync(this HttpClient browser, string token, string returnUrl = "/") =>
        await browser.PostFormAsync("/signin", "/signin", [KeyValuePair.Create("token", token), KeyValuePair.Create("return", returnUrl)]);

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"(?<value>[^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
