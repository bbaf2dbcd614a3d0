using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Cairn.Lineage.OpenLineage;

/// <summary>What the schemas said of one event.</summary>
/// <param name="Version">The schema version the event was checked against (the one it declares, or the newest known).</param>
/// <param name="Violations">What refuses the event, by path.</param>
/// <param name="Notes">What Cairn keeps but will not interpret (a statistics facet that breaks its schema), by path.</param>
public sealed record OpenLineageValidation(string Version, IReadOnlyList<ErrorDetail> Violations, IReadOnlyList<ErrorDetail> Notes);

/// <summary>
/// The published OpenLineage JSON schemas (every event schema version from 1-0-0 to 2-0-2 and the versions of the facets
/// Cairn interprets, vendored under spec/ with their licence), and validation of events against them.
/// An event is checked against the version its <c>schemaURL</c> declares; an unknown or future version, against the
/// newest known; an event without <c>schemaURL</c>, against the newest with <c>schemaURL</c> not required (Marquez takes
/// such events as run events). <c>format</c> is an annotation, as JSON Schema 2020-12 defines it: a data source URI
/// <c>bigquery</c> or a producer <c>my-producer</c> is valid. The facets Cairn interprets are checked against the facet
/// schema version their own <c>_schemaURL</c> names; every other facet only as far as the event schema says.
/// </summary>
public static partial class OpenLineageSchemas
{
    /// <summary>The event schema versions Cairn knows, oldest first.</summary>
    public static IReadOnlyList<string> Versions { get; } = ["1-0-0", "1-0-1", "1-0-2", "1-0-3", "1-0-4", "1-0-5", "2-0-0", "2-0-1", "2-0-2"];

    /// <summary>The newest event schema version Cairn knows; unknown and future versions are checked against it.</summary>
    public static string Newest => Versions[^1];

    private const string Unversioned = "urn:cairn:openlineage:unversioned";

    /// <summary>The facets Cairn interprets, by where they sit in an event and their key there, with the file that defines them.</summary>
    private static readonly (string Place, string Key, string File, bool Soft)[] Interpreted =
    [
        ("run", "parent", "ParentRunFacet", false),
        ("job", "jobType", "JobTypeJobFacet", false),
        ("dataset", "schema", "SchemaDatasetFacet", false),
        ("dataset", "dataSource", "DatasourceDatasetFacet", false),
        ("dataset", "version", "DatasetVersionDatasetFacet", false),
        ("dataset", "documentation", "DocumentationDatasetFacet", false),
        ("dataset", "symlinks", "SymlinksDatasetFacet", false),
        ("dataset", "columnLineage", "ColumnLineageDatasetFacet", false),
        // Column statistics describe a dataset, they carry no lineage: a facet Cairn cannot read is kept and noted, not refused.
        ("input", "dataQualityMetrics", "DataQualityMetricsInputDatasetFacet", true),
    ];

    private static readonly Lazy<Loaded> Schemas = new(Load);

    private sealed record EventSchemas(SchemaNode Run, SchemaNode? Dataset, SchemaNode? Job);

    /// <summary>A facet's published versions, oldest first.</summary>
    private sealed record FacetSchemas(bool Soft, IReadOnlyList<(string Version, SchemaNode Schema)> Versions)
    {
        public System.Collections.Concurrent.ConcurrentDictionary<string, SchemaNode> ByUrl { get; } = new(StringComparer.Ordinal);
    }

    private sealed record Loaded(
        IReadOnlyDictionary<string, EventSchemas> Events, EventSchemas WithoutSchemaUrl, IReadOnlyDictionary<(string Place, string Key), FacetSchemas> Facets);

    /// <summary>The version an event's <c>schemaURL</c> names (<c>…/spec/2-0-2/OpenLineage.json#/$defs/RunEvent</c>), or null.</summary>
    public static string? DeclaredVersion(string? schemaUrl) =>
        schemaUrl is null ? null : EventVersion().Match(schemaUrl) is { Success: true } match ? match.Groups[1].Value : null;

