using System.Reflection;
using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;
using NJsonSchema;
using NJsonSchema.Validation;

namespace Cairn.Lineage.OpenLineage;

/// <summary>
/// The published OpenLineage JSON schemas (2-0-2 and the standard facets Cairn reads, vendored under spec/ with their
/// licence), and validation of events against them. The event schema checks the envelope and that every facet carries
/// _producer and _schemaURL; the facet schemas check the facets Cairn interprets, where they appear in the event.
/// </summary>
public static partial class OpenLineageSchemas
{
    private const string CoreUrl = "https://openlineage.io/spec/2-0-2/OpenLineage.json";

    private static readonly Lazy<Task<Loaded>> Schemas = new(LoadAsync);

    // One validator for every call: it holds only its settings and format checkers, and building those per call cost
    // a third of validating a small facet.
    private static readonly JsonSchemaValidator Validator = new(new JsonSchemaValidatorSettings());

    /// <summary>The event schemas, and per place in an event the standard facets Cairn checks there, by facet name.</summary>
    private sealed record Loaded(
        JsonSchema RunEvent,
        JsonSchema DatasetEvent,
        JsonSchema JobEvent,
        IReadOnlyDictionary<string, JsonSchema> RunFacets,
        IReadOnlyDictionary<string, JsonSchema> JobFacets,
        IReadOnlyDictionary<string, JsonSchema> DatasetFacets,
        IReadOnlyDictionary<string, JsonSchema> InputFacets);

    /// <summary>Every violation of the schemas by <paramref name="eventJson"/>, with paths from the root of its document; empty when it is valid.</summary>
    public static async Task<IReadOnlyList<ErrorDetail>> ValidateAsync(JToken eventJson)
    {
        ArgumentNullException.ThrowIfNull(eventJson);
        var schemas = await Schemas.Value;
        if (eventJson is not JObject root)
        {
            return [new ErrorDetail("", "an OpenLineage event must be a JSON object")];
        }
        // The top level is oneOf run, dataset and job events; validating against the one the event means gives its
        // own errors rather than every alternative's.
        var envelope = root.ContainsKey("run") || !root.ContainsKey("dataset") && !root.ContainsKey("job") ? schemas.RunEvent
            : root.ContainsKey("dataset") ? schemas.DatasetEvent
            : schemas.JobEvent;
        var violations = Flatten(Validator.Validate(root, envelope)).ToList();
        if (violations.Count > 0)
        {
            return violations;
        }
        // Only the facets present are checked, each against its own definition (validating the whole facets object
        // against every facet file cost five times as much). NJsonSchema reports paths from the root of the token's
        // document, so facets' errors need no prefix.
        void Check(JToken? facets, IReadOnlyDictionary<string, JsonSchema> known)
        {
            foreach (var facet in (facets as JObject)?.Properties() ?? [])
            {
                if (known.TryGetValue(facet.Name, out var schema))
                {
                    violations.AddRange(Flatten(Validator.Validate(facet.Value, schema)));
                }
            }
        }
        Check(root.SelectToken("run.facets"), schemas.RunFacets);
        Check(root.SelectToken("job.facets"), schemas.JobFacets);
        Check(root.SelectToken("dataset.facets"), schemas.DatasetFacets);
        foreach (var side in new[] { "inputs", "outputs" })
        {
            if (root[side] is JArray datasets)
            {
                for (var i = 0; i < datasets.Count; i++)
                {
                    Check(datasets[i]["facets"], schemas.DatasetFacets);
                    Check(datasets[i]["inputFacets"], schemas.InputFacets);
                }
            }
        }
        return violations;
    }

    /// <summary>The leaves of NJsonSchema's error tree (allOf/oneOf nest the real errors).</summary>
    private static IEnumerable<ErrorDetail> Flatten(IEnumerable<ValidationError> errors)
    {
        foreach (var error in errors)
        {
            if (error is ChildSchemaValidationError child && child.Errors.Count > 0)
            {
                foreach (var violation in child.Errors.Values.SelectMany(Flatten).Distinct())
                {
                    yield return violation;
                }
                continue;
            }
            yield return new ErrorDetail((error.Path ?? "#").TrimStart('#').TrimStart('/'), Describe(error));
        }
    }

