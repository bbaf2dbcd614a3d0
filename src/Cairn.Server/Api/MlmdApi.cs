using Cairn.Lineage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Cairn.Server.Api;

/// <summary>
/// ML Metadata's model: <c>/api/v1/metadata/types</c>, <c>/artifacts</c>, <c>/contexts</c> (with their members) and
/// <c>/events</c>. A POST creates (201) or updates (200) what it names.
/// </summary>
public static class MlmdApi
{
    public static RouteGroupBuilder MapMlmdApi(this RouteGroupBuilder api)
    {
        var metadata = api.MapGroup("/metadata").WithTags("ML Metadata");
        metadata.MapPost("/types", PutTypeAsync).WithSummary("Declare an artifact, execution or context type with typed properties, or add properties to one");
        metadata.MapGet("/types", ListTypesAsync).WithSummary("Declared types, of one kind or all");
        metadata.MapGet("/types/{kind}/{name}", GetTypeAsync).WithSummary("One declared type");
        metadata.MapPost("/artifacts", PutArtifactAsync).WithSummary("Create or update a typed artifact (a lineage node artifact:<type>:<name>)");
        metadata.MapGet("/artifacts", ListArtifactsAsync).WithSummary("Artifacts, of one type or all");
        metadata.MapGet("/artifacts/{type}/{name}", GetArtifactAsync).WithSummary("One artifact");
        metadata.MapPost("/contexts", PutContextAsync).WithSummary("Create or update a context");
        metadata.MapGet("/contexts", ListContextsAsync).WithSummary("Contexts, of one type or those a node belongs to");
        metadata.MapGet("/contexts/{type}/{name}", GetContextAsync).WithSummary("One context");
        metadata.MapPost("/contexts/{type}/{name}/members", AddMemberAsync).WithSummary("Attribute a node to the context (an execution is associated)");
        metadata.MapGet("/contexts/{type}/{name}/members", MembersAsync).WithSummary("The nodes in a context");
        metadata.MapPost("/events", PutEventAsync).WithSummary("Record that an execution read (INPUT) or wrote (OUTPUT) a node");
        metadata.MapGet("/events", EventsAsync).WithSummary("The events of an execution or of an artifact");
        return api;
    }

    public static async Task<Results<Created<MetadataType>, Ok<MetadataType>>> PutTypeAsync(PutTypeRequest request, HttpContext http, MlmdStore store, CancellationToken cancellationToken) =>
        MetadataApi.Answer(await store.PutTypeAsync(http.Caller(), request, cancellationToken), t => $"/api/v1/metadata/types/{t.Kind}/{Uri.EscapeDataString(t.Name)}");

    public static async Task<Ok<MetadataTypeList>> ListTypesAsync(HttpContext http, MlmdStore store, CancellationToken cancellationToken, string? kind = null) =>
        TypedResults.Ok(await store.ListTypesAsync(http.Caller(), kind, cancellationToken));

    public static async Task<Ok<MetadataType>> GetTypeAsync(string kind, string name, HttpContext http, MlmdStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.GetTypeAsync(http.Caller(), kind, name, cancellationToken));

    public static async Task<Results<Created<Artifact>, Ok<Artifact>>> PutArtifactAsync(PutArtifactRequest request, HttpContext http, MlmdStore store, CancellationToken cancellationToken) =>
        MetadataApi.Answer(await store.PutArtifactAsync(http.Caller(), request, cancellationToken), a => $"/api/v1/metadata/artifacts/{Uri.EscapeDataString(a.Type)}/{Uri.EscapeDataString(a.Name)}");

    public static async Task<Ok<ArtifactList>> ListArtifactsAsync(
        HttpContext http, MlmdStore store, CancellationToken cancellationToken, string? type = null,
        [FromQuery(Name = "max_results")] int? maxResults = null, [FromQuery(Name = "page_token")] string? pageToken = null) =>
        TypedResults.Ok(await store.ListArtifactsAsync(http.Caller(), type, maxResults, pageToken, cancellationToken));

    public static async Task<Ok<Artifact>> GetArtifactAsync(string type, string name, HttpContext http, MlmdStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.GetArtifactAsync(http.Caller(), type, name, cancellationToken));

    public static async Task<Results<Created<Context>, Ok<Context>>> PutContextAsync(PutContextRequest request, HttpContext http, MlmdStore store, CancellationToken cancellationToken) =>
        MetadataApi.Answer(await store.PutContextAsync(http.Caller(), request, cancellationToken), c => $"/api/v1/metadata/contexts/{Uri.EscapeDataString(c.Type)}/{Uri.EscapeDataString(c.Name)}");

    public static async Task<Ok<ContextList>> ListContextsAsync(
        HttpContext http, MlmdStore store, CancellationToken cancellationToken, string? type = null, string? node = null,
        [FromQuery(Name = "max_results")] int? maxResults = null, [FromQuery(Name = "page_token")] string? pageToken = null) =>
        TypedResults.Ok(await store.ListContextsAsync(http.Caller(), type, node, maxResults, pageToken, cancellationToken));

    public static async Task<Ok<Context>> GetContextAsync(string type, string name, HttpContext http, MlmdStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.GetContextAsync(http.Caller(), type, name, cancellationToken));

    public static async Task<Ok<ContextMember>> AddMemberAsync(string type, string name, AddMemberRequest request, HttpContext http, MlmdStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.AddMemberAsync(http.Caller(), type, name, request, cancellationToken));

    public static async Task<Ok<ContextMemberList>> MembersAsync(string type, string name, HttpContext http, MlmdStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.MembersAsync(http.Caller(), type, name, cancellationToken));

    public static async Task<Created<MetadataEvent>> PutEventAsync(PutEventRequest request, HttpContext http, MlmdStore store, CancellationToken cancellationToken) =>
        TypedResults.Created((string?)null, await store.PutEventAsync(http.Caller(), request, cancellationToken));

    public static async Task<Ok<MetadataEventList>> EventsAsync(HttpContext http, MlmdStore store, CancellationToken cancellationToken, string? execution = null, string? artifact = null) =>
        TypedResults.Ok(await store.EventsAsync(http.Caller(), execution, artifact, cancellationToken));
}