    /// <summary>Checks one event; violations carry paths from the event's root, each prefixed with <paramref name="prefix"/>.</summary>
    public static OpenLineageValidation Validate(JsonElement root, string prefix = "")
    {
        var schemas = Schemas.Value;
        var violations = new List<ErrorDetail>();
        var notes = new List<ErrorDetail>();
        if (root.ValueKind != JsonValueKind.Object)
        {
            violations.Add(new ErrorDetail(prefix, "an OpenLineage event must be a JSON object"));
            return new OpenLineageValidation(Newest, violations, notes);
        }
        var hasSchemaUrl = root.TryGetProperty("schemaURL", out var url);
        var declared = hasSchemaUrl && url.ValueKind == JsonValueKind.String ? DeclaredVersion(url.GetString()) : null;
        var version = declared is not null && schemas.Events.ContainsKey(declared) ? declared : Newest;
        var events = hasSchemaUrl ? schemas.Events[version] : schemas.WithoutSchemaUrl;
        // The top level is oneOf run, dataset and job events (1-0-x: run events only); checking the one the event means
        // gives its own errors rather than every alternative's.
        // A job or dataset event declaring a 1-0-x version (Marquez's own fixtures do) names a definition that version
        // lacks: the newest version's is the one that describes it.
        var hasRun = root.TryGetProperty("run", out var run);
        var hasDataset = root.TryGetProperty("dataset", out var dataset);
        var hasJob = root.TryGetProperty("job", out var job);
        var envelope = hasRun || !hasDataset && !hasJob ? events.Run
            : hasDataset ? events.Dataset ?? schemas.Events[Newest].Dataset!
            : events.Job ?? schemas.Events[Newest].Job!;
        envelope.Check(root, new SchemaPath(prefix), violations);
        // Event schemas 1-0-0 and 1-0-1 define the statistics facet inline: what it breaks there is noted, as below.
        for (var i = violations.Count - 1; i >= 0; i--)
        {
            if (violations[i].Path.Contains(".inputFacets.dataQualityMetrics", StringComparison.Ordinal))
            {
                notes.Insert(0, violations[i]);
                violations.RemoveAt(i);
            }
        }
        if (violations.Count > 0)
        {
            return new OpenLineageValidation(version, violations, notes);
        }
        void CheckFacets(JsonElement owner, string property, string place, SchemaPath path)
        {
            if (owner.ValueKind != JsonValueKind.Object || !owner.TryGetProperty(property, out var facets) || facets.ValueKind != JsonValueKind.Object)
            {
                return;
            }
            foreach (var facet in facets.EnumerateObject())
            {
                var body = facet.Value;
                if (body.ValueKind != JsonValueKind.Object || !schemas.Facets.TryGetValue((place, facet.Name), out var known)
                    || body.TryGetProperty("_deleted", out var deleted) && deleted.ValueKind == JsonValueKind.True)
                {
                    continue;
                }
                path.Push(facet.Name);
                var schemaUrl = body.TryGetProperty("_schemaURL", out var given) && given.ValueKind == JsonValueKind.String ? given.GetString() : null;
                known.ForUrl(schemaUrl).Check(body, path, known.Soft ? notes : violations);
                path.Pop();
            }
        }
        SchemaPath At(params object[] segments)
        {
            var path = new SchemaPath(prefix);
            foreach (var segment in segments)
            {
                if (segment is int index)
                {
                    path.Push(index);
                }
                else
                {
                    path.Push((string)segment);
                }
            }
            return path;
        }
        if (hasRun)
        {
            CheckFacets(run, "facets", "run", At("run", "facets"));
        }
        if (hasJob)
        {
            CheckFacets(job, "facets", "job", At("job", "facets"));
        }
        if (hasDataset)
        {
            CheckFacets(dataset, "facets", "dataset", At("dataset", "facets"));
        }
        foreach (var side in new[] { "inputs", "outputs" })
        {
            if (root.TryGetProperty(side, out var datasets) && datasets.ValueKind == JsonValueKind.Array)
            {
                var i = 0;
                foreach (var one in datasets.EnumerateArray())
                {
                    CheckFacets(one, "facets", "dataset", At(side, i, "facets"));
                    CheckFacets(one, "inputFacets", side == "inputs" ? "input" : "output", At(side, i, "inputFacets"));
                    i++;
                }
            }
        }
        return new OpenLineageValidation(version, violations, notes.Distinct().ToList());
    }

