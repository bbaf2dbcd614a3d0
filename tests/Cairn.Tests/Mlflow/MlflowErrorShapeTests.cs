using System.Net;
using System.Text.Json.Nodes;
using Cairn.Tests.Api;

namespace Cairn.Tests.Mlflow;

public sealed class MlflowErrorShapeTests(CairnApp app) : IClassFixture<CairnApp>
{
    [Theory]
    [InlineData("/api/2.0/mlflow/no-such/endpoint")]
    [InlineData("/ajax-api/2.0/mlflow/no-such/endpoint")]
    public async Task Unknown_mlflow_endpoint_is_404_endpoint_not_found_in_mlflow_shape(string path)
    {
        using var client = app.CreateClient();

        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("ENDPOINT_NOT_FOUND", (string?)body["error_code"]);
        Assert.Contains("no-such/endpoint", (string?)body["message"], StringComparison.Ordinal);
    }
}

public sealed class MlflowAuthErrorShapeTests(TokenAuthApp app) : IClassFixture<TokenAuthApp>
{
    [Theory]
    [InlineData("/api/2.0/mlflow/experiments/get?experiment_id=0")]
    [InlineData("/ajax-api/2.0/mlflow/experiments/get?experiment_id=0")]
    public async Task Missing_token_on_the_mlflow_api_is_401_unauthenticated_in_mlflow_shape(string path)
    {
        using var client = app.CreateClient();

        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("UNAUTHENTICATED", (string?)body["error_code"]);
        Assert.False(string.IsNullOrEmpty((string?)body["message"]));
    }
}
