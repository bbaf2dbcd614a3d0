using System.Text.Json.Nodes;

namespace Cairn.Client;

/// <summary>Where a model's data comes from. The server returns secret-looking keys of <see cref="Connection"/> masked as <c>****</c>.</summary>
/// <param name="Name">The data source's name, unique within its model.</param>
/// <param name="Type">What kind of store it is, such as <c>snowflake</c> or <c>s3</c>.</param>
/// <param name="Description">What the data is.</param>
/// <param name="Owner">Who answers for the data.</param>
/// <param name="Connection">Connection settings; secrets are stored but never returned in clear.</param>
public sealed record DataSource(string Name, string? Type = null, string? Description = null, string? Owner = null, JsonObject? Connection = null);

/// <summary>One side of a model's inference contract.</summary>
/// <param name="Description">What this side carries, in words.</param>
/// <param name="Schema">Its shape, typically a JSON Schema.</param>
public sealed record InferenceSchema(string? Description = null, JsonNode? Schema = null);

/// <summary>What a model takes in and gives back.</summary>
/// <param name="Input">The request side.</param>
/// <param name="Output">The response side.</param>
public sealed record InferenceSpec(InferenceSchema? Input = null, InferenceSchema? Output = null);

/// <summary>A model's catalog entry.</summary>
/// <param name="FullName">Namespace segments and name joined with dots, such as <c>abc_corp.claim.doc_classification</c>.</param>
/// <param name="Namespace">The hierarchical namespace, such as <c>/abc_corp/claim</c>; <c>/</c> is the root.</param>
/// <param name="ModelName">The model's name within its namespace.</param>
/// <param name="Description">What the model does.</param>
/// <param name="Owner">Who answers for the model.</param>
/// <param name="Url">Where its implementation or documentation lives.</param>
/// <param name="DataSources">The data it is built from.</param>
/// <param name="Inference">Its inference contract, if recorded.</param>
/// <param name="Tags">Free-form key/value labels.</param>
/// <param name="Aliases">Alias names and the version each points to.</param>
/// <param name="LatestVersion">The highest registered version number, or null before the first.</param>
/// <param name="CreatedAt">When the entry was created.</param>
/// <param name="CreatedBy">Who created it.</param>
/// <param name="UpdatedAt">When it last changed.</param>
/// <param name="UpdatedBy">Who last changed it.</param>
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
    string UpdatedBy);

/// <summary>A new catalog entry.</summary>
/// <param name="Namespace">The namespace to create it in, such as <c>/abc_corp/claim</c>; <c>/</c> is the root.</param>
/// <param name="ModelName">The model's name: letters, digits, <c>_</c> and <c>-</c>.</param>
/// <param name="Description">What the model does.</param>
/// <param name="Owner">Who answers for the model.</param>
/// <param name="Url">Where its implementation or documentation lives.</param>
/// <param name="DataSources">The data it is built from.</param>
/// <param name="Inference">Its inference contract.</param>
/// <param name="Tags">Initial tags.</param>
public sealed record CreateModelRequest(
    string Namespace,
    string ModelName,
    string? Description = null,
    string? Owner = null,
    string? Url = null,
    IReadOnlyList<DataSource>? DataSources = null,
    InferenceSpec? Inference = null,
    IReadOnlyDictionary<string, string>? Tags = null);

/// <summary>A partial update of a catalog entry: fields left null are unchanged.</summary>
/// <param name="Description">The new description.</param>
/// <param name="Owner">The new owner.</param>
/// <param name="Url">The new URL.</param>
/// <param name="DataSources">The new list of data sources (replaces the old one; masked secrets echoed back are kept).</param>
/// <param name="Inference">The new inference contract.</param>
public sealed record UpdateModelRequest(
    string? Description = null,
    string? Owner = null,
    string? Url = null,
    IReadOnlyList<DataSource>? DataSources = null,
    InferenceSpec? Inference = null);

/// <summary>One page of a model search.</summary>
/// <param name="Models">The models on this page.</param>
/// <param name="NextPageToken">Pass it back to get the next page; null on the last page.</param>
public sealed record ModelPage(IReadOnlyList<Model> Models, string? NextPageToken);
