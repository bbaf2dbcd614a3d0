using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Cairn.Tests.Api;

namespace Cairn.Tests.Lineage;

/// <summary>
/// What the OpenLineage schema accepts, Cairn accepts: events in the shape each producer emits
/// (tests/fixtures/openlineage/producers), every schema version's envelope, events without schemaURL as Marquez takes
/// them, formats as annotations, odd but valid times and numbers. On SQLite and PostgreSQL.
/// </summary>
public sealed class OpenLineageAcceptanceTests(CairnApp app) : IClassFixture<CairnApp>
{
    private readonly HttpClient _client = app.CreateClient();

    private static JsonObject Producer(string file) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "openlineage", "producers", file)))!.AsObject();

    /// <summary>The fixture with fresh run ids and names of its own, so that tests share no rows.</summary>
    private static JsonObject Fresh(JsonObject @event)
    {
        var p = Guid.NewGuid().ToString("N")[..8];
        @event["run"]!["runId"] = Guid.NewGuid().ToString();
        @event["job"]!["name"] = $"{@event["job"]!["name"]}_{p}";
        foreach (var side in new[] { "inputs", "outputs" })
        {
            foreach (var dataset in @event[side]?.AsArray() ?? [])
            {
                dataset!["name"] = $"{dataset["name"]}_{p}";
            }
        }
        return @event;
    }

    private async Task<HttpResponseMessage> PostAsync(string path, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        return await _client.PostAsync(new Uri(path, UriKind.Relative), content);
    }

    private async Task<JsonObject> GetAsync(string url) => await (await _client.GetAsync(new Uri(url, UriKind.Relative))).ExpectAsync(200);

    private static string Q(string value) => Uri.EscapeDataString(value);

    /// <summary>A minimal run event declaring <paramref name="version"/> (null: no schemaURL at all).</summary>
    private static JsonObject RunEvent(string? version, string eventType = "START", string eventTime = "2026-10-03T08:00:00Z")
    {
        var @event = new JsonObject
        {
            ["eventType"] = eventType,
            ["eventTime"] = eventTime,
            ["producer"] = "https://github.com/OpenLineage/OpenLineage/tree/1.26.0/client/python",
            ["run"] = new JsonObject { ["runId"] = Guid.NewGuid().ToString() },
            ["job"] = new JsonObject { ["namespace"] = "acceptance", ["name"] = $"job_{Guid.NewGuid():N}" },
            ["inputs"] = new JsonArray(),
            ["outputs"] = new JsonArray(),
        };
        if (version is not null)
        {
            @event["schemaURL"] = $"https://openlineage.io/spec/{version}/OpenLineage.json#/{(version.StartsWith('1') ? "definitions" : "$defs")}/RunEvent";
        }
        return @event;
    }

    // Ports the shapes of OpenLineage's Spark integration tests (integration/spark/app/integrations/container/pysparkBigquery*,
    // the Dataproc compatibility events), the Airflow Google provider's BigQuery events, dbt's, Flink's and Airflow's.
    [Theory]
    [InlineData("spark_bigquery_file_hdfs.json")]
    [InlineData("bigquery_job.json")]
    [InlineData("dbt_model.json")]
    [InlineData("flink_kafka.json")]
    [InlineData("airflow_task.json")]
    public async Task An_event_as_each_producer_emits_it_is_accepted_with_its_datasets(string file)
    {
        var @event = Fresh(Producer(file));

        var result = await (await PostAsync("/api/v1/lineage", @event.ToJsonString())).ExpectAsync(201);

        Assert.Equal(1, (int)result["events"]!);
        foreach (var dataset in @event["inputs"]!.AsArray().Concat(@event["outputs"]!.AsArray()))
        {
            await GetAsync($"/api/v1/datasets/get?namespace={Q((string)dataset!["namespace"]!)}&name={Q((string)dataset["name"]!)}");
        }
        var run = await GetAsync($"/api/v1/executions/{@event["run"]!["runId"]}");
        Assert.Equal((string?)@event["job"]!["name"], (string?)run["job_name"]);
    }

    [Fact]
    public async Task A_spark_event_with_bigquery_and_file_data_source_uris_keeps_its_lineage()
    {
        var @event = Fresh(Producer("spark_bigquery_file_hdfs.json"));

        await (await PostAsync("/api/v1/lineage", @event.ToJsonString())).ExpectAsync(201);

        var run = await GetAsync($"/api/v1/executions/{@event["run"]!["runId"]}");
        Assert.Equal(2, run["inputs"]!.AsArray().Count);
        Assert.Single(run["outputs"]!.AsArray());
        var bigquery = await GetAsync($"/api/v1/datasets/get?namespace=bigquery&name={Q((string)@event["inputs"]![0]!["name"]!)}");
        Assert.Equal("bigquery", (string?)bigquery["location"]);
        var file = await GetAsync($"/api/v1/datasets/get?namespace=file&name={Q((string)@event["inputs"]![1]!["name"]!)}");
        Assert.Equal("file", (string?)file["location"]);
    }

    [Theory]
    [InlineData("bigquery")]
    [InlineData("file")]
    [InlineData("file://172.16.238.100:21/exports/orders.csv")]
    [InlineData("not a uri at all")]
    public async Task Formats_are_annotations_so_any_data_source_uri_and_producer_string_is_accepted(string uri)
    {
        var @event = RunEvent("2-0-2", "COMPLETE");
        @event["producer"] = "my-producer";
        @event["inputs"] = new JsonArray(new JsonObject
        {
            ["namespace"] = "odd-uris",
            ["name"] = $"input_{Guid.NewGuid():N}",
            ["facets"] = new JsonObject
            {
                ["dataSource"] = new JsonObject { ["_producer"] = "my-producer", ["_schemaURL"] = "custom facet", ["name"] = "x", ["uri"] = uri },
            },
        });

        await (await PostAsync("/api/v1/lineage", @event.ToJsonString())).ExpectAsync(201);
    }

    [Theory]
    [InlineData("1-0-0", "START", true)]
    [InlineData("1-0-1", "COMPLETE", true)]
    [InlineData("1-0-2", "RUNNING", false)] // RUNNING arrived in 1-0-3
    [InlineData("1-0-3", "RUNNING", true)]
    [InlineData("1-0-4", "FAIL", true)]
    [InlineData("1-0-5", "ABORT", true)]
    [InlineData("2-0-0", "RUNNING", true)]
    [InlineData("2-0-1", "OTHER", true)]
    [InlineData("2-0-2", "COMPLETE", true)]
    [InlineData("2-0-9", "RUNNING", true)] // a future version: checked against the newest
    [InlineData("3-0-0", "COMPLETE", true)]
    public async Task An_event_is_checked_against_the_schema_version_it_declares(string version, string eventType, bool accepted)
    {
        var @event = RunEvent(version, eventType);

        var response = await PostAsync("/api/v1/lineage", @event.ToJsonString());

        if (accepted)
        {
            await response.ExpectAsync(201);
        }
        else
        {
            var problem = await response.ExpectAsync(400, "INVALID_PARAMETER_VALUE");
            Assert.Contains(problem["errors"]!.AsArray(), e => (string?)e!["path"] == "eventType");
        }
    }

    [Fact]
    public async Task A_1_0_x_event_is_held_to_its_own_required_fields_and_facet_shapes()
    {
        // 1-0-0 defines the parent facet inline and requires its run id, as later versions do through the facet file.
        var @event = RunEvent("1-0-0");
        @event["run"]!["facets"] = new JsonObject
        {
            ["parent"] = new JsonObject
            {
                ["_producer"] = "https://example.com/p",
                ["_schemaURL"] = "https://openlineage.io/spec/1-0-0/OpenLineage.json#/definitions/ParentRunFacet",
                ["run"] = new JsonObject(),
                ["job"] = new JsonObject { ["namespace"] = "n", ["name"] = "j" },
            },
        };

        var problem = await (await PostAsync("/api/v1/lineage", @event.ToJsonString())).ExpectAsync(400, "INVALID_PARAMETER_VALUE");

        Assert.Contains(problem["errors"]!.AsArray(), e => (string?)e!["path"] == "run.facets.parent.run.runId" && (string?)e["message"] == "is required");
    }

    [Fact]
    public async Task A_job_event_declaring_a_1_0_x_version_is_read_as_the_newest_job_event()
    {
        // Marquez's own fixture (open_lineage/event_job_event.json) declares 1-0-1#/definitions/JobEvent, which 1-0-1 lacks.
        var @event = new JsonObject
        {
            ["eventType"] = "COMPLETE",
            ["eventTime"] = "2020-12-28T19:52:00.001+10:00",
            ["producer"] = "https://github.com/OpenLineage/OpenLineage/blob/v1-0-0/client",
            ["schemaURL"] = "https://openlineage.io/spec/1-0-1/OpenLineage.json#/definitions/JobEvent",
            ["job"] = new JsonObject { ["namespace"] = "marquez-fixtures", ["name"] = $"job_{Guid.NewGuid():N}" },
        };

        await (await PostAsync("/api/v1/lineage", @event.ToJsonString())).ExpectAsync(201);
    }

    [Fact]
    public async Task An_event_without_schemaURL_is_accepted_as_Marquez_accepts_it_and_still_needs_what_Marquez_needs()
    {
        var @event = RunEvent(null, "COMPLETE");

        await (await PostAsync("/api/v1/lineage", @event.ToJsonString())).ExpectAsync(201);
        var problem = await (await PostAsync("/api/v1/lineage", RunEvent(null).ToJsonString().Replace("\"producer\"", "\"producr\"", StringComparison.Ordinal))).ExpectAsync(400);
        Assert.Contains(problem["errors"]!.AsArray(), e => (string?)e!["path"] == "producer");
    }

    [Theory]
    [InlineData("2026-06-30T23:59:60Z", "2026-06-30T23:59:59.999Z")] // a leap second: the last millisecond of its minute
    [InlineData("2026-06-30T23:59:60.5Z", "2026-06-30T23:59:59.999Z")]
    [InlineData("2026-10-03T24:00:00Z", "2026-10-04T00:00:00Z")] // ISO 8601's end of day: the next day's start
    [InlineData("2026-10-03T23:00:00+14:00", "2026-10-03T09:00:00Z")]
    [InlineData("2026-10-03T10:00:00.123456789Z", "2026-10-03T10:00:00.123Z")]
    [InlineData("2026-10-03t10:00:00z", "2026-10-03T10:00:00Z")]
    [InlineData("2026-10-03T10:00:00-23:59", "2026-10-04T09:59:00Z")]
    [InlineData("2026-10-03T10:00:00", "2026-10-03T10:00:00Z")] // no offset: UTC, as Cairn always read it
    public async Task An_event_time_the_format_allows_is_accepted_and_placed(string eventTime, string expected)
    {
        var @event = RunEvent("2-0-2", "START", eventTime);

        await (await PostAsync("/api/v1/lineage", @event.ToJsonString())).ExpectAsync(201);

        var run = await GetAsync($"/api/v1/executions/{@event["run"]!["runId"]}");
        Assert.Equal(DateTimeOffset.Parse(expected, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds(), (long)run["started_at"]!);
    }

    [Theory]
    [InlineData("2021-02-30T10:00:00Z", "calendar")]
    [InlineData("2026-10-03T24:00:01Z", "time of day")]
    [InlineData("2026-10-03T25:00:00Z", "time of day")]
    [InlineData("0000-01-01T00:00:00Z", "calendar")]
    [InlineData("9999-12-31T23:59:59-05:00", "years")]
    [InlineData("2026-10-03 10:00:00Z", "RFC 3339")]
    [InlineData("yesterday", "RFC 3339")]
    public async Task An_event_time_Cairn_cannot_place_is_refused_naming_eventTime(string eventTime, string reason)
    {
        var problem = await (await PostAsync("/api/v1/lineage", RunEvent("2-0-2", "START", eventTime).ToJsonString())).ExpectAsync(400, "INVALID_PARAMETER_VALUE");

        var error = Assert.Single(problem["errors"]!.AsArray(), e => (string?)e!["path"] == "eventTime")!;
        Assert.Contains(reason, (string?)error["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Numbers_beyond_Int64_and_double_anywhere_in_an_event_are_accepted()
    {
        var @event = RunEvent("2-0-2", "COMPLETE");
        var name = $"huge_{Guid.NewGuid():N}";
        @event["run"]!["facets"] = JsonNode.Parse("""
            {"custom_counters": {"_producer": "my-producer", "_schemaURL": "https://example.com/counters.json",
             "rows": 123456789012345678901234567890, "ratio": 1e400, "tiny": -1e400}}
            """);
        @event["inputs"] = JsonNode.Parse("""
            [{"namespace": "huge", "name": "__NAME__", "inputFacets": {"dataQualityMetrics": {
              "_producer": "my-producer", "_schemaURL": "https://openlineage.io/spec/facets/1-0-3/DataQualityMetricsInputDatasetFacet.json#/$defs/DataQualityMetricsInputDatasetFacet",
              "rowCount": 123456789012345678901234567890,
              "columnMetrics": {
                "id": {"count": 123456789012345678901234567890, "nullCount": 0},
                "amount": {"count": 10, "nullCount": 1, "sum": 1e400},
                "score": {"count": 10, "nullCount": 0, "min": 0.5, "max": 9.5, "sum": 50}}}}}]
            """.Replace("__NAME__", name, StringComparison.Ordinal));

        var result = await (await PostAsync("/api/v1/lineage", @event.ToJsonString())).ExpectAsync(201);

        var notes = result["notes"]!.AsArray().Select(n => (string)n!["path"]!).ToList();
        Assert.Contains("inputs[0].inputFacets.dataQualityMetrics.columnMetrics.id", notes);
        Assert.Contains("inputs[0].inputFacets.dataQualityMetrics.columnMetrics.amount", notes);
        var dataset = await GetAsync($"/api/v1/datasets/get?namespace=huge&name={name}");
        Assert.Equal(["score"], dataset["statistics"]!.AsObject().Select(p => p.Key));
        Assert.Equal(5.0, (double)dataset["statistics"]!["score"]!["mean"]!);
    }

    [Fact]
    public async Task Statistics_Cairn_cannot_interpret_are_noted_and_the_run_is_kept()
    {
        var @event = RunEvent("2-0-2", "COMPLETE");
        var name = $"stats_{Guid.NewGuid():N}";
        @event["inputs"] = JsonNode.Parse("""
            [{"namespace": "odd-stats", "name": "__NAME__", "inputFacets": {"dataQualityMetrics": {
              "_producer": "my-producer", "_schemaURL": "https://openlineage.io/spec/facets/1-0-2/DataQualityMetricsInputDatasetFacet.json#/$defs/DataQualityMetricsInputDatasetFacet",
              "rowCount": 100,
              "columnMetrics": {
                "percentiles": {"count": 100, "nullCount": 0, "quantiles": {"25": 1.0, "50": 2.0, "75": 3.0}},
                "too_many_nulls": {"count": 10, "nullCount": 12},
                "fine": {"count": 100, "nullCount": 3, "distinctCount": 40, "quantiles": {"0.5": 7.0}}}}}}]
            """.Replace("__NAME__", name, StringComparison.Ordinal));

        var result = await (await PostAsync("/api/v1/lineage", @event.ToJsonString())).ExpectAsync(201);

        var notes = result["notes"]!.AsArray();
        Assert.Contains(notes, n => (string?)n!["path"] == "inputs[0].inputFacets.dataQualityMetrics.columnMetrics.percentiles"
            && ((string)n["message"]!).Contains("\"25\"", StringComparison.Ordinal));
        Assert.Contains(notes, n => (string?)n!["path"] == "inputs[0].inputFacets.dataQualityMetrics.columnMetrics.too_many_nulls");
        var dataset = await GetAsync($"/api/v1/datasets/get?namespace=odd-stats&name={name}");
        Assert.Equal(["fine"], dataset["statistics"]!.AsObject().Select(p => p.Key));
        var run = await GetAsync($"/api/v1/executions/{@event["run"]!["runId"]}");
        Assert.Equal("COMPLETE", (string?)run["state"]);
        var audited = await app.ScalarAsync<string>($"SELECT after FROM audit_log WHERE resource = 'executions/{@event["run"]!["runId"]}' ORDER BY seq DESC LIMIT 1");
        Assert.Equal(2, JsonNode.Parse(audited)!["notes"]!.AsArray().Count);
    }

    [Fact]
    public async Task A_statistics_facet_that_breaks_its_schema_is_kept_and_noted_not_refused()
    {
        var @event = RunEvent("2-0-2", "COMPLETE");
        var name = $"nonnumeric_{Guid.NewGuid():N}";
        @event["inputs"] = JsonNode.Parse("""
            [{"namespace": "odd-stats", "name": "__NAME__", "inputFacets": {"dataQualityMetrics": {
              "_producer": "my-producer", "_schemaURL": "https://openlineage.io/spec/facets/1-0-3/DataQualityMetricsInputDatasetFacet.json#/$defs/DataQualityMetricsInputDatasetFacet",
              "columnMetrics": {"created": {"count": 5, "min": "2026-01-01", "max": "2026-09-30"}}}}}]
            """.Replace("__NAME__", name, StringComparison.Ordinal));

        var result = await (await PostAsync("/api/v1/lineage", @event.ToJsonString())).ExpectAsync(201);

        Assert.Contains(result["notes"]!.AsArray(), n => (string?)n!["path"] == "inputs[0].inputFacets.dataQualityMetrics.columnMetrics.created.min");
        Assert.Empty((await GetAsync($"/api/v1/datasets/get?namespace=odd-stats&name={name}"))["statistics"]!.AsObject());
    }

    [Fact]
    public async Task A_facet_Cairn_interprets_is_checked_against_the_version_its_schemaURL_names()
    {
        // Symlinks 1-0-0 and 1-0-1 both require an identifier's type; column lineage 1-0-1 requires inputFields.
        var @event = RunEvent("2-0-2", "COMPLETE");
        @event["outputs"] = JsonNode.Parse("""
            [{"namespace": "versions", "name": "out___NAME__", "facets": {
              "symlinks": {"_producer": "p", "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/SymlinksDatasetFacet.json#/$defs/SymlinksDatasetFacet",
                           "identifiers": [{"namespace": "hive://metastore:9083", "name": "default.t"}]},
              "columnLineage": {"_producer": "p", "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet",
                                "fields": {"a": {"transformationType": "IDENTITY"}}}}}]
            """.Replace("__NAME__", Guid.NewGuid().ToString("N"), StringComparison.Ordinal));

        var problem = await (await PostAsync("/api/v1/lineage", @event.ToJsonString())).ExpectAsync(400, "INVALID_PARAMETER_VALUE");

        var paths = problem["errors"]!.AsArray().Select(e => (string)e!["path"]!).ToList();
        Assert.Contains("outputs[0].facets.symlinks.identifiers[0].type", paths);
        Assert.Contains("outputs[0].facets.columnLineage.fields.a.inputFields", paths);
    }

    [Fact]
    public async Task A_facet_Cairn_does_not_interpret_is_held_only_to_the_event_schema()
    {
        var @event = RunEvent("2-0-2", "COMPLETE");
        // storage without its required storageLayer, lifecycleStateChange with a value outside its enum: not Cairn's to refuse.
        @event["outputs"] = JsonNode.Parse("""
            [{"namespace": "uninterpreted", "name": "out___NAME__", "facets": {
              "storage": {"_producer": "p", "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/StorageDatasetFacet.json#/$defs/StorageDatasetFacet", "fileFormat": "parquet"},
              "lifecycleStateChange": {"_producer": "p", "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/LifecycleStateChangeDatasetFacet.json#/$defs/LifecycleStateChangeDatasetFacet", "lifecycleStateChange": "SHRINK"}}}]
            """.Replace("__NAME__", Guid.NewGuid().ToString("N"), StringComparison.Ordinal));

        await (await PostAsync("/api/v1/lineage", @event.ToJsonString())).ExpectAsync(201);
        @event["outputs"]![0]!["facets"]!["storage"]!.AsObject().Remove("_producer");
        var problem = await (await PostAsync("/api/v1/lineage", @event.ToJsonString())).ExpectAsync(400);
        Assert.Contains(problem["errors"]!.AsArray(), e => (string?)e!["path"] == "outputs[0].facets.storage._producer");
    }
}
