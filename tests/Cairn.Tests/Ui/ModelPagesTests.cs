using System.Net;
using System.Text.RegularExpressions;
using Cairn.Tests.Api;

namespace Cairn.Tests.Ui;

/// <summary>
/// Issue 15: the model page (catalog record, versions, aliases and their rollback, stage history), the version page
/// (files and their download, signature, metrics, lineage, audit trail) and the comparison of versions.
/// </summary>
public sealed partial class ModelPagesTests(CairnApp app) : IClassFixture<CairnApp>
{
    private readonly HttpClient _api = app.CreateClient();

    /// <summary>A model under /ui-models with <paramref name="versions"/> versions, each with metrics and params.</summary>
    private async Task<string> ModelAsync(string name, int versions = 0, object? extra = null)
    {
        var body = new Dictionary<string, object?> { ["namespace"] = "/ui-models", ["model_name"] = name, ["owner"] = "ana" };
        foreach (var property in extra?.GetType().GetProperties() ?? [])
        {
            body[property.Name] = property.GetValue(extra);
        }
        await (await _api.PostJsonAsync("/api/v1/models", body)).ExpectAsync(201);
        var fullName = $"ui-models.{name}";
        for (var i = 1; i <= versions; i++)
        {
            await (await _api.PostJsonAsync($"/api/v1/models/{fullName}/versions", new
            {
                semver = $"1.{i}.0",
                metrics = new Dictionary<string, double> { ["accuracy"] = 0.8 + (i / 100.0), ["loss"] = 0.5, ["f1"] = 0.7 },
                @params = new Dictionary<string, string> { ["lr"] = i == 1 ? "0.01" : "0.001", ["epochs"] = "10" },
                tags = new Dictionary<string, string> { ["data"] = "v" + i },
            })).ExpectAsync(201);
        }
        return fullName;
    }

