using System.Text.Json;
using System.Text.Json.Serialization;
using Cairn.Catalog;
using Cairn.Registry;

namespace Cairn.Server;

/// <summary>
/// Source-generated serialization for the hot requests and responses (registration, get-by-name, get version,
/// alias resolve);
/// the same names and enum form as <see cref="CairnJson.Options"/>, without reflection per request.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true, NumberHandling = JsonNumberHandling.Strict, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(Model))]
[JsonSerializable(typeof(ModelVersion))]
[JsonSerializable(typeof(AliasTarget))]
[JsonSerializable(typeof(CreateModelRequest))]
[JsonSerializable(typeof(CreateVersionRequest))]
internal sealed partial class CairnJsonContext : JsonSerializerContext;
