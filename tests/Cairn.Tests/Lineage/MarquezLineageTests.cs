using System.Text;
using System.Text.Json.Nodes;
using Cairn.Tests.Api;

namespace Cairn.Tests.Lineage;

/// <summary>
/// <c>GET /api/v1/lineage</c> gives Marquez's answers on the events Marquez's own lineage tests record
/// (marquez api/src/test/java/marquez/service/LineageServiceTest.java and db/LineageDaoTest.java), rebuilt here as
/// OpenLineage events posted to Cairn; on SQLite and PostgreSQL.
/// </summary>
public sealed class MarquezLineageTests(CairnApp app) : IClassFixture<CairnApp>
{
    private readonly HttpClient _client = app.CreateClient();

    // Each test has its own namespace: the fixture's database is shared by the class.
    private readonly string _ns = $"marquez-{Guid.NewGuid():N}"[..20];

    private DateTimeOffset _clock = new(2026, 11, 22, 1, 0, 0, TimeSpan.Zero);

    private static JsonObject Dataset(string ns, string name, params string[] fields) => new()
    {
        ["namespace"] = ns,
        ["name"] = name,
        ["facets"] = fields.Length == 0 ? new JsonObject() : new JsonObject
        {
            ["schema"] = new JsonObject
            {
                ["_producer"] = "https://example.com/tests",
                ["_schemaURL"] = "https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet",
                ["fields"] = new JsonArray(fields.Select(f => (JsonNode)new JsonObject { ["name"] = f, ["type"] = "string", ["description"] = $"the {f}" }).ToArray()),
            },
        },
    };

    private JsonObject Ds(string name, params string[] fields) => Dataset(_ns, name, fields);

