using Cairn.Lineage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Cairn.Server.Api;

/// <summary>
/// Custom metadata schemas under <c>/api/v1/metadata/schemas</c>. Namespaces hold '/' and ':' (s3://bucket, /team),
/// so they travel in the query string, never in the path.
/// </summary>
public static class MetadataSchemasApi
{
    public static RouteGroupBuilder MapMetadataSchemasApi(this RouteGroupBuilder api)
    {
        var schemas = api.MapGroup("/metadata/schemas").WithTags("Metadata schemas");
        schemas.MapPost("", RegisterAsync).WithSummary("Register the next version of a namespace's JSON Schema for one kind of entity (backward compatible, met by stored entities)");
        schemas.MapGet("", ListAsync).WithSummary("The latest version of every schema, optionally of one namespace and/or kind");
        schemas.MapGet("/versions", VersionsAsync).WithSummary("Every version of one namespace's schema for one kind, oldest first");
        schemas.MapGet("/version", GetAsync).WithSummary("One version of a schema; the latest without 'version'");
        schemas.MapPost("/validate", ValidateAsync).WithSummary("Dry run: would these properties meet the latest schema? Answers every failing path");
        return api;
    }

    public static async Task<Created<MetadataSchema>> RegisterAsync(RegisterSchemaRequest body, HttpContext http, MetadataSchemas schemas, CancellationToken cancellationToken)
    {
        var created = await schemas.RegisterAsync(http.Caller(), body, cancellationToken);
        return TypedResults.Created(
            $"/api/v1/metadata/schemas/version?namespace={Uri.EscapeDataString(created.Namespace)}&kind={Uri.EscapeDataString(created.Kind)}&version={created.Version}", created);
    }

    public static async Task<Ok<MetadataSchemaList>> ListAsync(
        HttpContext http, MetadataSchemas schemas, CancellationToken cancellationToken, string? @namespace = null, string? kind = null) =>
        TypedResults.Ok(await schemas.ListAsync(http.Caller(), @namespace, kind, cancellationToken));

    public static async Task<Ok<MetadataSchemaList>> VersionsAsync(
        HttpContext http, MetadataSchemas schemas, CancellationToken cancellationToken, string? @namespace = null, string? kind = null) =>
        TypedResults.Ok(await schemas.VersionsAsync(http.Caller(), @namespace, kind, cancellationToken));

    public static async Task<Ok<MetadataSchema>> GetAsync(
        HttpContext http, MetadataSchemas schemas, CancellationToken cancellationToken, string? @namespace = null, string? kind = null, int? version = null) =>
        TypedResults.Ok(await schemas.GetAsync(http.Caller(), @namespace, kind, version, cancellationToken));

    public static async Task<Ok<PropertiesValidation>> ValidateAsync(ValidatePropertiesRequest body, HttpContext http, MetadataSchemas schemas, CancellationToken cancellationToken) =>
        TypedResults.Ok(await schemas.CheckAsync(http.Caller(), body, cancellationToken));
}
