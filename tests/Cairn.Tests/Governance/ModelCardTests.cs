using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Cairn.Tests.Api;

namespace Cairn.Tests.Cards;

/// <summary>
/// Model cards over the native API with separate tokens: an admin who sets up, two writers, two approvers and a
/// reader scoped to the model's namespace. Runs on SQLite and, with CAIRN_TEST_POSTGRES, on PostgreSQL.
/// </summary>
public sealed class ModelCardTests(CardPeople people) : IClassFixture<CardPeople>
{
    private readonly TokenAuthApp _app = people.App;
    private readonly HttpClient _admin = people.Admin;
    private readonly HttpClient _writer = people.Writer;
    private readonly HttpClient _writer2 = people.Writer2;
    private readonly HttpClient _approver = people.Approver;
    private readonly HttpClient _approver2 = people.Approver2;
    private readonly HttpClient _reader = people.Reader;

    /// <summary>A model in /risk with a version registered from a training execution that read a dataset, and an evaluation run that read the version.</summary>
    private Task<string> ModelWithLineageAsync() => people.ModelWithLineageAsync();

    internal static async Task<string> ModelWithLineageAsync(HttpClient _admin)
    {
        var name = "scorer_" + Guid.NewGuid().ToString("N")[..8];
        var full = $"risk.{name}";
        await (await _admin.PostJsonAsync("/api/v1/models", new { @namespace = "/risk", model_name = name, description = "Scores card fraud.", owner = "fraud-team" })).ExpectAsync(201);
        var lake = "s3://lake-" + name;
        await (await _admin.PostJsonAsync("/api/v1/datasets", new
        {
            @namespace = lake,
            name = "claims/train",
            version = "2026-11",
            location = $"{lake}/claims/train",
            schema = new[] { new { name = "amount", type = "double" } },
        })).ExpectAsync(201);
        await (await _admin.PostJsonAsync("/api/v1/datasets", new { @namespace = lake, name = "claims/holdout" })).ExpectAsync(201);
        var trainRun = Guid.NewGuid().ToString();
        await (await _admin.PostJsonAsync("/api/v1/executions", new
        {
            run_id = trainRun,
            type = "training",
            job_namespace = "ml",
            job_name = "train-" + name,
            state = "COMPLETE",
            inputs = new[] { $"dataset:{lake}:claims/train" },
        })).ExpectAsync(201);
        await (await _admin.PostJsonAsync($"/api/v1/models/{full}/versions", new
        {
            run_id = trainRun,
            framework = "sklearn",
            semver = "1.2.0",
            description = "Gradient boosting on 2026-11 claims.",
            metrics = new { auc = 0.91, f1 = 0.8 },
        })).ExpectAsync(201);
        await (await _admin.PostJsonAsync("/api/v1/executions", new
        {
            run_id = Guid.NewGuid().ToString(),
            type = "evaluation",
            job_namespace = "ml",
            job_name = "eval-" + name,
            state = "COMPLETE",
            inputs = new[] { $"model:{full}:1", $"dataset:{lake}:claims/holdout" },
        })).ExpectAsync(201);
        return full;
    }

    private static string Card(string model) => $"/api/v1/models/{model}/versions/1/card";

    internal static object FullCard(string overview = "Flags likely fraudulent claims.") => new
    {
        risk_rating = "High",
        sections = new
        {
            model_details = new
            {
                overview,
                documentation = "Trained weekly.",
                owners = new[] { new { name = "Ana Silva", contact = "ana@example.com" } },
                licenses = new[] { new { identifier = "proprietary" } },
                references = new[] { new { reference = "https://wiki.example.com/fraud" } },
                version = new { diff = "New features: merchant age." },
            },
            model_parameters = new { model_architecture = "Gradient-boosted trees", input_format = "claim record" },
            quantitative_analysis = new
            {
                performance_metrics = new[] { new { type = "auc", value = "0.89", slice = "new customers", confidence_interval = new { lower_bound = "0.86", upper_bound = "0.92" } } },
            },
            considerations = new
            {
                limitations = new[] { new { description = "Claims above 100k are rare in training." } },
                ethical_considerations = new[] { new { name = "Disparate impact by region", mitigation_strategy = "Quarterly fairness review." } },
            },
            intended_uses = new
            {
                primary_uses = new[] { "Prioritise claims for manual review" },
                primary_users = new[] { "Claims investigators" },
                out_of_scope_uses = new[] { "Automatic denial of claims" },
            },
        },
    };

