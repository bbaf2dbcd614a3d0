using System.Text;
using Cairn.Tests.Api;

namespace Cairn.Tests.Mlflow;

/// <summary>
/// Issue 14 item 5 on the MLflow API: nulls inside repeated fields, tags without a key or with a key given twice, and
/// invalid UTF-8 get MLflow's INVALID_PARAMETER_VALUE naming the parameter, not a 500.
/// </summary>
public sealed class MlflowBadInputTests(CairnApp app) : IClassFixture<CairnApp>
{
    private async Task<HttpResponseMessage> PostRawAsync(string endpoint, byte[] body)
    {
        using var client = app.CreateClient();
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        return await client.PostAsync(new Uri($"/api/2.0/mlflow/{endpoint}", UriKind.Relative), content);
    }

    private Task<HttpResponseMessage> PostRawAsync(string endpoint, string body) => PostRawAsync(endpoint, Encoding.UTF8.GetBytes(body));

    private async Task<string> RunIdAsync()
    {
        var mlflow = new Mlflow(app.CreateClient());
        var run = await mlflow.OkAsync("runs/create", new { experiment_id = "0" });
        return (string)run["run"]!["info"]!["run_id"]!;
    }

    [Theory]
    [InlineData("registered-models/create", """{"name":"nulltag","tags":[null]}""", "tags")]
    [InlineData("experiments/create", """{"name":"nulltag","tags":[null]}""", "tags")]
    [InlineData("runs/create", """{"experiment_id":"0","tags":[null]}""", "tags")]
    [InlineData("registered-models/search", """{"order_by":[null]}""", "order_by")]
    [InlineData("model-versions/search", """{"order_by":[null]}""", "order_by")]
    public async Task A_null_inside_a_list_is_invalid_parameter_value_naming_the_list(string endpoint, string body, string parameter)
    {
        using var response = await PostRawAsync(endpoint, body);
        await response.MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", $"parameter '{parameter}'");
    }

    [Theory]
    [InlineData("params")]
    [InlineData("metrics")]
    [InlineData("tags")]
    public async Task A_null_inside_a_log_batch_list_is_invalid_parameter_value(string list)
    {
        var runId = await RunIdAsync();
        using var response = await PostRawAsync("runs/log-batch", $$"""{"run_id":"{{runId}}","{{list}}":[null]}""");
        await response.MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", $"parameter '{list}'");
    }

    [Fact]
    public async Task A_registered_model_tag_without_a_key_is_invalid_parameter_value_and_no_model_is_created()
    {
        using var response = await PostRawAsync("registered-models/create", """{"name":"keyless","tags":[{"value":"2"}]}""");
        await response.MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "'key'");
        using var get = await new Mlflow(app.CreateClient()).GetAsync("registered-models/get?name=keyless");
        await get.MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST");
    }

    [Theory]
    [InlineData("registered-models/create", """{"name":"dupes","tags":[{"key":"a","value":"1"},{"key":"a","value":"2"}]}""")]
    [InlineData("experiments/create", """{"name":"dupes","tags":[{"key":"a","value":"1"},{"key":"a","value":"2"}]}""")]
    [InlineData("runs/create", """{"experiment_id":"0","tags":[{"key":"a","value":"1"},{"key":"a","value":"2"}]}""")]
    public async Task A_tag_key_given_twice_is_invalid_parameter_value_naming_the_key(string endpoint, string body)
    {
        using var response = await PostRawAsync(endpoint, body);
        await response.MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Duplicate tag keys have been submitted: ['a']");
    }

    [Fact]
    public async Task A_model_version_tag_key_given_twice_is_invalid_parameter_value()
    {
        var mlflow = new Mlflow(app.CreateClient());
        await mlflow.OkAsync("registered-models/create", new { name = "dupeversions" });
        using var response = await PostRawAsync("model-versions/create",
            """{"name":"dupeversions","source":"s3://b/m","tags":[{"key":"a","value":"1"},{"key":"a","value":"2"}]}""");
        await response.MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Duplicate tag keys have been submitted: ['a']");
    }

    [Theory]
    [InlineData("experiments/create")]
    [InlineData("registered-models/create")]
    public async Task Invalid_utf8_inside_a_string_is_invalid_parameter_value_naming_the_field(string endpoint)
    {
        var body = Encoding.UTF8.GetBytes("""{"name":"e""").Concat(new byte[] { 0xC3 }).Concat(Encoding.UTF8.GetBytes("\"}")).ToArray();
        using var response = await PostRawAsync(endpoint, body);
        await response.MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "$.name");
    }

    [Fact]
    public async Task Unknown_fields_are_ignored_as_protobuf_parsing_with_ignore_unknown_fields_does()
    {
        using var response = await PostRawAsync("experiments/create", """{"name":"unknownfield","no_such_field":1}""");
        await response.OkAsync();
    }
}