    /// <summary>A run event as Marquez's LineageTestUtils.createLineageRow writes it: one event per run unless a run id is given.</summary>
    private JsonObject Event(string job, string eventType, IEnumerable<JsonObject> inputs, IEnumerable<JsonObject> outputs, string? runId = null, JsonObject? jobFacets = null)
    {
        _clock = _clock.AddSeconds(1);
        return new JsonObject
        {
            ["eventType"] = eventType,
            ["eventTime"] = _clock.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture),
            ["producer"] = "https://github.com/MarquezProject/marquez/tree/main/api/src/test",
            ["schemaURL"] = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
            ["run"] = new JsonObject { ["runId"] = runId ?? Guid.NewGuid().ToString() },
            ["job"] = new JsonObject { ["namespace"] = _ns, ["name"] = job, ["facets"] = jobFacets?.DeepClone() ?? new JsonObject() },
            ["inputs"] = new JsonArray(inputs.Select(i => (JsonNode)i.DeepClone()).ToArray()),
            ["outputs"] = new JsonArray(outputs.Select(o => (JsonNode)o.DeepClone()).ToArray()),
        };
    }

    private static JsonObject Streaming() => new()
    {
        ["jobType"] = new JsonObject
        {
            ["_producer"] = "https://example.com/tests",
            ["_schemaURL"] = "https://openlineage.io/spec/facets/2-0-2/JobTypeJobFacet.json#/$defs/JobTypeJobFacet",
            ["processingType"] = "STREAMING",
            ["integration"] = "FLINK",
            ["jobType"] = "JOB",
        },
    };

    private async Task PostAsync(params JsonObject[] events)
    {
        for (var i = 0; i < events.Length; i += 1000)
        {
            using var content = new StringContent(new JsonArray(events.Skip(i).Take(1000).Select(e => (JsonNode)e).ToArray()).ToJsonString(), Encoding.UTF8, "application/json");
            await (await _client.PostAsync(new Uri("/api/v1/lineage/batch", UriKind.Relative), content)).ExpectAsync(201);
        }
    }

    /// <summary>Marquez's writeDownstreamLineage: <c>count</c> jobs read <paramref name="dataset"/>, each writing its own output, and so on down the chain.</summary>
    private List<JsonObject> Downstream(JsonObject dataset, params (string Job, int Count, string? Output)[] chain)
    {
        var events = new List<JsonObject>();
        var (job, count, output) = chain[0];
        for (var i = 0; i < count; i++)
        {
            var name = $"{job}{i}<-{(string)dataset["name"]!}";
            var outputs = output is null ? [] : new[] { Ds($"{output}<-{name}", "afield", "anotherField", "anInteger") };
            events.Add(Event(name, "COMPLETE", [dataset], outputs));
            foreach (var produced in outputs)
            {
                if (chain.Length > 1)
                {
                    events.AddRange(Downstream(produced, chain[1..]));
                }
            }
        }
        return events;
    }

    private string Job(string name) => $"job:{_ns}:{name}";

    private string DatasetId(string name) => $"dataset:{_ns}:{name}";

    private async Task<JsonArray> LineageAsync(string nodeId, int? depth = null) =>
        (await (await _client.GetAsync(new Uri($"/api/v1/lineage?nodeId={Uri.EscapeDataString(nodeId)}{(depth is null ? "" : $"&depth={depth}")}", UriKind.Relative))).ExpectAsync(200))["graph"]!.AsArray();

    private static JsonObject Node(JsonArray graph, string id) => graph.Single(n => (string?)n!["id"] == id)!.AsObject();

    private static List<string> Ids(JsonArray graph) => graph.Select(n => (string)n!["id"]!).ToList();

    private static List<string> Edges(JsonObject node, string which, string end) => node[which]!.AsArray().Select(e => (string)e![end]!).ToList();

    [Fact] // LineageServiceTest.testLineage
    public async Task A_jobs_lineage_is_every_job_sharing_datasets_within_depth_with_runs_folded_into_jobs()
    {
        var common = Ds("commonDataset", "firstname", "lastname", "birthdate");
        await PostAsync([Event("writeJob", "COMPLETE", [], [common]),
            .. Downstream(common, ("readJob", 20, "outputData"), ("downstreamJob", 1, "outputData2"), ("finalConsumer", 1, null))]);
        var secondRun = Guid.NewGuid().ToString();
        await PostAsync([Event("writeJob", "COMPLETE", [], [common], secondRun),
            .. Downstream(common, ("newReadJob", 5, "outputData3"), ("newDownstreamJob", 1, null))]);

        var graph = await LineageAsync(Job("writeJob"), 2);

        // writeJob, 20 readJob, 20 downstreamJob, 5 newReadJob, 5 newDownstreamJob; commonDataset, 20 outputData,
        // 20 outputData2, 5 outputData3. finalConsumer is three jobs away.
        Assert.Equal(97, graph.Count);
        Assert.Equal(51, graph.Count(n => (string?)n!["type"] == "JOB"));
        Assert.Equal(46, graph.Count(n => (string?)n!["type"] == "DATASET"));
        Assert.DoesNotContain(Ids(graph), id => id.Contains("finalConsumer", StringComparison.Ordinal));
        Assert.DoesNotContain(Ids(graph), id => id.StartsWith("run:", StringComparison.Ordinal));
        Assert.Equal(Ids(graph).Order(StringComparer.Ordinal), Ids(graph));
        var latestRun = Node(graph, Job("writeJob"))["data"]!["latestRun"]!;
        Assert.Equal(secondRun, (string?)latestRun["id"]);
        Assert.Equal("COMPLETED", (string?)latestRun["state"]);
        Assert.Empty(latestRun["inputDatasetVersions"]!.AsArray());
        var readers = Edges(Node(graph, DatasetId("commonDataset")), "outEdges", "destination");
        Assert.Equal(25, readers.Count);
        Assert.All(readers, r => Assert.Matches($"^job:{_ns}:(new)?[rR]eadJob\\d+<-commonDataset$", r));
        Assert.Equal([Job("writeJob")], Edges(Node(graph, DatasetId("commonDataset")), "inEdges", "origin"));
        var downstream = Node(graph, Job("downstreamJob0<-outputData<-readJob0<-commonDataset"));
        Assert.Equal([DatasetId("outputData<-readJob0<-commonDataset")], Edges(downstream, "inEdges", "origin"));
        Assert.Equal([DatasetId("outputData2<-downstreamJob0<-outputData<-readJob0<-commonDataset")], Edges(downstream, "outEdges", "destination"));
    }

    [Fact] // LineageServiceTest.testLineageWithNoDatasets
    public async Task A_job_with_no_datasets_is_answered_alone()
    {
        await PostAsync(Event("writeJob", "COMPLETE", [], []));

        var graph = await LineageAsync(Job("writeJob"), 5);

        Assert.Equal([Job("writeJob")], Ids(graph));
        Assert.Empty(graph[0]!["inEdges"]!.AsArray());
        Assert.Empty(graph[0]!["outEdges"]!.AsArray());
    }

    [Fact] // LineageServiceTest.testLineageWithWithCycle
    public async Task A_cycle_of_jobs_is_walked_once_and_each_dataset_names_its_writer_and_reader()
    {
        var common = Ds("commonDataset", "firstname", "lastname", "birthdate");
        var intermediate = Ds("intermediateDataset", "firstname", "birthdate");
        var final = Ds("finalDataset", "firstname", "lastname");
        await PostAsync(
            Event("writeJob", "COMPLETE", [common], [intermediate]),
            Event("intermediateJob", "COMPLETE", [intermediate], [final]),
            Event("cycleJob", "COMPLETE", [final], [common]));

        var graph = await LineageAsync(Job("intermediateJob"), 5);

        Assert.Equal(6, graph.Count);
        var dataset = Node(graph, DatasetId("commonDataset"));
        Assert.Equal([Job("cycleJob")], Edges(dataset, "inEdges", "origin"));
        Assert.Equal([Job("writeJob")], Edges(dataset, "outEdges", "destination"));
    }

    [Fact] // LineageServiceTest.testGetLineageJobRunTwice
    public async Task A_run_started_twice_under_one_id_is_one_job_and_both_its_datasets_see_the_same_graph()
    {
        var input = Ds("input-dataset");
        var output = Ds("output-dataset");
        var runId = Guid.NewGuid().ToString();
        await PostAsync(
            Event("someJob", "START", [input], [], runId), Event("someJob", "COMPLETE", [], [output], runId),
            Event("someJob", "START", [input], [], runId), Event("someJob", "COMPLETE", [], [output], runId));

        var fromInput = await LineageAsync(DatasetId("input-dataset"), 5);
        var fromOutput = await LineageAsync(DatasetId("output-dataset"), 5);

        Assert.Equal([DatasetId("input-dataset"), DatasetId("output-dataset"), Job("someJob")], Ids(fromInput));
        Assert.Equal(fromInput.ToJsonString(), fromOutput.ToJsonString());
    }

    [Fact] // LineageServiceTest.testGetLineageForRunningStreamingJob
    public async Task A_running_streaming_job_links_its_datasets_before_it_finishes()
    {
        var input = Ds("input-dataset");
        var output = Ds("output-dataset");
        await PostAsync(
            Event("someInputBatchJob", "COMPLETE", [], [input]),
            Event("streamingjob", "RUNNING", [input], [output], jobFacets: Streaming()),
            Event("someOutputBatchJob", "COMPLETE", [output], []));

        var fromInput = await LineageAsync(DatasetId("input-dataset"), 5);
        var fromOutput = await LineageAsync(DatasetId("output-dataset"), 5);

        Assert.Equal(5, fromInput.Count);
        Assert.Equal(fromInput.ToJsonString(), fromOutput.ToJsonString());
        var streaming = Node(fromInput, Job("streamingjob"))["data"]!;
        Assert.Equal("STREAM", (string?)streaming["type"]);
        Assert.Equal("RUNNING", (string?)streaming["latestRun"]!["state"]);
    }

    [Fact] // LineageServiceTest.testGetLineageForCompleteStreamingJob
    public async Task A_streaming_job_that_completes_without_datasets_keeps_those_its_run_had()
    {
        var runId = Guid.NewGuid().ToString();
        await PostAsync(
            Event("streamingjob", "RUNNING", [Ds("input-dataset")], [Ds("output-dataset")], runId, Streaming()),
            Event("streamingjob", "COMPLETE", [], [], runId, Streaming()));

        var graph = await LineageAsync(DatasetId("output-dataset"), 5);

        Assert.Equal([DatasetId("input-dataset"), DatasetId("output-dataset"), Job("streamingjob")], Ids(graph));
    }

    [Fact] // LineageServiceTest.testLineageForOrphanedDataset, LineageDaoTest.testGetLineageChangedJobVersion
    public async Task A_dataset_the_current_version_of_its_job_no_longer_writes_is_answered_alone()
    {
        var common = Ds("commonDataset", "firstname");
        await PostAsync(Event("writeJob", "COMPLETE", [], [common]));
        Assert.Equal([DatasetId("commonDataset"), Job("writeJob")], Ids(await LineageAsync(DatasetId("commonDataset"), 2)));

        await PostAsync(Event("writeJob", "COMPLETE", [], []));

        var graph = await LineageAsync(DatasetId("commonDataset"), 2);
        Assert.Equal([DatasetId("commonDataset")], Ids(graph));
        Assert.Empty(graph[0]!["inEdges"]!.AsArray());
        Assert.Equal("firstname", (string?)graph[0]!["data"]!["fields"]![0]!["name"]);
        var job = await LineageAsync(Job("writeJob"), 2);
        Assert.Equal([Job("writeJob")], Ids(job));
        Assert.Empty(job[0]!["data"]!["outputs"]!.AsArray());
    }

    [Fact] // LineageDaoTest.testGetInputDatasetsWithJobThatHasMultipleVersions
    public async Task A_job_whose_new_version_writes_another_dataset_links_only_through_the_new_one()
    {
        var common = Ds("commonDataset", "firstname");
        await PostAsync([Event("writeJob", "COMPLETE", [], [common]), .. Downstream(common, ("readJob", 3, "outputData"), ("downstreamJob", 1, null))]);
        await PostAsync([.. Downstream(common, ("readJob", 3, "outputData2"), ("downstreamJob", 1, null))]);

        var graph = await LineageAsync(Job("readJob0<-commonDataset"), 2);

        var jobs = Ids(graph).Where(id => id.StartsWith("job:", StringComparison.Ordinal)).ToList();
        Assert.Equal(7, jobs.Count); // writeJob, 3 readJob, 3 downstreamJob of outputData2
        Assert.DoesNotContain(Job("downstreamJob0<-outputData<-readJob0<-commonDataset"), jobs);
        Assert.Equal([DatasetId("outputData2<-readJob0<-commonDataset")], Edges(Node(graph, Job("readJob0<-commonDataset")), "outEdges", "destination"));
        Assert.DoesNotContain(DatasetId("outputData<-readJob0<-commonDataset"), Ids(graph));
    }

    [Fact] // LineageDaoTest.testGetLineageWithNewJobInRunningState, testGetLineageWithFailedConsumer, testGetLineageWithFailedProducer
    public async Task A_job_whose_only_run_has_not_finished_has_no_datasets_yet()
    {
        var common = Ds("commonDataset");
        await PostAsync(
            Event("writeJob", "COMPLETE", [], [common]),
            Event("unfinishedConsumer", "RUNNING", [common], []),
            Event("unfinishedProducer", "START", [], [common]),
            Event("runningJob", "RUNNING", [], [Ds("other")]));

        Assert.Equal([DatasetId("commonDataset"), Job("writeJob")], Ids(await LineageAsync(Job("writeJob"), 2)));
        var running = await LineageAsync(Job("runningJob"), 2);
        Assert.Equal([Job("runningJob")], Ids(running));
        Assert.Equal("RUNNING", (string?)running[0]!["data"]!["latestRun"]!["state"]);
    }

    [Fact] // LineageDaoTest.testGetLineageWithJobThatSharesNoDatasets
    public async Task A_job_sharing_no_dataset_with_others_is_answered_with_its_own_datasets()
    {
        await PostAsync([Event("writeJob", "COMPLETE", [Ds("commonDataset")], []), .. Downstream(Ds("anUncommonDataset"), ("consumer", 5, null))]);

        var graph = await LineageAsync(Job("writeJob"), 2);

        Assert.Equal([DatasetId("commonDataset"), Job("writeJob")], Ids(graph));
    }

    [Fact] // LineageDaoTest.testGetJobFromInputOrOutputPrefersRecentOutputJob
    public async Task From_a_dataset_the_walk_starts_at_its_latest_writer()
    {
        var common = Ds("commonDataset");
        var consumers = Enumerable.Range(0, 5).Select(i => Event($"consumerJob{i}", "COMPLETE", [common], [])).ToArray();
        await PostAsync([.. consumers, Event("zOlderWriteJob", "COMPLETE", [], [common]), Event("writeJob", "COMPLETE", [], [common]), Event("consumerJob", "COMPLETE", [common], [])]);
        // Two jobs write it (the older one last by name, so only time can pick the other); depth 0 answers the start job alone.
        var graph = await LineageAsync(DatasetId("commonDataset"), 0);

        Assert.Equal([DatasetId("commonDataset"), Job("writeJob")], Ids(graph));
    }

    [Fact]
    public async Task The_data_of_jobs_and_datasets_are_Marquezs()
    {
        var source = Ds("source", "id", "amount");
        source["facets"]!["documentation"] = new JsonObject
        {
            ["_producer"] = "https://example.com/tests",
            ["_schemaURL"] = "https://openlineage.io/spec/facets/1-0-1/DocumentationDatasetFacet.json#/$defs/DocumentationDatasetFacet",
            ["description"] = "the source table",
        };
        var runId = Guid.NewGuid().ToString();
        var jobFacets = new JsonObject
        {
            ["sourceCodeLocation"] = new JsonObject
            {
                ["_producer"] = "https://example.com/tests",
                ["_schemaURL"] = "https://openlineage.io/spec/facets/1-0-1/SourceCodeLocationJobFacet.json#/$defs/SourceCodeLocationJobFacet",
                ["type"] = "git",
                ["url"] = "https://github.com/example/etl",
            },
        };
        await PostAsync(
            Event("etl", "START", [source], [Ds("target")], runId, jobFacets),
            Event("etl", "COMPLETE", [source], [Ds("target")], runId, jobFacets));

        var graph = await LineageAsync(Job("etl"));

        var job = Node(graph, Job("etl"))["data"]!;
        Assert.Equal(_ns, (string?)job["id"]!["namespace"]);
        Assert.Equal("etl", (string?)job["id"]!["name"]);
        Assert.Equal("BATCH", (string?)job["type"]);
        Assert.Equal("etl", (string?)job["simpleName"]);
        Assert.Equal("https://github.com/example/etl", (string?)job["location"]);
        Assert.Equal(["source"], job["inputs"]!.AsArray().Select(i => (string)i!["name"]!));
        Assert.Equal(["target"], job["outputs"]!.AsArray().Select(i => (string)i!["name"]!));
        var run = job["latestRun"]!;
        Assert.Equal(runId, (string?)run["id"]);
        Assert.Equal("COMPLETED", (string?)run["state"]);
        Assert.Equal(1000, (long)run["durationMs"]!);
        Assert.Equal(["source"], run["inputDatasetVersions"]!.AsArray().Select(v => (string)v!["datasetVersionId"]!["name"]!));
        var dataset = Node(graph, DatasetId("source"))["data"]!;
        Assert.Equal("DB_TABLE", (string?)dataset["type"]);
        Assert.Equal("source", (string?)dataset["physicalName"]);
        Assert.Equal("the source table", (string?)dataset["description"]);
        Assert.Equal(["id", "amount"], dataset["fields"]!.AsArray().Select(f => (string)f!["name"]!));
        Assert.Null(dataset["lastModifiedAt"]);
        Assert.NotNull(Node(graph, DatasetId("target"))["data"]!["lastModifiedAt"]);
    }

    [Fact]
    public async Task A_datasets_data_carries_its_facets_its_source_name_and_lifecycle_state()
    {
        var target = Ds("warehouse_orders", "id");
        target["facets"]!["dataSource"] = new JsonObject
        {
            ["_producer"] = "https://example.com/tests",
            ["_schemaURL"] = "https://openlineage.io/spec/facets/1-0-1/DatasourceDatasetFacet.json#/$defs/DatasourceDatasetFacet",
            ["name"] = "warehouse",
            ["uri"] = "postgres://warehouse:5432",
        };
        target["facets"]!["lifecycleStateChange"] = new JsonObject
        {
            ["_producer"] = "https://example.com/tests",
            ["_schemaURL"] = "https://openlineage.io/spec/facets/1-0-1/LifecycleStateChangeDatasetFacet.json#/$defs/LifecycleStateChangeDatasetFacet",
            ["lifecycleStateChange"] = "OVERWRITE",
        };
        await PostAsync(Event("load", "COMPLETE", [], [target]));

        var dataset = Node(await LineageAsync(DatasetId("warehouse_orders")), DatasetId("warehouse_orders"))["data"]!;

        Assert.Equal("warehouse", (string?)dataset["sourceName"]);
        Assert.Equal("OVERWRITE", (string?)dataset["lastLifecycleState"]);
        Assert.Equal("postgres://warehouse:5432", (string?)dataset["facets"]!["dataSource"]!["uri"]);
        Assert.Equal(["id"], dataset["facets"]!["schema"]!["fields"]!.AsArray().Select(f => (string)f!["name"]!));
    }

    [Fact]
    public async Task A_graph_beyond_the_node_cap_is_cut_and_says_so()
    {
        var common = Ds("commonDataset");
        await PostAsync([Event("writeJob", "COMPLETE", [], [common]), .. Enumerable.Range(0, 1000).Select(i => Event($"reader{i:D4}", "COMPLETE", [common], [Ds($"out{i:D4}")]))]);

        var answer = await (await _client.GetAsync(new Uri($"/api/v1/lineage?nodeId={Uri.EscapeDataString(Job("writeJob"))}", UriKind.Relative))).ExpectAsync(200);

        Assert.True((bool)answer["truncated"]!);
        Assert.True(answer["graph"]!.AsArray().Count <= 2000);
        Assert.Contains(Job("reader0000"), Ids(answer["graph"]!.AsArray()));
    }

    [Fact]
    public async Task An_unknown_node_is_404_and_a_run_or_a_negative_depth_is_refused()
    {
        await PostAsync(Event("writeJob", "COMPLETE", [], [Ds("commonDataset")]));

        await (await _client.GetAsync(new Uri($"/api/v1/lineage?nodeId={Uri.EscapeDataString(Job("nowhere"))}", UriKind.Relative))).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        await (await _client.GetAsync(new Uri($"/api/v1/lineage?nodeId=run:{Guid.NewGuid()}", UriKind.Relative))).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await _client.GetAsync(new Uri($"/api/v1/lineage?nodeId={Uri.EscapeDataString(Job("writeJob"))}&depth=-1", UriKind.Relative))).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task In_the_native_graph_a_job_has_its_runs_inputs_upstream_and_a_run_names_its_job_and_state()
    {
        var runId = Guid.NewGuid().ToString();
        await PostAsync(Event("etl", "COMPLETE", [Ds("source")], [Ds("target")], runId));

        var up = await (await _client.GetAsync(new Uri($"/api/v1/lineage/graph?node={Uri.EscapeDataString(Job("etl"))}&direction=upstream&depth=1", UriKind.Relative))).ExpectAsync(200);
        var down = await (await _client.GetAsync(new Uri($"/api/v1/lineage/graph?node={Uri.EscapeDataString(DatasetId("source"))}&direction=downstream&depth=1", UriKind.Relative))).ExpectAsync(200);

        Assert.Contains(DatasetId("source"), Ids(up["graph"]!.AsArray()));
        var job = Node(up["graph"]!.AsArray(), Job("etl"));
        Assert.Contains(DatasetId("source"), job["in_edges"]!.AsArray().Select(e => (string)e!["source"]!));
        var run = Node(down["graph"]!.AsArray(), $"run:{runId}");
        Assert.Equal(Job("etl"), (string?)run["job"]);
        Assert.Equal("COMPLETE", (string?)run["state"]);
        Assert.Contains(Job("etl"), Ids(down["graph"]!.AsArray()));
    }
}
