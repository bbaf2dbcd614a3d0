using System.Text.Json.Nodes;

namespace Cairn.Catalog;

/// <summary>Where a model's data comes from. Secret-looking keys of <see cref="Connection"/> are returned masked.</summary>
public sealed record DataSource(string Name, string? Type, string? Description, string? Owner, JsonObject? Connection);

/// <summary>One side of a model's inference contract.</summary>
public sealed record InferenceSchema(string? Description, JsonNode? Schema);

public sealed record InferenceSpec(InferenceSchema? Input, InferenceSchema? Output);

/// <summary>
/// A model's catalog entry, as returned. <see cref="Stage"/> is the most advanced stage any of its versions is in
/// (Production, then Staging, then None; Archived only when every version is archived), null without versions.
/// </summary>
public sealed record Model(
    string FullName,
    string Namespace,
    string ModelName,
    string? Description,
    string? Owner,
    string? Url,
    IReadOnlyList<DataSource> DataSources,
    InferenceSpec? Inference,
    IReadOnlyDictionary<string, string> Tags,
    IReadOnlyDictionary<string, int> Aliases,
    int? LatestVersion,
    DateTimeOffset CreatedAt,
    string CreatedBy,
    DateTimeOffset UpdatedAt,
    string UpdatedBy,
    Registry.Stage? Stage = null);

public sealed record CreateModelRequest(
    string? Namespace,
    string? ModelName,
    string? Description = null,
    string? Owner = null,
    string? Url = null,
    IReadOnlyList<DataSource>? DataSources = null,
    InferenceSpec? Inference = null,
    IReadOnlyDictionary<string, string>? Tags = null);

/// <summary>A partial update: fields left null are unchanged.</summary>
public sealed record UpdateModelRequest(
    string? Description = null,
    string? Owner = null,
    string? Url = null,
    IReadOnlyList<DataSource>? DataSources = null,
    InferenceSpec? Inference = null);

/// <summary>
/// A search over models: filter language, free text, order, paging. <paramref name="Expression"/>, when given, is
/// the filter already parsed (and perhaps rewritten) by a protocol adapter; <paramref name="Filter"/> then only binds
/// page tokens to the search. <paramref name="Under"/> keeps models in that namespace and below it (the web UI's tree).
/// </summary>
public sealed record ModelQuery(
    string? Filter = null, string? Q = null, string? OrderBy = null, int? MaxResults = null, string? PageToken = null,
    Search.FilterGrammar Grammar = Search.FilterGrammar.Cairn, Search.FilterExpression? Expression = null, string? Under = null);

/// <summary>A namespace that holds models, with how many it holds directly.</summary>
public sealed record NamespaceCount(string Namespace, int Models);

public sealed record ModelPage(IReadOnlyList<Model> Models, string? NextPageToken);