    [Fact]
    public async Task A_version_without_a_card_has_an_empty_draft_filled_from_the_registry()
    {
        var model = await ModelWithLineageAsync();

        var card = await (await _writer.GetAsync(Card(model))).ExpectAsync(200);

        Assert.Equal("Draft", (string?)card["status"]);
        Assert.Equal("Unknown", (string?)card["risk_rating"]);
        Assert.Empty(card["sections"]!.AsObject());
        Assert.All(card["filled"]!.AsObject(), f => Assert.False((bool)f.Value!));
        var registry = card["registry"]!.AsObject();
        Assert.Equal(model, (string?)registry["full_name"]);
        Assert.Equal("/risk", (string?)registry["namespace"]);
        Assert.Equal(1, (int?)registry["version"]);
        Assert.Equal("1.2.0", (string?)registry["semver"]);
        Assert.Equal("Gradient boosting on 2026-11 claims.", (string?)registry["description"]);
        Assert.Equal("fraud-team", (string?)registry["owners"]![0]);
        Assert.Equal("sklearn", (string?)registry["framework"]);
        Assert.Equal(0.91, (double?)registry["metrics"]!["auc"]);
        Assert.True((bool)registry["lineage_visible"]!);
        var training = Assert.Single(registry["training_datasets"]!.AsArray());
        Assert.Equal("claims/train", (string?)training!["name"]);
        Assert.True((bool)training["has_schema"]!);
        Assert.Equal("2026-11", (string?)training["dataset_version"]);
        var evaluation = Assert.Single(registry["evaluation_datasets"]!.AsArray());
        Assert.Equal("claims/holdout", (string?)evaluation!["name"]);
        Assert.False((bool)evaluation["has_schema"]!);
        Assert.Empty(registry["approvals"]!.AsArray());
    }

    [Fact]
    public async Task A_reader_of_the_namespace_reads_the_card_without_the_lineage_it_may_not_see()
    {
        var model = await ModelWithLineageAsync();

        var card = await (await _reader.GetAsync(Card(model))).ExpectAsync(200);

        Assert.False((bool)card["registry"]!["lineage_visible"]!);
        Assert.Empty(card["registry"]!["training_datasets"]!.AsArray());
        Assert.Equal("sklearn", (string?)card["registry"]!["framework"]);
    }

    [Fact]
    public async Task Writing_the_card_fills_its_sections_and_rates_its_risk()
    {
        var model = await ModelWithLineageAsync();

        var card = await (await _writer.PutJsonAsync(Card(model), FullCard())).ExpectAsync(200);

        Assert.Equal("High", (string?)card["risk_rating"]);
        Assert.Equal("Draft", (string?)card["status"]);
        foreach (var section in new[] { "model_details", "model_parameters", "quantitative_analysis", "considerations", "intended_uses", "risk_rating" })
        {
            Assert.True((bool)card["filled"]![section]!, section);
        }
        Assert.Equal("Flags likely fraudulent claims.", (string?)card["sections"]!["model_details"]!["overview"]);
        Assert.Equal("card-writer", (string?)card["review"]!["updated_by"]);
        // Replaced, not merged: a second write with one section leaves only that one.
        var second = await (await _writer.PutJsonAsync(Card(model), new { sections = new { intended_uses = new { primary_uses = new[] { "x" } } } })).ExpectAsync(200);
        Assert.Equal(["intended_uses"], second["sections"]!.AsObject().Select(p => p.Key));
        Assert.Equal("Unknown", (string?)second["risk_rating"]);
        Assert.False((bool)second["filled"]!["model_details"]!);
    }

    [Fact]
    public async Task A_section_with_only_blank_strings_and_empty_lists_is_not_filled()
    {
        var model = await ModelWithLineageAsync();

        var card = await (await _writer.PutJsonAsync(Card(model), new
        {
            sections = new { model_details = new { overview = "  ", owners = Array.Empty<object>() }, considerations = new { users = new[] { new { description = "analysts" } } } },
        })).ExpectAsync(200);

        Assert.False((bool)card["filled"]!["model_details"]!);
        Assert.True((bool)card["filled"]!["considerations"]!);
    }

