using Cairn.Tests.Api;

namespace Cairn.Tests.Ui;

/// <summary>Issue 15: the models page at <c>/</c>: search, filter errors where they are, the namespace tree, encoding.</summary>
public sealed class ModelsPageTests(CairnApp app) : IClassFixture<CairnApp>
{
    private async Task ModelAsync(string ns, string name, object? tags = null, string? description = null)
    {
        using var client = app.CreateClient();
        (await client.PostJsonAsync("/api/v1/models", new { @namespace = ns, model_name = name, tags, description, owner = "ana" })).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task The_root_is_the_models_page_with_each_model_its_namespace_tree_and_tag_links()
    {
        await ModelAsync("/ui-root/vision", "detector", new Dictionary<string, string> { ["team"] = "vision" });
        var html = await app.Browser().PageAsync("/");

        Assert.Contains("<title>Models · Cairn</title>", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/models/ui-root.vision.detector\"", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/models?ns=%2Fui-root\"", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/models?filter=tags.team%20%3D%20%27vision%27\"", html, StringComparison.Ordinal);
        Assert.Contains("Authentication is off", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_namespace_and_a_tag_filter_narrow_the_list()
    {
        await ModelAsync("/ui-narrow/a", "kept", new Dictionary<string, string> { ["stage"] = "gold" });
        await ModelAsync("/ui-narrow/b", "other");
        var browser = app.Browser();

        var underA = await browser.PageAsync("/models?ns=%2Fui-narrow%2Fa");
        Assert.Contains("ui-narrow.a.kept", underA, StringComparison.Ordinal);
        Assert.DoesNotContain("ui-narrow.b.other", underA, StringComparison.Ordinal);

        var tagged = await browser.PageAsync("/models?filter=" + Uri.EscapeDataString("tags.stage = 'gold'"));
        Assert.Contains("ui-narrow.a.kept", tagged, StringComparison.Ordinal);
        Assert.DoesNotContain("ui-narrow.b.other", tagged, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invalid_filter_is_shown_next_to_the_field_and_the_page_still_renders()
    {
        var html = await app.Browser().PageAsync("/models?filter=" + Uri.EscapeDataString("tags.team = "));
        Assert.Contains("role=\"alert\"", html, StringComparison.Ordinal);
        Assert.Contains("Invalid filter at character", html, StringComparison.Ordinal);
        Assert.Contains("aria-invalid=\"true\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Text_a_user_wrote_is_encoded_never_rendered_as_markup()
    {
        await ModelAsync("/ui-xss", "m", new Dictionary<string, string> { ["note"] = "<script>alert(1)</script>" });
        var html = await app.Browser().PageAsync("/models?ns=%2Fui-xss");
        Assert.DoesNotContain("<script>alert(1)</script>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_no_models_in_a_namespace_the_page_says_what_to_do()
    {
        var html = await app.Browser().PageAsync("/models?ns=%2Fnothing-here");
        Assert.Contains("No model matches this search.", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_stylesheet_is_served_with_its_hash_and_cached_for_good()
    {
        var browser = app.Browser();
        var html = await browser.PageAsync("/");
        var href = System.Text.RegularExpressions.Regex.Match(html, "/ui/assets/cairn.css\\?v=[0-9a-f]+").Value;
        using var css = await browser.GetAsync(href);
        Assert.Equal(200, (int)css.StatusCode);
        Assert.Equal("text/css", css.Content.Headers.ContentType?.MediaType);
        Assert.Contains("immutable", css.Headers.CacheControl?.ToString(), StringComparison.Ordinal);
    }
}
