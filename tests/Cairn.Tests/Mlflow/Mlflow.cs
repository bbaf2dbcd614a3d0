using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Cairn.Tests.Mlflow;

/// <summary>Calls MLflow endpoints as MLflow's clients do: JSON bodies for writes, query strings for reads.</summary>
public sealed class Mlflow(HttpClient client, string prefix = "/api/2.0/mlflow")
{
    public HttpClient Client { get; } = client;

    public Task<HttpResponseMessage> PostAsync(string endpoint, object body) =>
        Client.PostAsJsonAsync(new Uri($"{prefix}/{endpoint}", UriKind.Relative), body);

    public Task<HttpResponseMessage> PatchAsync(string endpoint, object body) =>
        Client.PatchAsJsonAsync(new Uri($"{prefix}/{endpoint}", UriKind.Relative), body);

    public Task<HttpResponseMessage> DeleteAsync(string endpoint, object body) =>
        Client.SendAsync(new HttpRequestMessage(HttpMethod.Delete, new Uri($"{prefix}/{endpoint}", UriKind.Relative)) { Content = JsonContent.Create(body) });

    public Task<HttpResponseMessage> GetAsync(string endpointAndQuery) =>
        Client.GetAsync(new Uri($"{prefix}/{endpointAndQuery}", UriKind.Relative));

    /// <summary>POSTs and returns the 200 response's JSON.</summary>
    public async Task<JsonObject> OkAsync(string endpoint, object body) => await (await PostAsync(endpoint, body)).OkAsync();

    public async Task<JsonObject> GetOkAsync(string endpointAndQuery) => await (await GetAsync(endpointAndQuery)).OkAsync();
}

public static class MlflowResponses
{
    public static async Task<JsonObject> OkAsync(this HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"Expected 200, got {(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body) as JsonObject ?? [];
    }

    /// <summary>Asserts MLflow's error shape: the status, <c>error_code</c> and a message containing <paramref name="message"/>.</summary>
    public static async Task<string> MlflowErrorAsync(this HttpResponseMessage response, int status, string errorCode, string? message = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"Expected {status}, got {(int)response.StatusCode}: {body}");
        var json = JsonNode.Parse(body)!;
        Assert.Equal(errorCode, (string?)json["error_code"]);
        var text = (string?)json["message"] ?? "";
        if (message is not null)
        {
            Assert.Contains(message, text, StringComparison.Ordinal);
        }
        return text;
    }
}
