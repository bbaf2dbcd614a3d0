using System.Text;
using System.Text.Json.Nodes;
using Cairn.Tests.Mlflow;

namespace Cairn.Tests.Api;

/// <summary>
/// Issue 14 item 5: input the caller got wrong is a 4xx with problem details that name the field and the reason,
/// never a bare 400/415 and never a 500 (an attack run found each of these root causes).
/// </summary>
public sealed class BadInputTests(CairnApp app) : IClassFixture<CairnApp>
{
    private static HttpRequestMessage Post(string url, byte[] body, string? contentType)
    {
        var content = new ByteArrayContent(body);
        if (contentType is not null)
        {
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }
        return new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
    }

    private static HttpRequestMessage Post(string url, string body, string? contentType = "application/json") =>
        Post(url, Encoding.UTF8.GetBytes(body), contentType);

    private async Task<JsonObject> ExpectProblemAsync(HttpRequestMessage request, int status, string errorCode, params string[] detailMentions)
    {
        using var client = app.CreateClient();
        using var response = await client.SendAsync(request);
        var problem = await response.ExpectAsync(status, errorCode);
        foreach (var mention in detailMentions)
        {
            Assert.Contains(mention, (string)problem["detail"]!, StringComparison.Ordinal);
        }
        return problem;
    }

    [Fact]
    public async Task An_unknown_charset_in_the_content_type_is_415_naming_the_charset()
    {
        await ExpectProblemAsync(Post("/api/v1/models", """{"namespace":"/bad","model_name":"charset"}""", "application/json; charset=foo"),
            415, "UNSUPPORTED_MEDIA_TYPE", "'foo'");
        using var client = app.CreateClient();
        using var missing = await client.GetAsync("/api/v1/models/bad.charset");
        Assert.Equal(404, (int)missing.StatusCode);
    }

    [Fact]
    public async Task Malformed_json_is_400_naming_where_it_broke()
    {
        var problem = await ExpectProblemAsync(Post("/api/v1/models", """{"namespace":"/bad","model_name":"m","""), 400, "INVALID_PARAMETER_VALUE", "line 1");
        Assert.NotNull(problem["errors"]);
    }

    [Fact]
    public async Task A_params_value_that_is_a_number_is_400_naming_params_lr()
    {
        using var client = app.CreateClient();
        (await client.PostJsonAsync("/api/v1/models", new { @namespace = "/bad", model_name = "params" })).EnsureSuccessStatusCode();
        var problem = await ExpectProblemAsync(Post("/api/v1/models/bad.params/versions", """{"params":{"lr":0.001}}"""),
            400, "INVALID_PARAMETER_VALUE", "$.params.lr", "string");
        Assert.Equal("/params/lr", (string?)problem["errors"]![0]!["path"]);
    }

    [Fact]
    public async Task An_empty_body_is_400_saying_the_body_is_missing()
    {
        await ExpectProblemAsync(Post("/api/v1/models", ""), 400, "INVALID_PARAMETER_VALUE", "body");
    }

    [Fact]
    public async Task A_literal_null_body_is_400_saying_the_body_is_missing()
    {
        await ExpectProblemAsync(Post("/api/v1/models", "null"), 400, "INVALID_PARAMETER_VALUE", "body");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("text/plain")]
    public async Task A_missing_or_wrong_content_type_is_415_with_problem_details(string? contentType)
    {
        await ExpectProblemAsync(Post("/api/v1/models", """{"namespace":"/bad","model_name":"ct"}""", contentType),
            415, "UNSUPPORTED_MEDIA_TYPE", "application/json");
    }

    [Fact]
    public async Task A_misspelt_field_is_400_naming_the_field()
    {
        var problem = await ExpectProblemAsync(Post("/api/v1/models", """{"namespace":"/bad","model_name":"typo","descripton":"x"}"""),
            400, "INVALID_PARAMETER_VALUE", "'descripton'");
        Assert.Equal("/descripton", (string?)problem["errors"]![0]!["path"]);
        using var client = app.CreateClient();
        using var missing = await client.GetAsync("/api/v1/models/bad.typo");
        Assert.Equal(404, (int)missing.StatusCode);
    }

