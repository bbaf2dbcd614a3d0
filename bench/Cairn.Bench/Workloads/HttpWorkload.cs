using System.Net.Http.Headers;

namespace Cairn.Bench.Workloads;

/// <summary>An operation that is one HTTP request; a non-2xx status is an error, described by its body.</summary>
internal abstract class HttpWorkload(HttpClient client) : Workload
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    /// <summary>The client the operations use, for setting up what they work on.</summary>
    protected HttpClient Client => client;

    protected async ValueTask<bool> GetAsync(Uri uri, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        return await SendAsync(request, cancellationToken);
    }

    protected async ValueTask<bool> PostAsync(Uri uri, byte[] body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = Json;
        return await SendAsync(request, cancellationToken);
    }

    private async ValueTask<bool> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // Headers first, then the body is drained without being kept: the client pays for reading every
        // byte the server sends, and nothing for holding it.
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            await response.Content.CopyToAsync(Stream.Null, cancellationToken);
            return true;
        }
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        return Fail($"{request.Method} {request.RequestUri?.PathAndQuery} -> {(int)response.StatusCode} {response.ReasonPhrase}: {body}");
    }
}

/// <summary>GET /health: a constant JSON body from the same server, the baseline for reads.</summary>
internal sealed class HealthWorkload(HttpClient client, Uri server) : HttpWorkload(client)
{
    private readonly Uri _uri = new(server, "/health");

    public override string Name => "health";

    public override string Description => "GET /health (constant JSON, no database)";

    public override ValueTask<bool> ExecuteAsync(int worker, long iteration, CancellationToken cancellationToken) =>
        GetAsync(_uri, cancellationToken);
}

/// <summary>
/// GETs cycling over a fixed list of seeded URLs, each worker starting at a different place. With replicas, worker
/// <c>w</c> sends to replica <c>w mod n</c> (the URLs are rewritten once, up front, so both set-ups cost the client the same).
/// </summary>
internal sealed class ReadWorkload(HttpClient client, string name, string description, IReadOnlyList<Uri> targets, IReadOnlyList<Uri>? replicas = null) : HttpWorkload(client)
{
    private readonly Uri[][] _byReplica = (replicas is { Count: > 1 } ? replicas : [targets[0]])
        .Select(r => targets.Select(t => new UriBuilder(t) { Host = r.Host, Port = r.Port }.Uri).ToArray()).ToArray();

    public override string Name => name;

    public override string Description => replicas is { Count: > 1 } ? $"{description}, spread over {replicas.Count} replicas" : description;

    public override ValueTask<bool> ExecuteAsync(int worker, long iteration, CancellationToken cancellationToken)
    {
        var mine = _byReplica[worker % _byReplica.Length];
        return GetAsync(mine[(int)((worker * 7919L + iteration) % mine.Length)], cancellationToken);
    }
}

/// <summary>POST /api/v1/models with a name no other operation uses.</summary>
internal sealed class ModelCreateWorkload(HttpClient client, BenchData data) : HttpWorkload(client)
{
    private readonly Uri _uri = new(data.Server, "/api/v1/models");
    private int _run;

    public override string Name => "model-create";

    public override string Description => "POST /api/v1/models (unique name, 2 tags)";

    public override Task PrepareAsync(int workers, CancellationToken cancellationToken)
    {
        _run++;
        return Task.CompletedTask;
    }

    public override ValueTask<bool> ExecuteAsync(int worker, long iteration, CancellationToken cancellationToken) =>
        PostAsync(_uri, data.NewModelBody($"c{_run}_{worker}_{iteration}"), cancellationToken);
}

/// <summary>POST …/versions on a few pre-created models, with the tags, metrics and params of <see cref="BenchData.VersionBody"/>.</summary>
internal sealed class VersionCreateWorkload(HttpClient client, BenchData data) : HttpWorkload(client)
{
    public override string Name => "version-create";

    public override string Description => $"POST /api/v1/models/{{m}}/versions on {data.VersionCreateTargets.Count} models (2 tags, 2 params, 2 metrics)";

    public override ValueTask<bool> ExecuteAsync(int worker, long iteration, CancellationToken cancellationToken) =>
        PostAsync(data.VersionCreateTargets[(int)((worker + iteration) % data.VersionCreateTargets.Count)], data.VersionBody, cancellationToken);
}
