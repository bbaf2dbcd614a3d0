using System.Net;
using System.Text.RegularExpressions;
using Cairn.Governance;
using Cairn.Tests.Api;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Tests.Ui;

/// <summary>Issue 15, item 5: the admin list of tokens is paged on the server, by name, with the roles of each page's tokens.</summary>
public sealed partial class AdminTokensPagingTests(CairnApp app) : IClassFixture<CairnApp>
{
    private ApiTokens Tokens => app.Services.GetRequiredService<ApiTokens>();

    [GeneratedRegex("<td class=\"mono strong\">(?<name>aaa-page-[0-9]+)")]
    private static partial Regex TokenName();

    [GeneratedRegex("href=\"(?<next>/admin/tokens\\?page=[^\"]+)\"")]
    private static partial Regex NextLink();

    [Fact]
    public async Task The_tokens_page_shows_fifty_by_name_and_links_to_the_rest()
    {
        var admin = Caller.Admin("paging");
        var names = Enumerable.Range(0, 52).Select(i => $"aaa-page-{i:D3}").ToList();
        foreach (var name in names)
        {
            await Tokens.CreateAsync(admin, name, "reader", "/team", default);
        }
        var browser = app.Browser();

        var first = await browser.PageAsync("/admin/tokens");
        var next = WebUtility.HtmlDecode(NextLink().Match(first).Groups["next"].Value);
        var second = await browser.PageAsync(next);

        var onFirst = TokenName().Matches(first).Select(m => m.Groups["name"].Value).ToList();
        var onSecond = TokenName().Matches(second).Select(m => m.Groups["name"].Value).ToList();
        Assert.Equal(50, onFirst.Count);
        Assert.Equal(names, onFirst.Concat(onSecond).ToList());
        Assert.Contains("reader<span class=\"chip-value\">/team</span>", second, StringComparison.Ordinal);
        Assert.DoesNotMatch(NextLink(), second);
    }

    [Fact]
    public async Task The_library_pages_tokens_with_their_roles_and_refuses_a_foreign_page_token()
    {
        var admin = Caller.Admin("paging");
        await Tokens.CreateAsync(admin, $"lib-{Guid.NewGuid():N}", "writer", "/lib", default);
        var all = await Tokens.ListAsync(admin, default);

        var paged = new List<ApiToken>();
        string? token = null;
        do
        {
            var page = await Tokens.ListPageAsync(admin, 3, token, default);
            paged.AddRange(page.Tokens);
            token = page.NextPageToken;
        }
        while (token is not null);

        Assert.Equal(all.Select(t => (t.Name, string.Join(',', t.Grants))), paged.Select(t => (t.Name, string.Join(',', t.Grants))));
        await Assert.ThrowsAsync<InvalidParameterException>(() => Tokens.ListPageAsync(admin, 3, "bogus", default));
        using var bad = await app.Browser().GetAsync("/admin/tokens?page=bogus");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }
}
