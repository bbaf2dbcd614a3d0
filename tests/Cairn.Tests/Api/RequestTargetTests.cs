using System.Net;
using System.Net.Http.Headers;
using Cairn.Client;
using Cairn.Tests.Mlflow;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Cairn.Tests.Api;

/// <summary>
/// Dot segments (<c>.</c>, <c>..</c>, plain or percent-encoded) in a request target are refused before routing, on
/// every API: a server that removed them would route <c>DELETE …/tags/..</c> to the model itself.
/// </summary>
public sealed class RequestTargetTests(CairnApp app) : IClassFixture<CairnApp>
{
    private readonly HttpClient _client = app.CreateClient();

    /// <summary>Model <c>dots.m</c> with a tag, an alias and a pending version 1 holding one file.</summary>
    internal static async Task SeedAsync(HttpClient client, Func<string, Uri> uri)
    {
        await (await client.PostJsonAsync("/api/v1/models", new { @namespace = "/dots", model_name = "m", tags = new Dictionary<string, string> { ["team"] = "risk" } })).ExpectAsync(201);
        await (await client.PostJsonAsync("/api/v1/models/dots.m/versions", new { status = "PENDING_REGISTRATION" })).ExpectAsync(201);
        await (await client.PutAsync(uri("/api/v1/models/dots.m/versions/1/files/w.bin"), new ByteArrayContent([1, 2, 3]))).ExpectAsync(201);
        await (await client.PutJsonAsync("/api/v1/models/dots.m/aliases/champion", new { version = 1 })).ExpectAsync(200);
    }

    /// <summary>Raw targets that name the model or its version once their dot segments are removed.</summary>
    public static TheoryData<string> DotTargets { get; } =
    [
        "/api/v1/models/dots.m/tags/..",
        "/api/v1/models/dots.m/tags/%2e%2e",
        "/api/v1/models/dots.m/tags/%2E.",
        "/api/v1/models/dots.m/tags/.",
        "/api/v1/models/dots.m/tags/%2e",
        "/api/v1/models/dots.m/aliases/..",
        "/api/v1/models/dots.m/versions/1/files/..",
        "/api/v1/models/dots.m/versions/1/tags/%2e%2E",
        "/api/v1/models/dots.m/versions/1/tags/x/../..",
        "/api/v1/models/dots.m/tags/a%2F..",
    ];

    [Theory]
    [MemberData(nameof(DotTargets))]
    public async Task A_dot_segment_in_the_target_is_refused_and_deletes_nothing(string target)
    {
        await EnsureSeededAsync();

        var problem = await (await DeleteRawAsync(target)).ExpectAsync(400, "INVALID_PARAMETER_VALUE");

        Assert.Contains("dot segment", (string?)problem["detail"], StringComparison.Ordinal);
        await (await _client.GetAsync("/api/v1/models/dots.m")).ExpectAsync(200);
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/api/v1/models/dots.m/versions/1/files/w.bin")).StatusCode);
        await (await _client.GetAsync("/api/v1/models/dots.m/aliases/champion")).ExpectAsync(200);
    }

    [Theory]
    [InlineData("/api/2.0/mlflow-artifacts/artifacts/1/run1/artifacts/..")]
    [InlineData("/api/2.0/mlflow-artifacts/artifacts/1/run1/artifacts/%2E%2E")]
    [InlineData("/ajax-api/2.0/mlflow-artifacts/artifacts/1/run1/artifacts/%2e.")]
    public async Task A_dot_segment_on_the_mlflow_artifact_proxy_is_refused_in_mlflows_shape(string target)
    {
        await (await _client.PutAsync("/api/2.0/mlflow-artifacts/artifacts/1/run1/artifacts/model.pkl", new ByteArrayContent([7]))).OkAsync();

        await (await DeleteRawAsync(target)).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "dot segment");

        Assert.True(File.Exists(Path.Combine(app.DataDir, "mlartifacts", "1", "run1", "artifacts", "model.pkl")));
    }

    [Theory]
    [InlineData("/api/v1/models/dots.m/tags/..x")]
    [InlineData("/api/v1/models/dots.m/tags/...")]
    [InlineData("/api/v1/models/dots.m/tags/%2e%2e%2e")]
    public async Task Segments_that_merely_contain_dots_are_routed(string target)
    {
        await EnsureSeededAsync();

        // No such tag: a 404, not the 400 of a dot segment.
        await (await DeleteRawAsync(target)).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
    }

    [Theory]
    [InlineData(".")]
    [InlineData("..")]
    public async Task Tags_and_names_can_never_be_dot_segments(string name)
    {
        await (await _client.PostJsonAsync("/api/v1/models", new { @namespace = "/", model_name = name })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await _client.PostJsonAsync("/api/v1/models", new { @namespace = "/dotnames", model_name = "t", tags = new Dictionary<string, string> { [name] = "x" } }))
            .ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await _client.PostJsonAsync("/api/v1/tokens", new { name, role = "reader" })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await _client.PostJsonAsync("/api/2.0/mlflow/registered-models/create", new { name })).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE");
    }

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    public async Task The_client_refuses_a_dot_segment_name_instead_of_letting_uri_collapse_it(string name)
    {
        using var cairn = new CairnClient(app.CreateClient());

        var alias = await Assert.ThrowsAsync<ArgumentException>(() => cairn.DeleteAliasAsync("dots.m", name));
        Assert.Contains("'.' or '..'", alias.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => cairn.DeleteModelTagAsync("dots.m", name));
        await Assert.ThrowsAsync<ArgumentException>(() => cairn.DeleteVersionTagAsync("dots.m", 1, name));
        await Assert.ThrowsAsync<ArgumentException>(() => cairn.DeleteModelAsync(name));
    }

    private bool _seeded;

    private async Task EnsureSeededAsync()
    {
        if (!_seeded && (await _client.GetAsync("/api/v1/models/dots.m")).StatusCode == HttpStatusCode.NotFound)
        {
            await SeedAsync(_client, path => new Uri(path, UriKind.Relative));
        }
        _seeded = true;
    }

    /// <summary>
    /// A DELETE whose request target is <paramref name="target"/> as sent, as Kestrel hands it over: the raw target kept,
    /// the path decoded (HttpClient cannot send such a target to the test server, whose <see cref="Uri"/> would collapse it).
    /// </summary>
    private async Task<HttpResponseMessage> DeleteRawAsync(string target)
    {
        var context = await app.Server.SendAsync(c =>
        {
            c.Request.Method = HttpMethods.Delete;
            c.Request.Path = PathString.FromUriComponent(target);
            c.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget = target;
        });
        var response = new HttpResponseMessage((HttpStatusCode)context.Response.StatusCode)
        {
            Content = new StreamContent(context.Response.Body),
        };
        if (context.Response.ContentType is { } type)
        {
            response.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(type);
        }
        return response;
    }
}