    private static string Describe(ValidationError error) => error.Kind switch
    {
        ValidationErrorKind.PropertyRequired => "is required",
        ValidationErrorKind.NotInEnumeration => "must be one of " + string.Join(", ", error.Schema?.Enumeration.Select(e => e?.ToString()) ?? []),
        ValidationErrorKind.UuidExpected or ValidationErrorKind.GuidExpected => "must be a UUID",
        ValidationErrorKind.DateTimeExpected => "must be an ISO-8601 date-time such as 2026-11-23T10:00:00Z",
        ValidationErrorKind.UriExpected => "must be a URI",
        ValidationErrorKind.StringExpected => "must be a string",
        ValidationErrorKind.IntegerExpected => "must be an integer",
        ValidationErrorKind.NumberExpected => "must be a number",
        ValidationErrorKind.ObjectExpected => "must be an object",
        ValidationErrorKind.ArrayExpected => "must be an array",
        ValidationErrorKind.BooleanExpected => "must be true or false",
        ValidationErrorKind.NoAdditionalPropertiesAllowed => "is not allowed here",
        ValidationErrorKind.ExcludedSchemaValidates => "matches a shape the schema excludes",
        _ => SplitWords().Replace(error.Kind.ToString(), " $1").Trim().ToLowerInvariant(),
    };

    [GeneratedRegex("([A-Z])")]
    private static partial Regex SplitWords();

    private static async Task<Loaded> LoadAsync()
    {
        var core = JObject.Parse(Read("OpenLineage.json"));
        var coreSchema = await ParseAsync(core);
        JsonSchema Definition(string name) => coreSchema.Definitions[name];
        async Task<IReadOnlyDictionary<string, JsonSchema>> FacetsAsync(params string[] files)
        {
            // A facet file describes a facets object ({"schema": {"$ref": "#/$defs/SchemaDatasetFacet"}}): keep each
            // facet name's definition.
            var byName = new Dictionary<string, JsonSchema>(StringComparer.Ordinal);
            foreach (var file in files)
            {
                foreach (var (name, property) in (await ParseAsync(JObject.Parse(Read($"facets/{file}.json")), core)).Properties)
                {
                    byName[name] = property.ActualSchema;
                }
            }
            return byName;
        }
        return new Loaded(
            Definition("RunEvent"), Definition("DatasetEvent"), Definition("JobEvent"),
            await FacetsAsync("ParentRunFacet"),
            await FacetsAsync("JobTypeJobFacet"),
            await FacetsAsync("SchemaDatasetFacet", "DatasourceDatasetFacet", "DatasetVersionDatasetFacet", "DocumentationDatasetFacet"),
            await FacetsAsync("DataQualityMetricsInputDatasetFacet"));
    }

    /// <summary>
    /// Loads a schema for NJsonSchema, which reads draft-07: <c>$defs</c> become <c>definitions</c>, and references to the
    /// event schema by its URL point at its definitions copied in, so nothing is fetched.
    /// </summary>
    private static async Task<JsonSchema> ParseAsync(JObject document, JObject? core = null)
    {
        var text = document.ToString(Newtonsoft.Json.Formatting.None)
            .Replace(CoreUrl + "#/$defs/", "#/definitions/", StringComparison.Ordinal)
            .Replace("#/$defs/", "#/definitions/", StringComparison.Ordinal)
            .Replace("\"$defs\":", "\"definitions\":", StringComparison.Ordinal);
        var merged = JObject.Parse(text);
        // Nested documents (the facet files inside allOf) keep their own $id and definitions; hoist both to the root so
        // that every "#/definitions/…" resolves there.
        var definitions = new JObject();
        foreach (var nested in merged.DescendantsAndSelf().OfType<JObject>().ToList())
        {
            if (nested["definitions"] is JObject defs)
            {
                definitions.Merge(defs);
                nested.Remove("definitions");
            }
            nested.Remove("$id");
            nested.Remove("$schema");
        }
        if (core is not null)
        {
            definitions.Merge(JObject.Parse(core["$defs"]!.ToString().Replace("#/$defs/", "#/definitions/", StringComparison.Ordinal)));
        }
        merged["definitions"] = definitions;
        return await JsonSchema.FromJsonAsync(merged.ToString());
    }

    private static string Read(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"openlineage/{name}")
            ?? throw new InvalidOperationException($"The OpenLineage schema '{name}' is not embedded in the library.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
