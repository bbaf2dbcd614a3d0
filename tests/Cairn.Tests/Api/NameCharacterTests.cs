using Cairn.Tests.Mlflow;

namespace Cairn.Tests.Api;

/// <summary>
/// Names never hold control characters: a trailing newline once slipped through patterns anchored with <c>$</c>,
/// which matches before a final <c>\n</c>, and a name that cannot go into a header cannot be answered.
/// </summary>
public sealed class NameCharacterTests(CairnApp app) : IClassFixture<CairnApp>
{
    private readonly HttpClient _client = app.CreateClient();

    [Theory]
    [InlineData("/", "m\n")]
    [InlineData("/ctl", "m\n")]
    [InlineData("/", "m\r\nX-Injected: 1")]
    [InlineData("/", "tab\tname")]
    [InlineData("/", "nul\0")]
    public async Task A_model_name_with_a_control_character_is_refused_and_nothing_is_created(string ns, string name)
    {
        await (await _client.PostJsonAsync("/api/v1/models", new { @namespace = ns, model_name = name })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");

        Assert.Equal(0, await app.ScalarAsync<int>("SELECT COUNT(*) FROM models WHERE namespace IN ('/', '/ctl')"));
    }

    [Fact]
    public async Task A_namespace_segment_with_a_trailing_newline_is_refused()
    {
        await (await _client.PostJsonAsync("/api/v1/models", new { @namespace = "/ctl\n", model_name = "m" })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task An_mlflow_registered_model_name_with_a_newline_is_refused()
    {
        await (await _client.PostJsonAsync("/api/2.0/mlflow/registered-models/create", new { name = "m\n" })).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Aliases_tags_and_token_names_with_control_characters_are_refused()
    {
        await (await _client.PostJsonAsync("/api/v1/models", new { @namespace = "/names", model_name = "m" })).ExpectAsync(201);
        await (await _client.PostJsonAsync("/api/v1/models/names.m/versions", new { })).ExpectAsync(201);

        await (await _client.PutJsonAsync("/api/v1/models/names.m/aliases/champion%0A", new { version = 1 })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await _client.PutJsonAsync("/api/v1/models/names.m/tags/team%0A", new { value = "x" })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await _client.PutJsonAsync("/api/v1/models/names.m/versions/1/tags/a%01b", new { value = "x" })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await _client.PostJsonAsync("/api/v1/tokens", new { name = "ci\n", role = "reader" })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");

        var model = await (await _client.GetAsync("/api/v1/models/names.m")).ExpectAsync(200);
        Assert.Empty(model["tags"]!.AsObject());
        Assert.Empty(model["aliases"]!.AsObject());
    }

    [Fact]
    public async Task Mlflow_experiment_and_run_names_with_control_characters_are_refused()
    {
        await (await _client.PostJsonAsync("/api/2.0/mlflow/experiments/create", new { name = "exp\n" })).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE");
        var created = await (await _client.PostJsonAsync("/api/2.0/mlflow/experiments/create", new { name = "ctl-exp" })).ExpectAsync(200);
        var experimentId = (string)created["experiment_id"]!;

        await (await _client.PostJsonAsync("/api/2.0/mlflow/experiments/update", new { experiment_id = experimentId, new_name = "ctl\u0007" })).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE");
        await (await _client.PostJsonAsync("/api/2.0/mlflow/runs/create", new { experiment_id = experimentId, run_name = "run\r\n" })).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE");
        var run = await (await _client.PostJsonAsync("/api/2.0/mlflow/runs/create", new { experiment_id = experimentId, run_name = "fine" })).ExpectAsync(200);
        var runId = (string)run["run"]!["info"]!["run_id"]!;
        await (await _client.PostJsonAsync("/api/2.0/mlflow/runs/update", new { run_id = runId, run_name = "x\ty" })).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE");

        Assert.Equal(0, await app.ScalarAsync<int>("SELECT COUNT(*) FROM experiments WHERE name LIKE 'exp%' OR (name LIKE 'ctl%' AND name <> 'ctl-exp')"));
        Assert.Equal(0, await app.ScalarAsync<int>("SELECT COUNT(*) FROM runs WHERE name LIKE 'run%'"));
        Assert.Equal("fine", await app.ScalarAsync<string>("SELECT name FROM runs WHERE run_uuid = '" + runId + "'"));
    }
}
