using System.Text.RegularExpressions;
using Cairn.Tests.Api;

namespace Cairn.Tests.Ui;

/// <summary>Issue 15: the audit page at <c>/audit</c>: filters in the URL, entries linked to what they name, the change collapsed.</summary>
public sealed class AuditPageTests(CairnApp app) : IClassFixture<CairnApp>
{
    private async Task<string> ModelWithVersionAsync(string ns, string name)
    {
        using var client = app.CreateClient();
        (await client.PostJsonAsync("/api/v1/models", new { @namespace = ns, model_name = name })).EnsureSuccessStatusCode();
        var fullName = ns.Trim('/').Replace('/', '.') + "." + name;
        (await client.PostJsonAsync($"/api/v1/models/{fullName}/versions", new { })).EnsureSuccessStatusCode();
        return fullName;
    }

    private static string Resource(string fullName) => Uri.EscapeDataString("models/" + fullName);

    [Fact]
    public async Task Entries_show_time_actor_action_and_resource_linked_to_its_page_newest_first()
    {
        var model = await ModelWithVersionAsync("/ui-audit/list", "m");
        var html = await app.Browser().PageAsync("/audit?resource=" + Resource(model));

        Assert.Contains("<title>Audit log · Cairn</title>", html, StringComparison.Ordinal);
        var created = html.IndexOf(">version.create<", StringComparison.Ordinal);
        var modelCreated = html.IndexOf(">model.create<", StringComparison.Ordinal);
        Assert.True(created > 0 && modelCreated > created, "The version's entry comes before (above) the model's.");
        Assert.Contains($"href=\"/models/{model}/versions/1\"", html, StringComparison.Ordinal);
        Assert.Contains($"href=\"/models/{model}\"", html, StringComparison.Ordinal);
        Assert.Contains(">tester<", html, StringComparison.Ordinal);
        Assert.Contains("<details class=\"audit-change\"><summary>created</summary>", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/audit/verify\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Actor_action_resource_and_time_filters_narrow_the_entries()
    {
        var kept = await ModelWithVersionAsync("/ui-audit/narrow", "kept");
        var other = await ModelWithVersionAsync("/ui-audit/narrow", "other");
        var browser = app.Browser();

        var byResource = await browser.PageAsync("/audit?resource=" + Resource(kept));
        Assert.Contains($"models/{kept}/versions/1", byResource, StringComparison.Ordinal);
        Assert.DoesNotContain(other, byResource, StringComparison.Ordinal);

        // The resource filter is the resource and everything under it: the namespace's models are not under a model.
        var byVersion = await browser.PageAsync("/audit?resource=" + Resource(kept + "/versions/1"));
        Assert.Contains("version.create", byVersion, StringComparison.Ordinal);
        Assert.DoesNotContain(">model.create<", byVersion, StringComparison.Ordinal);

        var byAction = await browser.PageAsync("/audit?action=model.create&resource=" + Resource(kept));
        Assert.Contains(">model.create<", byAction, StringComparison.Ordinal);
        Assert.DoesNotContain(">version.create<", byAction, StringComparison.Ordinal);

        var byActor = await browser.PageAsync("/audit?actor=mallory&resource=" + Resource(kept));
        Assert.DoesNotContain(">model.create<", byActor, StringComparison.Ordinal);
        Assert.Contains("No audit entry matches these filters.", byActor, StringComparison.Ordinal);
        Assert.Contains(">model.create<", await browser.PageAsync("/audit?actor=tester&resource=" + Resource(kept)), StringComparison.Ordinal);

        var before2000 = await browser.PageAsync("/audit?to=2000-01-01T00%3A00&resource=" + Resource(kept));
        Assert.Contains("No audit entry matches these filters.", before2000, StringComparison.Ordinal);
        var since2000 = await browser.PageAsync("/audit?from=2000-01-01T00%3A00&resource=" + Resource(kept));
        Assert.Contains(">model.create<", since2000, StringComparison.Ordinal);
        // The filter stays in the form, as the datetime-local field shows it.
        Assert.Contains("value=\"2000-01-01T00:00\"", since2000, StringComparison.Ordinal);
        var future = await browser.PageAsync("/audit?from=2999-01-01&resource=" + Resource(kept));
        Assert.DoesNotContain(">model.create<", future, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_time_that_does_not_parse_is_said_at_its_field()
    {
        var html = await app.Browser().PageAsync("/audit?from=yesterday");
        Assert.Contains("role=\"alert\"", html, StringComparison.Ordinal);
        Assert.Contains("From must be a time", html, StringComparison.Ordinal);
        Assert.Contains("aria-invalid=\"true\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<table", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_change_is_summarised_and_its_before_and_after_are_in_the_collapsed_details()
    {
        var model = await ModelWithVersionAsync("/ui-audit/change", "m");
        using var client = app.CreateClient();
        (await client.PostJsonAsync($"/api/v1/models/{model}/versions/1/stage", new { stage = "Staging" })).EnsureSuccessStatusCode();

        var html = await app.Browser().PageAsync("/audit?action=version.stage&resource=" + Resource(model));
        Assert.Contains("<summary>stage: None &#x2192; Staging", html, StringComparison.Ordinal);
        Assert.Contains(">Before<", html, StringComparison.Ordinal);
        Assert.Contains(">After<", html, StringComparison.Ordinal);
        Assert.Contains("&quot;stage&quot;: &quot;Staging&quot;", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Text_in_an_entry_is_encoded_never_rendered_as_markup()
    {
        var model = await ModelWithVersionAsync("/ui-audit/xss", "m");
        using var client = app.CreateClient();
        (await client.PutJsonAsync($"/api/v1/models/{model}/tags/note", new { value = "<script>alert(1)</script>" })).EnsureSuccessStatusCode();

        var html = await app.Browser().PageAsync("/audit?resource=" + Resource(model));
        Assert.DoesNotContain("<script>alert(1)</script>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_log_is_paged_on_the_server_with_the_filters_kept_in_the_next_link()
    {
        var model = await ModelWithVersionAsync("/ui-audit/paged", "m");
        using var client = app.CreateClient();
        for (var i = 0; i < 50; i++)
        {
            (await client.PutJsonAsync($"/api/v1/models/{model}/tags/step", new { value = i.ToString(System.Globalization.CultureInfo.InvariantCulture) })).EnsureSuccessStatusCode();
        }
        var browser = app.Browser();

        var first = await browser.PageAsync("/audit?resource=" + Resource(model));
        Assert.Equal(50, Regex.Count(first, "<details class=\"audit-change\">"));
        Assert.DoesNotContain(">model.create<", first, StringComparison.Ordinal);
        var next = Regex.Match(first, "href=\"(?<href>/audit\\?[^\"]*page=[^\"]+)\" rel=\"next\"").Groups["href"].Value;
        Assert.Contains("resource=" + Resource(model), next, StringComparison.Ordinal);

        var second = await browser.PageAsync(System.Net.WebUtility.HtmlDecode(next));
        Assert.Contains(">model.create<", second, StringComparison.Ordinal);
        Assert.Contains(">version.create<", second, StringComparison.Ordinal);
        Assert.Contains("« First page", second, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_page_token_that_is_not_one_is_said_and_the_page_still_renders()
    {
        var html = await app.Browser().PageAsync("/audit?page=not-a-token");
        Assert.Contains("role=\"alert\"", html, StringComparison.Ordinal);
        Assert.Contains("page_token", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verifying_an_intact_chain_shows_ok_with_the_head_and_the_count()
    {
        await ModelWithVersionAsync("/ui-audit/verify", "m");
        var browser = app.Browser();
        using var client = app.CreateClient();
        var verification = await (await client.GetAsync("/api/v1/audit/verify")).ExpectAsync(200);

        var html = await browser.PageAsync("/audit/verify");
        Assert.Contains("The audit chain is intact", html, StringComparison.Ordinal);
        Assert.Contains("badge ok", html, StringComparison.Ordinal);
        // Writes by other tests may land between the two reads; the head is at least the API's.
        var head = long.Parse(Regex.Match(html, "<dd>entry (?<seq>[0-9]+)</dd>").Groups["seq"].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(head >= (long)verification["checked"]!);
        Assert.Matches("<code class=\"hash\">[0-9a-f]{64}</code>", html);
    }
}

/// <summary>The verify page on a store whose audit log was tampered with behind the server's back (one store per test).</summary>
public sealed class AuditVerifyPageTamperingTests : IDisposable
{
    private readonly CairnApp _app = new();

    public void Dispose() => _app.Dispose();

    private async Task SeedAsync()
    {
        using var client = _app.CreateClient();
        await (await client.PostJsonAsync("/api/v1/models", new { @namespace = "/audit", model_name = "m" })).ExpectAsync(201);
        await (await client.PostJsonAsync("/api/v1/models/audit.m/versions", new { })).ExpectAsync(201);
        await (await client.PutJsonAsync("/api/v1/models/audit.m/tags/team", new { value = "risk" })).ExpectAsync(200);
    }

    [Fact]
    public async Task The_verify_page_reports_ok_then_names_the_entry_an_edit_broke()
    {
        await SeedAsync();
        var browser = _app.Browser();
        var ok = await browser.PageAsync("/audit/verify");
        Assert.Contains("The audit chain is intact: 3 entries verified", ok, StringComparison.Ordinal);
        Assert.Contains("<dd>entry 3</dd>", ok, StringComparison.Ordinal);
        var headHash = await _app.ScalarAsync<string>("SELECT hash FROM audit_head");
        Assert.Contains($"<code class=\"hash\">{headHash}</code>", ok, StringComparison.Ordinal);

        await _app.ExecuteSqlAsync("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 2");

        var broken = await browser.PageAsync("/audit/verify");
        Assert.Contains("The audit chain is broken at entry 2", broken, StringComparison.Ordinal);
        Assert.Contains("entry 2 was modified", broken, StringComparison.Ordinal);
        Assert.Contains("badge danger", broken, StringComparison.Ordinal);
        Assert.DoesNotContain("intact", broken, StringComparison.Ordinal);
        // The link to the log starting at the broken entry.
        var href = System.Net.WebUtility.HtmlDecode(Regex.Match(broken, "href=\"(?<href>/audit\\?page=[^\"]+)\"").Groups["href"].Value);
        var log = await browser.PageAsync(href);
        Assert.Contains("someone-else", log, StringComparison.Ordinal);
        Assert.DoesNotContain(">model.tag.set<", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_verify_page_reports_a_removed_tail()
    {
        await SeedAsync();
        await _app.ExecuteSqlAsync("DELETE FROM audit_log WHERE seq = 3");

        var broken = await _app.Browser().PageAsync("/audit/verify");
        Assert.Contains("The audit chain is broken at entry 3", broken, StringComparison.Ordinal);
        Assert.Contains("ends at entry 2", broken, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_store_verifies_with_no_head()
    {
        var html = await _app.Browser().PageAsync("/audit/verify");
        Assert.Contains("The audit chain is intact: 0 entries verified", html, StringComparison.Ordinal);
        Assert.Contains("none (the log is empty)", html, StringComparison.Ordinal);
        var log = await _app.Browser().PageAsync("/audit");
        Assert.Contains("The audit log is empty.", log, StringComparison.Ordinal);
    }
}