    private static async Task<(HttpStatusCode Status, string Html)> GetAsync(HttpClient browser, string url)
    {
        using var response = await browser.GetAsync(url);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_model_page_renders_markdown_sanitised_masks_secrets_and_shows_the_inference_schema_as_a_table()
    {
        var model = await ModelAsync("record", extra: new
        {
            description = "## Detector\n**Finds** things. <script>alert('x')</script> [bad](javascript:alert(1)) [docs](https://example.com/docs)",
            url = "javascript:alert(3)",
            data_sources = new[]
            {
                new { name = "events", type = "postgres", connection = new Dictionary<string, object> { ["host"] = "db", ["password"] = "hunter2", ["dsn"] = "postgres://app:s3cr3t@db/events" } },
            },
            inference = new
            {
                input = new { description = "One row per image", schema = new { type = "object", properties = new { width = new { type = "integer" } }, required = new[] { "width" } } },
                output = new { schema = new[] { new { name = "score", type = "float" } } },
            },
            tags = new Dictionary<string, string> { ["team"] = "vision" },
        });

        var html = await app.Browser().PageAsync($"/models/{model}");

        Assert.Contains("<h2>Detector</h2>", html, StringComparison.Ordinal);
        Assert.Contains("<strong>Finds</strong>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>alert", html, StringComparison.Ordinal);
        // Neither the markdown link nor the model's url becomes a javascript: link (the url is shown as text).
        Assert.DoesNotContain("href=\"javascript:", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("href=\"https://example.com/docs\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", html, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", html, StringComparison.Ordinal);
        Assert.Contains("postgres://app:****@db/events", html, StringComparison.Ordinal);
        Assert.Matches("<td class=\"mono\">width</td><td class=\"mono\">integer</td><td class=\"muted\">required</td>", html);
        Assert.Matches("<td class=\"mono\">score</td><td class=\"mono\">float</td>", html);
        Assert.Contains("href=\"/models?filter=tags.team%20%3D%20%27vision%27\"", html, StringComparison.Ordinal);
        // Breadcrumb: models / namespace / model.
        Assert.Contains("<a href=\"/models?ns=%2Fui-models\">ui-models</a>", html, StringComparison.Ordinal);
        Assert.Contains("<span aria-current=\"page\">record</span>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_versions_table_has_semver_stage_aliases_key_metrics_and_a_compare_form()
    {
        var model = await ModelAsync("table", versions: 3);
        await (await _api.PutJsonAsync($"/api/v1/models/{model}/aliases/champion", new { version = 2 })).ExpectAsync(200);
        await (await _api.PostJsonAsync($"/api/v1/models/{model}/versions/3/stage", new { stage = "Staging", comment = "canary" })).ExpectAsync(200);

        var html = await app.Browser().PageAsync($"/models/{model}");

        Assert.Contains($"<form method=\"get\" action=\"/models/{model}/compare\">", html, StringComparison.Ordinal);
        Assert.Contains("name=\"v\" value=\"3\"", html, StringComparison.Ordinal);
        Assert.Contains("Compare selected", html, StringComparison.Ordinal);
        Assert.Contains("1.2.0", html, StringComparison.Ordinal);
        foreach (var metric in new[] { "accuracy", "f1", "loss" })
        {
            Assert.Contains($">{metric}</th>", html, StringComparison.Ordinal);
        }
        Assert.Contains("<td class=\"num\">0.83</td>", html, StringComparison.Ordinal);
        Assert.Contains("<span class=\"badge staging\">Staging</span>", html, StringComparison.Ordinal);
        Assert.Contains("<span class=\"chip alias\">champion</span>", html, StringComparison.Ordinal);
        // Stage history: the transition with its comment.
        Assert.Contains("canary", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_alias_shows_its_history_and_a_writer_rolls_it_back_with_the_form()
    {
        var model = await ModelAsync("rollback", versions: 2);
        await (await _api.PutJsonAsync($"/api/v1/models/{model}/aliases/champion", new { version = 1 })).ExpectAsync(200);
        await (await _api.PutJsonAsync($"/api/v1/models/{model}/aliases/champion", new { version = 2 })).ExpectAsync(200);
        var browser = app.Browser();
        var page = $"/models/{model}";

        var html = await browser.PageAsync(page);
        Assert.Contains("v1 &#x2192; v2", html, StringComparison.Ordinal);
        Assert.Contains("Roll back to v1", html, StringComparison.Ordinal);

        using var posted = await browser.PostFormAsync(page, page, [KeyValuePair.Create("_handler", "alias-rollback"), KeyValuePair.Create("RollbackAlias", "champion")]);
        Assert.Equal(HttpStatusCode.Redirect, posted.StatusCode);
        Assert.EndsWith($"{page}#aliases", posted.Headers.Location?.OriginalString, StringComparison.Ordinal);
        Assert.Equal(1, (int)(await (await _api.GetAsync($"/api/v1/models/{model}/aliases/champion")).ExpectAsync(200))["version"]!);
        Assert.Contains("v2 &#x2192; v1", await browser.PageAsync(page), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rollback_without_the_anti_forgery_token_is_refused_and_changes_nothing()
    {
        var model = await ModelAsync("csrf", versions: 2);
        await (await _api.PutJsonAsync($"/api/v1/models/{model}/aliases/champion", new { version = 1 })).ExpectAsync(200);
        await (await _api.PutJsonAsync($"/api/v1/models/{model}/aliases/champion", new { version = 2 })).ExpectAsync(200);

        using var posted = await app.Browser().PostAsync($"/models/{model}", new FormUrlEncodedContent(
            [KeyValuePair.Create("_handler", "alias-rollback"), KeyValuePair.Create("RollbackAlias", "champion")]));

        Assert.Equal(HttpStatusCode.BadRequest, posted.StatusCode);
        Assert.Equal(2, (int)(await (await _api.GetAsync($"/api/v1/models/{model}/aliases/champion")).ExpectAsync(200))["version"]!);
    }

    [Fact]
    public async Task A_failed_rollback_shows_the_services_reason_on_the_page()
    {
        var model = await ModelAsync("norollback", versions: 1);
        await (await _api.PutJsonAsync($"/api/v1/models/{model}/aliases/champion", new { version = 1 })).ExpectAsync(200);
        var page = $"/models/{model}";

        using var posted = await app.Browser().PostFormAsync(page, page, [KeyValuePair.Create("_handler", "alias-rollback"), KeyValuePair.Create("RollbackAlias", "champion")]);

        Assert.Equal(HttpStatusCode.BadRequest, posted.StatusCode);
        Assert.Contains("has no previous version to roll back to", await posted.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_model_or_version_is_a_404_page_that_says_so()
    {
        var model = await ModelAsync("known", versions: 1);
        var browser = app.Browser();

        var (status, html) = await GetAsync(browser, "/models/ui-models.nobody");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("Model &#x27;ui-models.nobody&#x27; does not exist.", html, StringComparison.Ordinal);

        (status, html) = await GetAsync(browser, $"/models/{model}/versions/9");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("Version 9 of model", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_model_without_versions_says_how_to_register_one()
    {
        var model = await ModelAsync("empty");
        var html = await app.Browser().PageAsync($"/models/{model}");
        Assert.Contains("No versions yet.", html, StringComparison.Ordinal);
        Assert.Contains("No aliases.", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_version_page_lists_files_that_download_with_their_bytes_and_shows_metrics_params_parent_and_audit()
    {
        var model = await ModelAsync("files", versions: 1);
        await (await _api.PostJsonAsync($"/api/v1/models/{model}/versions", new { status = "PENDING_REGISTRATION", parent_version = 1, metrics = new { auc = 0.91 }, @params = new { depth = "6" } })).ExpectAsync(201);
        var bytes = "weights of the detector"u8.ToArray();
        await (await _api.PutAsync($"/api/v1/models/{model}/versions/2/files/weights/model%20v2.bin", new ByteArrayContent(bytes))).ExpectAsync(201);
        var browser = app.Browser();

        var html = await browser.PageAsync($"/models/{model}/versions/2");

        Assert.Contains("weights/model v2.bin", html, StringComparison.Ordinal);
        Assert.Contains("23 B", html, StringComparison.Ordinal);
        Assert.Contains(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), html, StringComparison.Ordinal);
        var link = DownloadLink().Match(html);
        Assert.True(link.Success, "No download link.");
        Assert.Equal($"/models/{model}/versions/2/files/weights/model%20v2.bin", link.Groups["href"].Value);
        using var download = await browser.GetAsync(link.Groups["href"].Value);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal(bytes, await download.Content.ReadAsByteArrayAsync());

        Assert.Contains($"href=\"/models/{model}/versions/1\">v1</a>", html, StringComparison.Ordinal);
        Assert.Contains("<td>auc</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td class=\"mono\">6</td>", html, StringComparison.Ordinal);
        // The local admin sees the version's audit trail: its creation and its file.
        Assert.Contains("version.create", html, StringComparison.Ordinal);
        Assert.Contains("<span aria-current=\"page\">v2</span>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_version_page_draws_its_direct_lineage_with_links_to_the_explorer()
    {
        var model = await ModelAsync("lineage", versions: 1);
        await (await _api.PostJsonAsync("/api/v1/lineage/edges", new { source = "dataset:warehouse:images<1>", target = $"model:{model}:1" })).ExpectAsync(201);
        await (await _api.PostJsonAsync("/api/v1/lineage/edges", new { source = $"model:{model}:1", target = "job:serving:batch-score" })).ExpectAsync(201);

        var html = await app.Browser().PageAsync($"/models/{model}/versions/1");

        Assert.Contains("<svg class=\"graph\"", html, StringComparison.Ordinal);
        Assert.Contains("images&lt;1&gt;", html, StringComparison.Ordinal);
        Assert.Contains("batch-score", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/lineage?node=dataset%3Awarehouse%3Aimages%3C1%3E&amp;depth=2\"", html, StringComparison.Ordinal);
        Assert.Equal(2, Regex.Count(html, "<path class=\"edge\""));
    }

    [Fact]
    public async Task Comparing_versions_highlights_the_rows_that_differ_and_can_hide_the_rest()
    {
        var model = await ModelAsync("compare", versions: 3);
        var browser = app.Browser();

        var html = await browser.PageAsync($"/models/{model}/compare?v=1&v=2");
        Assert.Matches("<tr class=\"diff\"><th scope=\"row\" class=\"mono\">lr</th><td class=\"mono\">0.01</td><td class=\"mono\">0.001</td></tr>", html);
        Assert.Matches("<tr><th scope=\"row\" class=\"mono\">epochs</th>", html);
        Assert.Contains("<tr class=\"diff\"><th scope=\"row\" class=\"mono\">accuracy</th>", html, StringComparison.Ordinal);

        var only = await browser.PageAsync($"/models/{model}/compare?v=1&v=2&v=3&only=diff");
        Assert.Contains(">lr</th>", only, StringComparison.Ordinal);
        Assert.DoesNotContain(">epochs</th>", only, StringComparison.Ordinal);
        Assert.Contains("Show all rows", only, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("?v=1", 400, "Select at least 2 versions to compare; 1 given.")]
    [InlineData("", 400, "Select at least 2 versions to compare; 0 given.")]
    [InlineData("?v=1&v=2&v=3&v=4&v=5&v=6&v=7&v=8&v=9&v=10&v=11", 400, "Compare at most 10 versions at a time; 11 given.")]
    [InlineData("?v=1&v=x", 400, "&#x27;x&#x27; is not a version number.")]
    [InlineData("?v=1&v=7", 404, "has no version 7.")]
    public async Task Comparing_fewer_than_two_more_than_ten_or_unknown_versions_says_why(string query, int status, string message)
    {
        var model = await ModelAsync($"cmp-errors-{status}-{Math.Abs(query.GetHashCode(StringComparison.Ordinal))}", versions: 2);
        var (code, html) = await GetAsync(app.Browser(), $"/models/{model}/compare{query}");
        Assert.Equal(status, (int)code);
        Assert.Contains(message, html, StringComparison.Ordinal);
        Assert.Contains("role=\"alert\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_models_list_shows_each_models_stage_and_sorts_by_latest_version_and_stage()
    {
        var a = await ModelAsync("sort-a", versions: 1);
        var b = await ModelAsync("sort-b", versions: 3);
        await (await _api.PostJsonAsync($"/api/v1/models/{a}/versions/1/stage", new { stage = "Production" })).ExpectAsync(200);
        var browser = app.Browser();

        var byLatest = await browser.PageAsync("/models?ns=%2Fui-models&order=" + Uri.EscapeDataString("latest_version DESC"));
        Assert.True(byLatest.IndexOf(b, StringComparison.Ordinal) < byLatest.IndexOf(a, StringComparison.Ordinal), "v3 sorts before v1 descending.");
        Assert.Contains("aria-sort=\"descending\"", byLatest, StringComparison.Ordinal);

        var byStage = await browser.PageAsync("/models?ns=%2Fui-models&order=" + Uri.EscapeDataString("stage DESC"));
        Assert.True(byStage.IndexOf(a, StringComparison.Ordinal) < byStage.IndexOf(b, StringComparison.Ordinal), "Production sorts before None descending.");
        Assert.Contains("<span class=\"badge production\"", byStage, StringComparison.Ordinal);

        var production = await browser.PageAsync("/models?filter=" + Uri.EscapeDataString("stage = 'Production' AND namespace = '/ui-models'"));
        Assert.Contains(a, production, StringComparison.Ordinal);
        Assert.DoesNotContain(b, production, StringComparison.Ordinal);
    }

    [GeneratedRegex("<a href=\"(?<href>[^\"]+)\" download>")]
    private static partial Regex DownloadLink();
}

/// <summary>Issue 15: with <c>--auth token</c>, a reader sees no rollback button and the service refuses a reader's post.</summary>
public sealed class ModelPagesRoleTests(TokenAuthApp app) : IClassFixture<TokenAuthApp>
{
    [Fact]
    public async Task A_reader_is_not_offered_the_rollback_and_a_readers_post_is_refused_by_the_service()
    {
        var writer = app.ClientWithToken(await app.TokenAsync($"ui-writer-{Guid.NewGuid():N}", "writer"));
        await (await writer.PostJsonAsync("/api/v1/models", new { @namespace = "/ui-roles", model_name = "m" })).ExpectAsync(201);
        await (await writer.PostJsonAsync("/api/v1/models/ui-roles.m/versions", new { })).ExpectAsync(201);
        await (await writer.PostJsonAsync("/api/v1/models/ui-roles.m/versions", new { })).ExpectAsync(201);
        await (await writer.PutJsonAsync("/api/v1/models/ui-roles.m/aliases/champion", new { version = 1 })).ExpectAsync(200);
        await (await writer.PutJsonAsync("/api/v1/models/ui-roles.m/aliases/champion", new { version = 2 })).ExpectAsync(200);
        var browser = app.Browser();
        (await browser.SignInAsync(await app.TokenAsync($"ui-reader-{Guid.NewGuid():N}", "reader"))).Dispose();

        var html = await browser.PageAsync("/models/ui-roles.m");
        Assert.Contains("v1 &#x2192; v2", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Roll back", html, StringComparison.Ordinal);
        // A reader does not see the audit trail either (admins only).
        Assert.Contains("The audit trail is shown to admins.", await browser.PageAsync("/models/ui-roles.m/versions/1"), StringComparison.Ordinal);

        using var posted = await browser.PostFormAsync("/models/ui-roles.m", "/models/ui-roles.m",
            [KeyValuePair.Create("_handler", "alias-rollback"), KeyValuePair.Create("RollbackAlias", "champion")]);
        Assert.Equal(HttpStatusCode.Forbidden, posted.StatusCode);
        Assert.Contains("role=\"alert\"", await posted.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(2, (int)(await (await writer.GetAsync("/api/v1/models/ui-roles.m/aliases/champion")).ExpectAsync(200))["version"]!);
    }
}