    public static TheoryData<string, string> InvalidCards => new()
    {
        { """{"sections": {"model_detail": {}}}""", "sections.model_detail" },
        { """{"sections": {"model_details": {"overveiw": "x"}}}""", "sections.model_details.overveiw" },
        { """{"sections": {"model_details": {"overview": 3}}}""", "sections.model_details.overview" },
        { """{"sections": {"model_details": "x"}}""", "sections.model_details" },
        { """{"sections": {"model_details": {"owners": {"name": "a"}}}}""", "sections.model_details.owners" },
        { """{"sections": {"model_details": {"owners": [{"name": "a", "email": "b"}]}}}""", "sections.model_details.owners[0].email" },
        { """{"sections": {"model_details": {"licenses": [{"identifier": "MIT", "custom_text": "x"}]}}}""", "sections.model_details.licenses[0]" },
        { """{"sections": {"model_details": {"references": [{"reference": "not a uri"}]}}}""", "sections.model_details.references[0].reference" },
        { """{"sections": {"model_details": {"version": {"date": "2026/12/06"}}}}""", "sections.model_details.version.date" },
        { """{"sections": {"quantitative_analysis": {"performance_metrics": [{"type": "auc", "value": 0.9}]}}}""", "sections.quantitative_analysis.performance_metrics[0].value" },
        { """{"sections": {"intended_uses": {"primary_uses": ["a", 1]}}}""", "sections.intended_uses.primary_uses[1]" },
        { """{"sections": {}, "risk_rating": "Severe"}""", "risk_rating" },
    };

    [Theory]
    [MemberData(nameof(InvalidCards))]
    public async Task An_invalid_card_is_refused_naming_the_field(string body, string field)
    {
        var model = await ModelWithLineageAsync();

        var problem = await (await _writer.SendRawAsync(HttpMethod.Put, Card(model), body)).ExpectAsync(400, "INVALID_PARAMETER_VALUE");

        Assert.Contains($"'{field}'", (string?)problem["detail"], StringComparison.Ordinal);
        // Nothing was written.
        Assert.Null((await (await _writer.GetAsync(Card(model))).ExpectAsync(200))["review"]!["updated_by"]);
    }