    /// <summary>
    /// The schema of the facet version <paramref name="schemaUrl"/> names (<c>…/spec/facets/1-0-1/SymlinksDatasetFacet.json</c>):
    /// that version where it is published, else the newest published before it (the oldest when none is), and the newest
    /// when the URL names no facet version.
    /// </summary>
    private static SchemaNode ForUrl(this FacetSchemas facet, string? schemaUrl) =>
        schemaUrl is null ? facet.Versions[^1].Schema
        // Producers repeat a handful of URLs: each is read once (and a flood of distinct ones is not kept).
        : facet.ByUrl.TryGetValue(schemaUrl, out var known) ? known
        : facet.ByUrl.Count < 1000 ? facet.ByUrl[schemaUrl] = facet.Choose(schemaUrl)
        : facet.Choose(schemaUrl);

    private static SchemaNode Choose(this FacetSchemas facet, string schemaUrl)
    {
        if (FacetVersion().Match(schemaUrl) is not { Success: true } match)
        {
            return facet.Versions[^1].Schema;
        }
        var wanted = Order(match.Groups[1].Value);
        var chosen = facet.Versions[0].Schema;
        foreach (var (version, schema) in facet.Versions)
        {
            if (Order(version).CompareTo(wanted) <= 0)
            {
                chosen = schema;
            }
        }
        return chosen;
    }

    private static (int, int, int) Order(string version)
    {
        var parts = version.Split('-');
        return (int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"/spec/([0-9]{1,4}-[0-9]{1,4}-[0-9]{1,4})/OpenLineage\.json", RegexOptions.CultureInvariant)]
    private static partial Regex EventVersion();

    [GeneratedRegex(@"/spec/facets/([0-9]{1,4}-[0-9]{1,4}-[0-9]{1,4})/[A-Za-z]+\.json", RegexOptions.CultureInvariant)]
    private static partial Regex FacetVersion();

    private static Loaded Load()
    {
        var set = new SchemaSet();
        var assembly = Assembly.GetExecutingAssembly();
        var names = assembly.GetManifestResourceNames().Where(n => n.StartsWith("openlineage/", StringComparison.Ordinal)).ToList();
        foreach (var name in names)
        {
            set.Add(Read(assembly, name));
        }
        // Without schemaURL: the newest schema with schemaURL no longer required of the event.
        var newest = Read(assembly, $"openlineage/{Newest}/OpenLineage.json");
        var required = newest["$defs"]!["BaseEvent"]!["required"]!.AsArray();
        required.Where(r => (string?)r == "schemaURL").ToList().ForEach(r => required.Remove(r));
        set.Add(newest, Unversioned);

        EventSchemas EventsOf(string id)
        {
            var document = id == Unversioned ? newest : Read(assembly, $"openlineage/{id[(id.IndexOf("/spec/", StringComparison.Ordinal) + 6)..id.LastIndexOf('/')]}/OpenLineage.json");
            var defs = document["$defs"] is null ? "definitions" : "$defs";
            SchemaNode? Definition(string name) => document[defs]?[name] is null ? null : set.Get($"{id}#/{defs}/{name}");
            return new EventSchemas(Definition("RunEvent")!, Definition("DatasetEvent"), Definition("JobEvent"));
        }
        var events = Versions.ToDictionary(v => v, v => EventsOf($"https://openlineage.io/spec/{v}/OpenLineage.json"), StringComparer.Ordinal);

        var facets = new Dictionary<(string, string), FacetSchemas>();
        foreach (var (place, key, file, soft) in Interpreted)
        {
            var versions = names
                .Where(n => n.StartsWith("openlineage/facets/", StringComparison.Ordinal) && n.EndsWith($"/{file}.json", StringComparison.Ordinal))
                .Select(n => n.Split('/')[2])
                .OrderBy(Order)
                .Select(v => (v, set.Get($"https://openlineage.io/spec/facets/{v}/{file}.json#/properties/{key}")))
                .ToList();
            facets[(place, key)] = new FacetSchemas(soft, versions);
        }
        return new Loaded(events, EventsOf(Unversioned), facets);
    }

    private static JsonObject Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The OpenLineage schema '{name}' is not embedded in the library.");
        return JsonNode.Parse(stream)!.AsObject();
    }
}