    [Fact]
    public async Task A_metric_beyond_double_range_is_400_and_nothing_is_written()
    {
        using var client = app.CreateClient();
        (await client.PostJsonAsync("/api/v1/models", new { @namespace = "/bad", model_name = "inf" })).EnsureSuccessStatusCode();
        await ExpectProblemAsync(Post("/api/v1/models/bad.inf/versions", """{"metrics":{"auc":1e400}}"""),
            400, "INVALID_PARAMETER_VALUE", "$.metrics.auc");
        using var versions = await client.GetAsync("/api/v1/models/bad.inf/versions");
        Assert.Empty((await versions.ExpectAsync(200))["versions"]!.AsArray());
    }

    [Fact]
    public async Task Invalid_utf8_inside_a_json_string_is_400_naming_the_field()
    {
        var body = Encoding.UTF8.GetBytes("""{"namespace":"/bad","model_name":"u""").Concat(new byte[] { 0xC3, 0x28 }).Concat(Encoding.UTF8.GetBytes("\"}")).ToArray();
        await ExpectProblemAsync(Post("/api/v1/models", body, "application/json"), 400, "INVALID_PARAMETER_VALUE", "$.model_name");
    }

    [Fact]
    public async Task A_query_parameter_of_the_wrong_type_is_400_naming_the_parameter()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/models?max_results=abc");
        await ExpectProblemAsync(request, 400, "INVALID_PARAMETER_VALUE", "'max_results'");
    }

    [Fact]
    public async Task A_date_time_query_parameter_that_does_not_parse_is_400_naming_the_parameter_and_what_it_takes()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/deployments/none/windows?starts_at=yesterday");
        var problem = await ExpectProblemAsync(request, 400, "INVALID_PARAMETER_VALUE", "'starts_at'");
        Assert.Contains("ISO 8601", (string?)problem["detail"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_integer_above_int64_in_a_metadata_schema_is_400_naming_its_path()
    {
        var problem = await ExpectProblemAsync(Post("/api/v1/metadata/schemas",
            """{"namespace":"/bad","kind":"dataset","schema":{"type":"object","properties":{"x":{"type":"string","maxLength":99999999999999999999999}}}}"""),
            400, "INVALID_PARAMETER_VALUE", "maxLength");
        Assert.NotNull(problem["errors"]);
    }

    // The route fuzz found a NUL in a dataset's namespace reaching PostgreSQL, which cannot store it (a 500 there, stored on SQLite).
    [Fact]
    public async Task A_nul_character_in_a_body_string_is_400_naming_the_field_on_both_backends()
    {
        await ExpectProblemAsync(Post("/api/v1/datasets", """{"namespace":"a\u0000b","name":"nul","schema":[],"statistics":{}}"""),
            400, "INVALID_PARAMETER_VALUE", "$.namespace", "NUL");
        await ExpectProblemAsync(Post("/api/v1/models", """{"namespace":"/nul","model_name":"m","description":"x\u0000"}"""),
            400, "INVALID_PARAMETER_VALUE", "$.description", "NUL");
        using var client = app.CreateClient();
        using var missing = await client.GetAsync("/api/v1/models/nul.m");
        Assert.Equal(404, (int)missing.StatusCode);
    }

    [Fact]
    public async Task A_nul_character_in_a_map_key_or_the_query_is_400()
    {
        await ExpectProblemAsync(Post("/api/v1/models", """{"namespace":"/nul","model_name":"keys","tags":{"a\u0000":"v"}}"""), 400, "INVALID_PARAMETER_VALUE");
        await ExpectProblemAsync(new HttpRequestMessage(HttpMethod.Get, "/api/v1/models?filter=name%00x"), 400, "INVALID_PARAMETER_VALUE", "%00");
        using var client = app.CreateClient();
        using var missing = await client.GetAsync("/api/v1/models/nul.keys");
        Assert.Equal(404, (int)missing.StatusCode);
    }

    [Fact]
    public async Task A_nul_character_in_an_mlflow_request_is_invalid_parameter_value_naming_where()
    {
        using var client = app.CreateClient();
        using var response = await client.SendAsync(Post("/api/2.0/mlflow/experiments/create", """{"name":"nul","tags":[{"key":"k","value":"a\u0000"}]}"""));
        var error = await response.MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "$.tags[0].value");
        Assert.Contains("NUL", error, StringComparison.Ordinal);
    }
}