    [Fact]
    public async Task Strings_and_lists_are_bounded()
    {
        var model = await ModelWithLineageAsync();

        var longText = await (await _writer.PutJsonAsync(Card(model), new { sections = new { model_details = new { documentation = new string('x', 64 * 1024 + 1) } } })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("at most 65536", (string?)longText["detail"], StringComparison.Ordinal);
        var manyItems = await (await _writer.PutJsonAsync(Card(model), new { sections = new { intended_uses = new { primary_users = Enumerable.Repeat("u", 1001).ToArray() } } })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("at most 1000", (string?)manyItems["detail"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Readers_may_not_write_and_writers_may_not_approve_or_return()
    {
        var model = await ModelWithLineageAsync();
        await (await _reader.PutJsonAsync(Card(model), FullCard())).ExpectAsync(403, "PERMISSION_DENIED");
        await (await _writer.PutJsonAsync(Card(model), FullCard())).ExpectAsync(200);
        await (await _reader.PostJsonAsync(Card(model) + "/submit", new { })).ExpectAsync(403, "PERMISSION_DENIED");
        await (await _writer.PostJsonAsync(Card(model) + "/submit", new { })).ExpectAsync(200);

        await (await _writer2.PostJsonAsync(Card(model) + "/approve", new { })).ExpectAsync(403, "PERMISSION_DENIED");
        await (await _writer2.PostJsonAsync(Card(model) + "/return", new { comment = "no" })).ExpectAsync(403, "PERMISSION_DENIED");
    }

    [Fact]
    public async Task A_card_goes_from_draft_to_review_to_approved_with_four_eyes()
    {
        var model = await ModelWithLineageAsync();
        // Nothing to submit before a card is written.
        await (await _writer.PostJsonAsync(Card(model) + "/submit", new { })).ExpectAsync(409, "INVALID_STATE");
        // An approver writes the card (approvers hold the writer's powers) and a writer submits it.
        await (await _approver.PutJsonAsync(Card(model), FullCard())).ExpectAsync(200);
        await (await _approver2.PostJsonAsync(Card(model) + "/approve", new { })).ExpectAsync(409, "INVALID_STATE");
        var submitted = await (await _writer.PostJsonAsync(Card(model) + "/submit", new { comment = "Ready for review." })).ExpectAsync(200);
        Assert.Equal("PendingReview", (string?)submitted["status"]);
        Assert.Equal("card-writer", (string?)submitted["review"]!["submitted_by"]);
        Assert.Equal("Ready for review.", (string?)submitted["review"]!["comment"]);
        await (await _writer.PostJsonAsync(Card(model) + "/submit", new { })).ExpectAsync(409, "INVALID_STATE");

        // The approver who last edited it may not approve it.
        var own = await (await _approver.PostJsonAsync(Card(model) + "/approve", new { })).ExpectAsync(403, "PERMISSION_DENIED");
        Assert.Contains("four-eyes", (string?)own["detail"], StringComparison.Ordinal);

        var approved = await (await _approver2.PostJsonAsync(Card(model) + "/approve", new { comment = "Checked against the validation report." })).ExpectAsync(200);
        Assert.Equal("Approved", (string?)approved["status"]);
        Assert.Equal("card-approver-2", (string?)approved["review"]!["approved_by"]);
        Assert.NotNull(approved["review"]!["approved_at"]);
        await (await _approver2.PostJsonAsync(Card(model) + "/approve", new { })).ExpectAsync(409, "INVALID_STATE");
    }

    [Fact]
    public async Task The_submitter_may_not_approve_the_card_either()
    {
        var model = await ModelWithLineageAsync();
        await (await _writer.PutJsonAsync(Card(model), FullCard())).ExpectAsync(200);
        await (await _approver.PostJsonAsync(Card(model) + "/submit", new { })).ExpectAsync(200);

        var problem = await (await _approver.PostJsonAsync(Card(model) + "/approve", new { })).ExpectAsync(403, "PERMISSION_DENIED");

        Assert.Contains("submitted it", (string?)problem["detail"], StringComparison.Ordinal);
        await (await _approver2.PostJsonAsync(Card(model) + "/approve", new { })).ExpectAsync(200);
    }

    [Fact]
    public async Task Editing_a_card_under_review_or_approved_sets_it_back_to_draft()
    {
        var model = await ModelWithLineageAsync();
        await (await _writer.PutJsonAsync(Card(model), FullCard())).ExpectAsync(200);
        await (await _writer.PostJsonAsync(Card(model) + "/submit", new { })).ExpectAsync(200);

        var edited = await (await _writer2.PutJsonAsync(Card(model), FullCard("Changed while under review."))).ExpectAsync(200);
        Assert.Equal("Draft", (string?)edited["status"]);
        Assert.Null(edited["review"]!["submitted_by"]);

        await (await _writer2.PostJsonAsync(Card(model) + "/submit", new { })).ExpectAsync(200);
        await (await _approver.PostJsonAsync(Card(model) + "/approve", new { })).ExpectAsync(200);
        var reopened = await (await _writer.PutJsonAsync(Card(model), FullCard("Changed after approval."))).ExpectAsync(200);

        Assert.Equal("Draft", (string?)reopened["status"]);
        Assert.Null(reopened["review"]!["approved_by"]);
        Assert.Null(reopened["review"]!["approved_at"]);
    }

    [Fact]
    public async Task Returning_a_card_needs_a_comment_and_sends_it_back_to_draft()
    {
        var model = await ModelWithLineageAsync();
        await (await _writer.PutJsonAsync(Card(model), FullCard())).ExpectAsync(200);
        await (await _approver.PostJsonAsync(Card(model) + "/return", new { comment = "too early" })).ExpectAsync(409, "INVALID_STATE");
        await (await _writer.PostJsonAsync(Card(model) + "/submit", new { })).ExpectAsync(200);

        var missing = await (await _approver.PostJsonAsync(Card(model) + "/return", new { })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("'comment'", (string?)missing["detail"], StringComparison.Ordinal);

        var returned = await (await _approver.PostJsonAsync(Card(model) + "/return", new { comment = "Add the fairness review results." })).ExpectAsync(200);
        Assert.Equal("Draft", (string?)returned["status"]);
        Assert.Equal("card-approver", (string?)returned["review"]!["returned_by"]);
        Assert.Equal("Add the fairness review results.", (string?)returned["review"]!["comment"]);
        Assert.Null(returned["review"]!["submitted_by"]);
    }

    [Fact]
    public async Task Every_card_change_is_an_audit_entry_and_an_event()
    {
        var model = await ModelWithLineageAsync();
        await (await _writer.PutJsonAsync(Card(model), FullCard())).ExpectAsync(200);
        await (await _writer.PostJsonAsync(Card(model) + "/submit", new { })).ExpectAsync(200);
        await (await _approver.PostJsonAsync(Card(model) + "/return", new { comment = "More detail." })).ExpectAsync(200);
        await (await _writer.PostJsonAsync(Card(model) + "/submit", new { })).ExpectAsync(200);
        await (await _approver.PostJsonAsync(Card(model) + "/approve", new { })).ExpectAsync(200);

        var feed = await (await _admin.GetAsync("/api/v1/events?types=model_card.*&max_results=1000")).ExpectAsync(200);
        var mine = feed["events"]!.AsArray().Where(e => (string?)e!["resource"] == $"models/{model}/versions/1/card").ToList();
        Assert.Equal(["model_card.updated", "model_card.submitted", "model_card.returned", "model_card.submitted", "model_card.approved"],
            mine.Select(e => (string?)e!["type"]));
        Assert.All(mine, e => Assert.Equal("/risk", (string?)e!["namespace"]));
        Assert.Equal("More detail.", (string?)mine[2]!["payload"]!["comment"]);
        Assert.Equal("Approved", (string?)mine[4]!["payload"]!["status"]);
        var verify = await (await _admin.GetAsync("/api/v1/audit/verify")).ExpectAsync(200);
        Assert.True((bool)verify["valid"]!);
    }

    [Fact]
    public async Task The_card_lists_the_versions_promotion_requests_and_their_reviews()
    {
        var model = await ModelWithLineageAsync();
        var versionId = await _app.ScalarAsync<long>($"SELECT v.id FROM model_versions v JOIN models m ON m.id = v.model_id WHERE m.full_name = '{model}' AND v.version = 1");
        // The promotions service is written elsewhere: its tables, as migration 0016 defines them, are filled here.
        await _app.ExecuteSqlAsync($$"""
            INSERT INTO promotion_requests (id, model_id, model, namespace, version_id, version, target_kind, target, status, requested_by, requested_at, rule, policy_source, decided_at, decided_by)
            SELECT 'pr-1', model_id, '{{model}}', '/risk', id, 1, 'Stage', 'Production', 'APPLIED', 'card-writer', 1765000000000, '{}', '/risk', 1765000600000, 'card-approver'
            FROM model_versions WHERE id = {{versionId}};
            INSERT INTO promotion_reviews (request_id, reviewer, verdict, comment, at) VALUES ('pr-1', 'card-approver', 'APPROVE', 'Gates passed.', 1765000500000);
            INSERT INTO promotion_reviews (request_id, reviewer, verdict, comment, at) VALUES ('pr-1', 'card-approver-2', 'APPROVE', NULL, 1765000600000);
            """);

        var card = await (await _reader.GetAsync(Card(model))).ExpectAsync(200);

        var request = Assert.Single(card["registry"]!["approvals"]!.AsArray());
        Assert.Equal("pr-1", (string?)request!["request_id"]);
        Assert.Equal("Production", (string?)request["target"]);
        Assert.Equal("Applied", (string?)request["status"]);
        Assert.Equal(["card-approver", "card-approver-2"], request["reviews"]!.AsArray().Select(r => (string?)r!["reviewer"]));
        Assert.Equal("Gates passed.", (string?)request["reviews"]![0]!["comment"]);
    }

    [Fact]
    public async Task A_card_of_a_missing_version_is_a_404_and_a_bad_number_a_400()
    {
        var model = await ModelWithLineageAsync();

        await (await _writer.GetAsync($"/api/v1/models/{model}/versions/9/card")).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        await (await _writer.PutJsonAsync($"/api/v1/models/{model}/versions/9/card", FullCard())).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        await (await _writer.GetAsync($"/api/v1/models/{model}/versions/x/card")).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await _writer.GetAsync($"/api/v1/models/risk.nope/versions/1/card")).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
    }
}

/// <summary>One server with token auth and the people of the card tests, each with their own token.</summary>
public sealed class CardPeople : IAsyncLifetime
{
    public TokenAuthApp App { get; } = new();
    public HttpClient Admin { get; private set; } = null!;
    public HttpClient Writer { get; private set; } = null!;
    public HttpClient Writer2 { get; private set; } = null!;
    public HttpClient Approver { get; private set; } = null!;
    public HttpClient Approver2 { get; private set; } = null!;
    public HttpClient Reader { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Admin = App.ClientWithToken(await App.TokenAsync("card-admin", "admin"));
        Writer = App.ClientWithToken(await App.TokenAsync("card-writer", "writer"));
        Writer2 = App.ClientWithToken(await App.TokenAsync("card-writer-2", "writer"));
        Approver = App.ClientWithToken(await App.TokenAsync("card-approver", "approver"));
        Approver2 = App.ClientWithToken(await App.TokenAsync("card-approver-2", "approver"));
        Reader = App.ClientWithToken(await App.TokenAsync("card-reader", "reader", "/risk"));
    }

    /// <summary>A new model with version 1 and its lineage (ModelCardTests.ModelWithLineageAsync).</summary>
    public Task<string> ModelWithLineageAsync() => ModelCardTests.ModelWithLineageAsync(Admin);

    public Task DisposeAsync()
    {
        App.Dispose();
        return Task.CompletedTask;
    }
}
