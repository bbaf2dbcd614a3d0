using System.Text;
using System.Text.Json.Nodes;
using Cairn.Governance.Cards;
using Cairn.Tests.Api;
using Cairn.Tests.Documents;
using NJsonSchema;
using PdfSharp.Pdf.IO;

namespace Cairn.Tests.Cards;

/// <summary>
/// The card's renderings: the Model Card Toolkit v0.0.2 JSON, validated against the toolkit's own schema
/// (tests/fixtures/mct, vendored), and the Markdown, HTML and PDF documents. The toolkit's assertions about its JSON
/// form (model_card_test.py: schema_version written by to_json, empty values left out by to_dict, render output that
/// starts with the HTML doctype and holds the overview) are ported here.
/// </summary>
public sealed class ModelCardFormatTests(CardPeople people) : IClassFixture<CardPeople>
{
    private static readonly Lazy<Task<JsonSchema>> Schema = new(() =>
        JsonSchema.FromJsonAsync(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "mct", "model_card.schema.json"))));

    private static string Card(string model) => $"/api/v1/models/{model}/versions/1/card";

    private static async Task AssertValidAsync(string json)
    {
        var errors = (await Schema.Value).Validate(json);
        Assert.True(errors.Count == 0, string.Join("; ", errors.Select(e => $"{e.Path}: {e.Kind}")) + "\n" + json);
    }

    [Fact]
    public async Task A_full_card_in_the_toolkits_form_is_valid_against_its_schema()
    {
        var model = await people.ModelWithLineageAsync();
        await (await people.Writer.PutJsonAsync(Card(model), ModelCardTests.FullCard())).ExpectAsync(200);

        // A reader of the lineage graph (reader on /: the writer) sees the datasets too.
        var response = await people.Writer.GetAsync(Card(model) + "?format=mct");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        await AssertValidAsync(text);
        var mct = JsonNode.Parse(text)!.AsObject();
        // to_json writes the latest schema version.
        Assert.Equal("0.0.2", (string?)mct["schema_version"]);
        var details = mct["model_details"]!;
        Assert.Equal(model, (string?)details["name"]);
        Assert.Equal("1.2.0 (version 1)", (string?)details["version"]!["name"]);
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}$", (string?)details["version"]!["date"]);
        Assert.Equal("New features: merchant age.", (string?)details["version"]!["diff"]);
        Assert.Equal(["fraud-team", "Ana Silva"], details["owners"]!.AsArray().Select(o => (string?)o!["name"]));
        Assert.Contains("Cairn: this card is a draft", (string?)details["documentation"], StringComparison.Ordinal);
        // The registry's metrics come first, as strings; people's sliced metric follows.
        var metrics = mct["quantitative_analysis"]!["performance_metrics"]!.AsArray();
        Assert.Equal(["auc", "f1", "auc"], metrics.Select(m => (string?)m!["type"]));
        Assert.Equal("0.91", (string?)metrics[0]!["value"]);
        Assert.Equal("new customers", (string?)metrics[2]!["slice"]);
        // The datasets of the version's lineage, training then evaluation.
        var data = mct["model_parameters"]!["data"]!.AsArray();
        Assert.Equal(2, data.Count);
        Assert.StartsWith("Training dataset", (string?)data[0]!["description"], StringComparison.Ordinal);
        Assert.StartsWith("s3://", (string?)data[0]!["link"], StringComparison.Ordinal);
        Assert.StartsWith("Evaluation dataset", (string?)data[1]!["description"], StringComparison.Ordinal);
        Assert.Equal("Gradient-boosted trees", (string?)mct["model_parameters"]!["model_architecture"]);
        // Intended uses and the risk rating where the schema has room for them.
        var considerations = mct["considerations"]!;
        Assert.Equal("Prioritise claims for manual review", (string?)considerations["use_cases"]![0]!["description"]);
        Assert.Equal("Claims investigators", (string?)considerations["users"]![0]!["description"]);
        Assert.Contains(considerations["limitations"]!.AsArray(), l => (string?)l!["description"] == "Out of scope: Automatic denial of claims");
        Assert.Equal("Model risk rating: High", (string?)considerations["ethical_considerations"]![0]!["name"]);
        Assert.Equal("Disparate impact by region", (string?)considerations["ethical_considerations"]![1]!["name"]);
        Assert.Null(mct["intended_uses"]);
    }

    [Fact]
    public async Task An_empty_card_in_the_toolkits_form_leaves_out_empty_values_and_stays_valid()
    {
        var name = "bare_" + Guid.NewGuid().ToString("N")[..8];
        await (await people.Admin.PostJsonAsync("/api/v1/models", new { @namespace = "/risk", model_name = name })).ExpectAsync(201);
        await (await people.Admin.PostJsonAsync($"/api/v1/models/risk.{name}/versions", new { })).ExpectAsync(201);

        var text = await (await people.Reader.GetAsync(Card($"risk.{name}") + "?format=mct")).Content.ReadAsStringAsync();

        await AssertValidAsync(text);
        var mct = JsonNode.Parse(text)!.AsObject();
        // to_dict drops what is empty: no owners, metrics, data or considerations, only what the registry knows.
        Assert.Equal(["schema_version", "model_details"], mct.Select(p => p.Key));
        Assert.Equal(["name", "documentation", "version"], mct["model_details"]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public async Task Every_card_the_service_can_store_renders_valid_toolkit_json()
    {
        // Each optional field the toolkit defines, filled, plus the signature the registry reads from a model file.
        var sections = JsonNode.Parse("""
            {
              "model_details": {"name": "ignored: the registry's name wins", "overview": "o", "documentation": "d",
                "owners": [{"name": "n", "contact": "c"}], "version": {"name": "v", "date": "2026-01-02", "diff": "x"},
                "licenses": [{"identifier": "Apache-2.0"}, {"custom_text": "internal"}], "references": [{"reference": "https://example.com/a"}],
                "citations": [{"style": "APA", "citation": "c"}], "path": "s3://b/m"},
              "model_parameters": {"model_architecture": "a", "data": [{"name": "d", "link": "https://example.com/d", "sensitive": {"sensitive_data": ["age"]},
                "graphics": {"description": "g", "collection": [{"name": "img", "image": "iVBORw0KGgo="}]}, "description": "d"}],
                "input_format": "i", "input_format_map": [{"key": "k", "value": "v"}], "output_format": "o", "output_format_map": [{"key": "k", "value": "v"}]},
              "quantitative_analysis": {"performance_metrics": [{"type": "t", "value": "1", "slice": "s", "confidence_interval": {"lower_bound": "0", "upper_bound": "2"}}],
                "graphics": {"description": "g", "collection": [{"name": "img", "image": "iVBORw0KGgo="}]}},
              "considerations": {"users": [{"description": "u"}], "use_cases": [{"description": "c"}], "limitations": [{"description": "l"}],
                "tradeoffs": [{"description": "t"}], "ethical_considerations": [{"name": "r", "mitigation_strategy": "m"}]},
              "intended_uses": {"primary_uses": ["p"], "primary_users": ["u"], "out_of_scope_uses": ["o"]}
            }
            """)!.AsObject();
        ModelCardShape.Check(sections, 1000);
        var signature = new Cairn.Artifacts.Formats.ModelSignature([new("features", "float32", [null, 4])], [new("label", "int64", null)]);
        var facts = new ModelCardFacts("a.m", "/a", "m", 2, null, null, ["o"], "onnx", "onnx", signature, null,
            new Dictionary<string, double> { ["rmse"] = 0.5 }, "Production", ["champion"], null, null, DateTimeOffset.UnixEpoch, "me", true, [], [], []);
        var card = new ModelCard("a.m", 2, CardStatuses.Approved, RiskRatings.Low, sections, new Dictionary<string, bool>(), facts,
            new ModelCardReview(null, null, null, null, null, null, DateTimeOffset.UnixEpoch, "boss", null, null, null));

        var mct = ModelCardFormats.ToMct(card);

        await AssertValidAsync(mct.ToJsonString());
        Assert.Equal("a.m", (string?)mct["model_details"]!["name"]);
        // What people wrote wins over what the file says, for the free-text formats; the maps list the file's tensors first.
        Assert.Equal("i", (string?)mct["model_parameters"]!["input_format"]);
        Assert.Equal(["features", "k"], mct["model_parameters"]!["input_format_map"]!.AsArray().Select(k => (string?)k!["key"]));
        Assert.Contains("approved by boss", (string?)mct["model_details"]!["documentation"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_card_renders_as_markdown_html_and_pdf()
    {
        var model = await people.ModelWithLineageAsync();
        await (await people.Writer.PutJsonAsync(Card(model), ModelCardTests.FullCard("Flags <script>alert(1)</script> | claims"))).ExpectAsync(200);

        var md = await people.Reader.GetAsync(Card(model) + "?format=md");
        Assert.Equal("text/markdown", md.Content.Headers.ContentType?.MediaType);
        var markdown = await md.Content.ReadAsStringAsync();
        Assert.StartsWith($"# Model card: {model.Replace("_", "\\_", StringComparison.Ordinal)} 1.2.0 (version 1)", markdown, StringComparison.Ordinal);
        Assert.Contains("| auc | 0.91 |", markdown, StringComparison.Ordinal);
        Assert.Contains("Flags \\<script\\>alert(1)\\</script\\> \\| claims", markdown, StringComparison.Ordinal);

        var html = await people.Reader.GetAsync(Card(model) + "?format=html");
        Assert.Equal("text/html", html.Content.Headers.ContentType?.MediaType);
        Assert.Contains("default-src 'none'", html.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        var page = await html.Content.ReadAsStringAsync();
        // The toolkit's render test: a page that starts with the doctype and holds the overview.
        Assert.StartsWith("<!DOCTYPE html>", page, StringComparison.Ordinal);
        Assert.Contains("Flags &lt;script&gt;alert(1)&lt;/script&gt; | claims", page, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", page, StringComparison.Ordinal);
        Assert.Contains("Claims investigators", page, StringComparison.Ordinal);

        var pdf = await people.Reader.GetAsync(Card(model) + "?format=pdf");
        Assert.Equal("application/pdf", pdf.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", pdf.Content.Headers.ContentDisposition?.DispositionType);
        Assert.EndsWith(".pdf", pdf.Content.Headers.ContentDisposition?.FileName?.Trim('"'), StringComparison.Ordinal);
        var bytes = await pdf.Content.ReadAsByteArrayAsync();
        Assert.Equal("%PDF", Encoding.ASCII.GetString(bytes, 0, 4));
        using var document = PdfReader.Open(new MemoryStream(bytes), PdfDocumentOpenMode.Import);
        var text = string.Concat(Enumerable.Range(0, document.PageCount).Select(i => DocumentRendererTests.PageText(document.Pages[i])));
        Assert.Contains(model, text, StringComparison.Ordinal);
        Assert.Contains("Claims investigators", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_format_is_refused_naming_the_formats()
    {
        var model = await people.ModelWithLineageAsync();

        var problem = await (await people.Reader.GetAsync(Card(model) + "?format=docx")).ExpectAsync(400, "INVALID_PARAMETER_VALUE");

        Assert.Contains("json, mct, md, html, pdf", (string?)problem["detail"], StringComparison.Ordinal);
    }
}
