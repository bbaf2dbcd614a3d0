using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Cairn.Tests.Api;

/// <summary>
/// Issue 19 item 8: the native API refuses a query parameter it does not know (a misspelt <c>filters=</c> used to be
/// ignored and the whole list answered); MLflow's API, Marquez's lineage reads, OpenLineage ingestion and the UI keep
/// their protocols' leniency. Stage names in filters match in any case, also on the MLflow API.
/// </summary>
public sealed partial class QueryParameterTests(CairnApp app) : IClassFixture<CairnApp>
{
    private const string Unknown = "cairn_not_a_parameter";
    private readonly HttpClient _client = app.CreateClient();

    [GeneratedRegex(@"\{\*{0,2}([^}:?]+)[^}]*\}")]
    private static partial Regex RouteParameter();

    [Fact]
    public async Task A_misspelt_filter_on_the_model_search_is_a_400_naming_it_and_what_the_route_takes()
    {
        var problem = await (await _client.GetAsync("/api/v1/models?filters=" + Uri.EscapeDataString("name = 'x'"))).ExpectAsync(400, "INVALID_PARAMETER_VALUE");

        var detail = (string)problem["detail"]!;
        Assert.Contains("'filters'", detail, StringComparison.Ordinal);
        Assert.Contains("filter, max_results, order_by, page_token, q", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_native_get_route_refuses_an_unknown_parameter_and_accepts_every_documented_one()
    {
        var document = await (await _client.GetAsync("/openapi/v1.json")).ExpectAsync(200);
        var checkedRoutes = 0;
        foreach (var (template, item) in document["paths"]!.AsObject())
        {
            if (!template.StartsWith("/api/v1/", StringComparison.Ordinal) || item!["get"] is not JsonObject get)
            {
                continue;
            }
            var path = RouteParameter().Replace(template, m => m.Groups[1].Value == "version" ? "1" : "x");
            var documented = (get["parameters"] as JsonArray ?? []).Where(p => (string?)p!["in"] == "query").Select(p => (string)p!["name"]!).ToList();
            var lenient = template.TrimEnd('/') is "/api/v1/lineage" or "/api/v1/column-lineage";

            using var unknown = await _client.GetAsync($"{path}?{Unknown}=1");
            var body = await unknown.Content.ReadAsStringAsync();
            if (lenient)
            {
                Assert.DoesNotContain(Unknown, body, StringComparison.Ordinal);
            }
            else
            {
                Assert.True((int)unknown.StatusCode == 400 && body.Contains($"'{Unknown}'", StringComparison.Ordinal)
                    && body.Contains("INVALID_PARAMETER_VALUE", StringComparison.Ordinal), $"GET {template} with an unknown parameter: {(int)unknown.StatusCode} {body}");
            }

            // Every documented parameter at once, empty (which binds as absent): whatever the answer, not "unknown".
            var query = string.Join('&', documented.Select(name => name + "="));
            using var known = await _client.GetAsync(documented.Count == 0 ? path : $"{path}?{query}");
            var knownBody = await known.Content.ReadAsStringAsync();
            Assert.False(knownBody.Contains("Unknown query parameter", StringComparison.Ordinal), $"GET {template}?{query} refused a documented parameter: {knownBody}");
            checkedRoutes++;
        }
        Assert.True(checkedRoutes > 40, $"Only {checkedRoutes} native GET routes found in the OpenAPI document.");
    }

    [Fact]
    public async Task Parameter_names_match_in_any_case_as_binding_reads_them()
    {
        await (await _client.GetAsync("/api/v1/models?Max_Results=1&FILTER=" + Uri.EscapeDataString("name = 'x'"))).ExpectAsync(200);
    }

    [Fact]
    public async Task The_mlflow_api_ignores_unknown_parameters_as_mlflow_does()
    {
        var response = await _client.GetAsync($"/api/2.0/mlflow/experiments/search?max_results=5&{Unknown}=1");
        await response.ExpectAsync(200);
        await (await _client.GetAsync($"/ajax-api/2.0/mlflow/registered-models/search?{Unknown}=1")).ExpectAsync(200);
    }

    [Fact]
    public async Task Openlineage_ingestion_takes_the_url_params_its_http_transport_appends()
    {
        // OpenLineage's names are camelCase: the raw body, not the snake_case helper.
        var lineageEvent = $$"""
            {"eventType":"START","eventTime":"2026-01-01T00:00:00Z","run":{"runId":"{{Guid.NewGuid()}}"},
             "job":{"namespace":"qp","name":"job"},"producer":"https://example.com/producer",
             "schemaURL":"https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"}
            """;
        await (await _client.SendRawAsync(HttpMethod.Post, "/api/v1/lineage?code=function-key", lineageEvent)).ExpectAsync(201);
        using var marquez = await _client.GetAsync($"/api/v1/lineage?nodeId=job:qp:job&depth=2&{Unknown}=1");
        Assert.Equal(200, (int)marquez.StatusCode);
    }

    [Fact]
    public async Task Ui_pages_are_not_native_routes_and_keep_their_own_parameters()
    {
        using var response = await _client.GetAsync($"/models?{Unknown}=1");
        Assert.Equal(200, (int)response.StatusCode);
    }

    [Fact]
    public async Task Stage_names_in_mlflow_version_filters_match_in_any_case()
    {
        await (await _client.PostJsonAsync("/api/2.0/mlflow/registered-models/create", new { name = "qp-staged" })).ExpectAsync(200);
        await (await _client.PostJsonAsync("/api/2.0/mlflow/model-versions/create", new { name = "qp-staged", source = "s3://b/m" })).ExpectAsync(200);
        await (await _client.PostJsonAsync("/api/2.0/mlflow/model-versions/transition-stage", new { name = "qp-staged", version = "1", stage = "production" })).ExpectAsync(200);

        foreach (var stage in new[] { "production", "PRODUCTION", "Production" })
        {
            var filter = Uri.EscapeDataString($"name = 'qp-staged' and current_stage = '{stage}'");
            var found = await (await _client.GetAsync($"/api/2.0/mlflow/model-versions/search?filter={filter}")).ExpectAsync(200);
            Assert.Equal("Production", (string?)Assert.Single(found["model_versions"]!.AsArray())!["current_stage"]);
        }
    }

    [Fact]
    public async Task Versions_order_by_a_metric_with_those_lacking_it_last_either_way()
    {
        await (await _client.PostJsonAsync("/api/v1/models", new { @namespace = "/qp", model_name = "ranked" })).ExpectAsync(201);
        foreach (var accuracy in new double?[] { 0.5, 0.9, null, 0.7 })
        {
            object body = accuracy is { } value ? new { metrics = new Dictionary<string, double> { ["accuracy"] = value } } : new { };
            await (await _client.PostJsonAsync("/api/v1/models/qp.ranked/versions", body)).ExpectAsync(201);
        }

        Assert.Equal([2, 4, 1, 3], await OrderAsync("metrics.accuracy DESC"));
        Assert.Equal([1, 4, 2, 3], await OrderAsync("metrics.accuracy"));
        Assert.Equal([2, 4, 1, 3], await OrderAsync("metrics.accuracy DESC", pageSize: 1));
        var problem = await (await _client.GetAsync("/api/v1/models/qp.ranked/versions?order_by=" + Uri.EscapeDataString("colour.x DESC"))).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("metrics.<key>", (string)problem["detail"]!, StringComparison.Ordinal);

        async Task<List<int>> OrderAsync(string orderBy, int pageSize = 100)
        {
            var versions = new List<int>();
            string? token = null;
            do
            {
                var url = $"/api/v1/models/qp.ranked/versions?max_results={pageSize}&order_by={Uri.EscapeDataString(orderBy)}"
                    + (token is null ? "" : "&page_token=" + Uri.EscapeDataString(token));
                var page = await (await _client.GetAsync(url)).ExpectAsync(200);
                versions.AddRange(page["versions"]!.AsArray().Select(v => (int)v!["version"]!));
                token = (string?)page["next_page_token"];
            }
            while (token is not null);
            return versions;
        }
    }
}