/// <summary>The same refusals on real Kestrel, which removes dot segments from the path before the application sees it.</summary>
public sealed class KestrelRequestTargetTests(KestrelApp app) : IClassFixture<KestrelApp>
{
    private readonly HttpClient _client = app.CreateClient();

    [Fact]
    public async Task Raw_dot_segments_sent_over_the_wire_are_refused_and_delete_nothing()
    {
        await RequestTargetTests.SeedAsync(_client, path => new Uri(path, UriKind.Relative));
        foreach (var target in new[]
        {
            "/api/v1/models/dots.m/tags/..", "/api/v1/models/dots.m/tags/%2e%2e", "/api/v1/models/dots.m/tags/%2E.",
            "/api/v1/models/dots.m/aliases/..", "/api/v1/models/dots.m/versions/1/files/..", "/api/v1/models/dots.m/versions/1/tags/.",
        })
        {
            using var request = new HttpRequestMessage(HttpMethod.Delete, app.Raw(target));
            Assert.Equal(target, request.RequestUri!.PathAndQuery);

            await (await _client.SendAsync(request)).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        }

        await (await _client.GetAsync("/api/v1/models/dots.m")).ExpectAsync(200);
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/api/v1/models/dots.m/versions/1/files/w.bin")).StatusCode);
        await (await _client.GetAsync("/api/v1/models/dots.m/aliases/champion")).ExpectAsync(200);
    }

    [Fact]
    public async Task A_raw_dot_segment_on_the_mlflow_artifact_proxy_deletes_no_run_folder()
    {
        await (await _client.PutAsync("/api/2.0/mlflow-artifacts/artifacts/1/run1/artifacts/model.pkl", new ByteArrayContent([7]))).OkAsync();

        foreach (var target in new[] { "/api/2.0/mlflow-artifacts/artifacts/1/run1/artifacts/..", "/api/2.0/mlflow-artifacts/artifacts/1/run1/artifacts/%2e%2e" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Delete, app.Raw(target));
            await (await _client.SendAsync(request)).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "dot segment");
        }

        Assert.True(File.Exists(Path.Combine(app.DataDir, "mlartifacts", "1", "run1", "artifacts", "model.pkl")));
    }

    [Fact]
    public async Task A_file_with_a_non_ascii_name_is_created_with_an_encoded_location()
    {
        await (await _client.PostJsonAsync("/api/v1/models", new { @namespace = "/enc", model_name = "u" })).ExpectAsync(201);
        await (await _client.PostJsonAsync("/api/v1/models/enc.u/versions", new { status = "PENDING_REGISTRATION" })).ExpectAsync(201);

        using var response = await _client.PutAsync("/api/v1/models/enc.u/versions/1/files/dir/%C3%BC%20x.bin", new ByteArrayContent([1, 2]) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } });

        await response.ExpectAsync(201);
        Assert.Equal("/api/v1/models/enc.u/versions/1/files/dir/%C3%BC%20x.bin", response.Headers.Location?.OriginalString);
        Assert.Equal([1, 2], await (await _client.GetAsync(response.Headers.Location)).Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_version_of_a_root_model_with_a_non_ascii_name_is_created_with_an_encoded_location()
    {
        await (await _client.PostJsonAsync("/api/v1/models", new { @namespace = "/", model_name = "Größe modell" })).ExpectAsync(201);

        using var response = await _client.PostJsonAsync("/api/v1/models/Gr%C3%B6%C3%9Fe%20modell/versions", new { });

        await response.ExpectAsync(201);
        Assert.Equal("/api/v1/models/Gr%C3%B6%C3%9Fe%20modell/versions/1", response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task A_token_with_a_non_ascii_name_is_created_and_its_secret_shown()
    {
        using var response = await _client.PostJsonAsync("/api/v1/tokens", new { name = "jürgen", role = "reader" });

        var created = await response.ExpectAsync(201);
        Assert.StartsWith("cairn_", (string?)created["secret"], StringComparison.Ordinal);
        Assert.Equal("/api/v1/tokens/j%C3%BCrgen", response.Headers.Location?.OriginalString);
    }
}
