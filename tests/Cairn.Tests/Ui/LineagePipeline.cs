using System.Text.Json.Nodes;
using Cairn.Tests.Api;

namespace Cairn.Tests.Ui;

/// <summary>
/// A small pipeline recorded as a producer would record it, for the lineage and dataset pages: an ingest job reads a
/// PostgreSQL table and writes raw claims to the lake (with a schema), a training job reads the raw claims (with their
/// data quality metrics) and its run is the source run of a model version. Every name carries a fresh suffix, so tests
/// sharing one store do not meet.
/// </summary>
internal sealed record LineagePipeline(string Suffix, string IngestRun, string TrainRun, string Model)
{
    public const string SourceNamespace = "postgres://claims-db:5432";

    public string SourceName => $"public.claims_{Suffix}";

    public string RawNamespace => $"s3://lake-{Suffix}";

    public const string RawName = "raw/claims";

    public string JobNamespace => $"airflow://scheduler-{Suffix}";

    public string Source => $"dataset:{SourceNamespace}:{SourceName}";

    public string Raw => $"dataset:{RawNamespace}:{RawName}";

    public string IngestJob => $"job:{JobNamespace}:claims.ingest";

    public string TrainJob => $"job:{JobNamespace}:claims.train";

    public string ModelVersion => $"model:{Model}:1";

    private const string Producer = "https://example.com/cairn-ui-tests";

    private static JsonObject Facet(string name, JsonObject body)
    {
        body["_producer"] = Producer;
        body["_schemaURL"] = $"https://openlineage.io/spec/facets/1-0-0/{name}.json";
        return body;
    }

    private JsonObject Event(string type, string runId, string job, JsonArray inputs, JsonArray outputs) => new()
    {
        ["eventType"] = type,
        ["eventTime"] = "2026-11-22T02:00:00Z",
        ["producer"] = Producer,
        ["schemaURL"] = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        ["run"] = new JsonObject { ["runId"] = runId },
        ["job"] = new JsonObject { ["namespace"] = JobNamespace, ["name"] = job },
        ["inputs"] = inputs,
        ["outputs"] = outputs,
    };

    public static async Task<LineagePipeline> RecordAsync(CairnApp app)
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var pipeline = new LineagePipeline(suffix, Guid.NewGuid().ToString(), Guid.NewGuid().ToString(), $"ui_lineage.fraud_{suffix}");
        using var client = app.CreateClient();
        var schema = Facet("SchemaDatasetFacet", new JsonObject
        {
            ["fields"] = new JsonArray(
                new JsonObject { ["name"] = "claim_id", ["type"] = "string", ["description"] = "The claim's number" },
                new JsonObject { ["name"] = "amount", ["type"] = "double" }),
        });
        var ingest = pipeline.Event("COMPLETE", pipeline.IngestRun, "claims.ingest",
            [new JsonObject { ["namespace"] = SourceNamespace, ["name"] = pipeline.SourceName }],
            [new JsonObject
            {
                ["namespace"] = pipeline.RawNamespace, ["name"] = RawName,
                ["facets"] = new JsonObject { ["schema"] = schema, ["version"] = Facet("DatasetVersionDatasetFacet", new JsonObject { ["datasetVersion"] = "2026-11-22" }) },
            }]);
        var quality = Facet("DataQualityMetricsInputDatasetFacet", new JsonObject
        {
            ["rowCount"] = 1000,
            ["columnMetrics"] = new JsonObject
            {
                ["amount"] = new JsonObject
                {
                    ["nullCount"] = 3,
                    ["distinctCount"] = 870,
                    ["count"] = 1000,
                    ["sum"] = 420000,
                    ["min"] = 0,
                    ["max"] = 9800,
                    ["quantiles"] = new JsonObject { ["0.25"] = 80, ["0.5"] = 310, ["0.75"] = 700 },
                },
            },
        });
        var train = pipeline.Event("COMPLETE", pipeline.TrainRun, "claims.train",
            [new JsonObject { ["namespace"] = pipeline.RawNamespace, ["name"] = RawName, ["inputFacets"] = new JsonObject { ["dataQualityMetrics"] = quality } }],
            []);
        foreach (var @event in new[] { ingest, train })
        {
            await (await client.PostJsonAsync("/api/v1/lineage", @event)).ExpectAsync(201);
        }
        await (await client.PostJsonAsync("/api/v1/models", new { @namespace = "/ui_lineage", model_name = $"fraud_{suffix}" })).ExpectAsync(201);
        await (await client.PostJsonAsync($"/api/v1/models/{pipeline.Model}/versions", new { run_id = pipeline.TrainRun })).ExpectAsync(201);
        return pipeline;
    }

    /// <summary>Adds a stored histogram to the raw claims' <c>amount</c> column, as a profiler would send it.</summary>
    public async Task AddHistogramAsync(CairnApp app)
    {
        using var client = app.CreateClient();
        await (await client.PostJsonAsync("/api/v1/datasets", new
        {
            @namespace = RawNamespace,
            name = RawName,
            statistics = new
            {
                amount = new
                {
                    count = 1000,
                    nulls = 3,
                    min = 0,
                    max = 98000,
                    mean = 420.2,
                    histogram = new { edges = new[] { 0, 100, 1000, 100000 }, counts = new[] { 400, 500, 97 } },
                },
            },
        })).ExpectAsync(200);
    }
}
