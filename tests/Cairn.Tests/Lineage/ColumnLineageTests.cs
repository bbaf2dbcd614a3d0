using System.Text;
using System.Text.Json.Nodes;
using Cairn.Tests.Api;

namespace Cairn.Tests.Lineage;

/// <summary>
/// Column lineage from the columnLineage facet, asked as Marquez's <c>GET /api/v1/column-lineage</c> answers it, on
/// SQLite and PostgreSQL. The scenario is the one Marquez's ColumnLineageServiceTest builds (ColumnLineageTestUtils),
/// rebuilt as OpenLineage events: dataset_a (col_a, col_b) → job1 → dataset_b (col_c from col_a and col_b,
/// "description1"/"type1") → job2 → dataset_c (col_d from col_c, "description2"/"type2").
/// </summary>
public sealed class ColumnLineageTests(CairnApp app) : IClassFixture<CairnApp>
{
    private readonly HttpClient _client = app.CreateClient();

    private static JsonObject Facet(JsonObject body)
    {
        body["_producer"] = "https://github.com/MarquezProject/marquez/tree/main/api";
        body["_schemaURL"] = "https://openlineage.io/spec/facets/1-0-1/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet";
        return body;
    }

    private static JsonObject Dataset(string ns, string name, string[] columns, JsonObject? columnLineage = null)
    {
        var facets = new JsonObject
        {
            ["schema"] = new JsonObject
            {
                ["_producer"] = "https://github.com/MarquezProject/marquez/tree/main/api",
                ["_schemaURL"] = "https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet",
                ["fields"] = new JsonArray([.. columns.Select(c => (JsonNode)new JsonObject { ["name"] = c, ["type"] = "STRING", ["description"] = "" })]),
            },
            ["dataSource"] = new JsonObject
            {
                ["_producer"] = "https://github.com/MarquezProject/marquez/tree/main/api",
                ["_schemaURL"] = "https://openlineage.io/spec/facets/1-0-1/DatasourceDatasetFacet.json#/$defs/DatasourceDatasetFacet",
                ["name"] = "the source",
                ["uri"] = "http://thesource.com",
            },
        };
        if (columnLineage is not null)
        {
            facets["columnLineage"] = Facet(columnLineage);
        }
        return new JsonObject { ["namespace"] = ns, ["name"] = name, ["facets"] = facets };
    }

    /// <summary>The 1-0-x form: an output column, its input fields and one transformation for all of them.</summary>
    private static JsonObject Column(string ns, string output, string description, string type, params (string Dataset, string Field)[] inputs) => new()
    {
        ["fields"] = new JsonObject
        {
            [output] = new JsonObject
            {
                ["inputFields"] = new JsonArray([.. inputs.Select(i => (JsonNode)new JsonObject { ["namespace"] = ns, ["name"] = i.Dataset, ["field"] = i.Field })]),
                ["transformationDescription"] = description,
                ["transformationType"] = type,
            },
        },
    };

    private static JsonObject RunEvent(string ns, string job, JsonObject input, JsonObject output) => new()
    {
        ["eventType"] = "COMPLETE",
        ["eventTime"] = "2026-12-06T09:00:00Z",
        ["producer"] = "https://github.com/MarquezProject/marquez/tree/main/api",
        ["schemaURL"] = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        ["run"] = new JsonObject { ["runId"] = Guid.NewGuid().ToString() },
        ["job"] = new JsonObject { ["namespace"] = ns, ["name"] = job },
        ["inputs"] = new JsonArray(input.DeepClone()),
        ["outputs"] = new JsonArray(output.DeepClone()),
    };

    /// <summary>Marquez's three datasets in a namespace of the test's own; returns the namespace.</summary>
    private async Task<string> ScenarioAsync()
    {
        var ns = $"cl-{Guid.NewGuid():N}"[..16];
        var a = Dataset(ns, "dataset_a", ["col_a", "col_b"]);
        var b = Dataset(ns, "dataset_b", ["col_c"], Column(ns, "col_c", "description1", "type1", ("dataset_a", "col_a"), ("dataset_a", "col_b")));
        var c = Dataset(ns, "dataset_c", ["col_d"], Column(ns, "col_d", "description2", "type2", ("dataset_b", "col_c")));
        await PostAsync(RunEvent(ns, "job1", a, b));
        await PostAsync(RunEvent(ns, "job2", b, c));
        return ns;
    }

    private async Task PostAsync(JsonNode @event)
    {
        using var content = new StringContent(@event.ToJsonString(), Encoding.UTF8, "application/json");
        await (await _client.PostAsync(new Uri("/api/v1/lineage", UriKind.Relative), content)).ExpectAsync(201);
    }

    private async Task<HttpResponseMessage> AskAsync(string nodeId, int depth = 20, bool withDownstream = false) =>
        await _client.GetAsync(new Uri($"/api/v1/column-lineage?nodeId={Uri.EscapeDataString(nodeId)}&depth={depth}&withDownstream={(withDownstream ? "true" : "false")}", UriKind.Relative));

    private async Task<JsonArray> GraphAsync(string nodeId, int depth = 20, bool withDownstream = false) =>
        (await (await AskAsync(nodeId, depth, withDownstream)).ExpectAsync(200))["graph"]!.AsArray();

    private static JsonNode Node(JsonArray graph, string ns, string dataset, string field) =>
        graph.Single(n => (string?)n!["id"] == $"datasetField:{ns}:{dataset}:{field}")!;

    private static IEnumerable<string> Ids(JsonArray graph) => graph.Select(n => (string)n!["id"]!);

    [Fact]
    public async Task Lineage_of_a_field_walks_upstream_with_Marquez_nodes_data_and_edges()
    {
        // ColumnLineageServiceTest.testLineageByDatasetFieldId
        var ns = await ScenarioAsync();

        var graph = await GraphAsync($"datasetField:{ns}:dataset_b:col_c");

        Assert.Equal(3, graph.Count);
        var colC = Node(graph, ns, "dataset_b", "col_c");
        Assert.Equal("DATASET_FIELD", (string?)colC["type"]);
        Assert.Equal("STRING", (string?)colC["data"]!["fieldType"]);
        var inputs = colC["data"]!["inputFields"]!.AsArray();
        Assert.Equal(2, inputs.Count);
        Assert.Equal("dataset_a", (string?)inputs[0]!["dataset"]);
        Assert.Equal("description1", (string?)inputs[0]!["transformationDescription"]);
        Assert.Equal("type1", (string?)inputs[0]!["transformationType"]);
        Assert.Empty(colC["outEdges"]!.AsArray());
        Assert.Contains($"datasetField:{ns}:dataset_a:col_a", colC["inEdges"]!.AsArray().Select(e => (string)e!["destination"]!));
        var colB = Node(graph, ns, "dataset_a", "col_b");
        Assert.Equal("dataset_a", (string?)colB["data"]!["dataset"]);
        Assert.Equal("", (string?)colB["data"]!["fieldType"]);
        Assert.Empty(colB["data"]!["inputFields"]!.AsArray());
        Assert.Empty(colB["inEdges"]!.AsArray());
        Assert.Equal([$"datasetField:{ns}:dataset_b:col_c"], colB["outEdges"]!.AsArray().Select(e => (string)e!["destination"]!));
        Assert.DoesNotContain($"datasetField:{ns}:dataset_c:col_d", Ids(graph));
        Assert.DoesNotContain(Ids(graph), id => id.Contains('#', StringComparison.Ordinal));
    }

    [Fact]
    public async Task Lineage_of_a_dataset_is_the_lineage_of_its_fields()
    {
        // ColumnLineageServiceTest.testLineageByDatasetId
        var ns = await ScenarioAsync();

        var byField = await GraphAsync($"datasetField:{ns}:dataset_b:col_c");
        var byDataset = await GraphAsync($"dataset:{ns}:dataset_b");

        Assert.True(JsonNode.DeepEquals(byField, byDataset));
    }

    [Fact]
    public async Task An_unknown_field_or_dataset_is_404_and_a_field_without_lineage_is_an_empty_graph()
    {
        // ColumnLineageServiceTest.testLineageWhenLineageEmpty
        var ns = await ScenarioAsync();

        await (await AskAsync($"datasetField:{ns}:dataset_b:col_d")).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        await (await AskAsync($"dataset:{ns}:dataset_d")).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        Assert.Empty(await GraphAsync($"datasetField:{ns}:dataset_a:col_a"));
        await (await AskAsync($"run:{Guid.NewGuid()}")).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task With_downstream_the_walk_also_follows_what_a_field_feeds()
    {
        // ColumnLineageServiceTest.testGetLineageWithDownstream
        var ns = await ScenarioAsync();

        var graph = await GraphAsync($"datasetField:{ns}:dataset_b:col_c", withDownstream: true);

        Assert.Contains($"datasetField:{ns}:dataset_a:col_a", Ids(graph));
        Assert.Contains($"datasetField:{ns}:dataset_c:col_d", Ids(graph));
        Assert.Equal(2, Node(graph, ns, "dataset_b", "col_c")["data"]!["inputFields"]!.AsArray().Count);
        Assert.Equal("description2", (string?)Node(graph, ns, "dataset_c", "col_d")["data"]!["transformationDescription"]);
    }

    [Fact]
    public async Task Lineage_of_a_job_is_the_lineage_of_the_fields_it_wrote()
    {
        // ColumnLineageServiceTest.testGetLineageByJob
        var ns = await ScenarioAsync();

        var byJob = await GraphAsync($"job:{ns}:job1", withDownstream: true);
        var byDataset = await GraphAsync($"dataset:{ns}:dataset_b", withDownstream: true);

        Assert.True(JsonNode.DeepEquals(byJob, byDataset));
    }

    [Fact]
    public async Task Depth_counts_edges()
    {
        var ns = await ScenarioAsync();

        var one = await GraphAsync($"datasetField:{ns}:dataset_c:col_d", depth: 1);
        var two = await GraphAsync($"datasetField:{ns}:dataset_c:col_d", depth: 2);

        Assert.Equal([$"datasetField:{ns}:dataset_b:col_c", $"datasetField:{ns}:dataset_c:col_d"], Ids(one));
        Assert.Equal(4, two.Count);
        Assert.Contains($"datasetField:{ns}:dataset_a:col_a", Ids(two));
    }

    [Fact]
    public async Task Downstream_of_a_source_column_reaches_every_field_computed_from_it()
    {
        // Marquez starts its walk only from edges into the asked field, so a source column has no downstream there;
        // Cairn also starts from the edges out of it (docs/lineage.md).
        var ns = await ScenarioAsync();

        var graph = await GraphAsync($"datasetField:{ns}:dataset_a:col_a", withDownstream: true);

        Assert.Contains($"datasetField:{ns}:dataset_b:col_c", Ids(graph));
        Assert.Contains($"datasetField:{ns}:dataset_c:col_d", Ids(graph));
    }

    [Fact]
    public async Task The_dataset_answer_carries_its_column_lineage_once_per_field()
    {
        // ColumnLineageServiceTest.testEnrichDatasets and testEnrichDatasetsHasNoDuplicates
        var ns = await ScenarioAsync();
        await PostAsync(RunEvent(ns, "job1", Dataset(ns, "dataset_a", ["col_a", "col_b"]),
            Dataset(ns, "dataset_b", ["col_c"], Column(ns, "col_c", "description1", "type1", ("dataset_a", "col_a"), ("dataset_a", "col_b")))));

        var b = await (await _client.GetAsync(new Uri($"/api/v1/datasets/get?namespace={ns}&name=dataset_b", UriKind.Relative))).ExpectAsync(200);
        var c = await (await _client.GetAsync(new Uri($"/api/v1/datasets/get?namespace={ns}&name=dataset_c", UriKind.Relative))).ExpectAsync(200);

        var lineageB = b["column_lineage"]!.AsArray();
        Assert.Equal("col_c", (string?)lineageB.Single()!["field"]);
        Assert.Equal(["col_a|description1|type1", "col_b|description1|type1"], lineageB[0]!["input_fields"]!.AsArray()
            .Select(i => $"{i!["field"]}|{i["transformation_description"]}|{i["transformation_type"]}"));
        var lineageC = c["column_lineage"]!.AsArray();
        Assert.Equal("col_d", (string?)lineageC.Single()!["field"]);
        Assert.Equal("dataset_b", (string?)lineageC[0]!["input_fields"]![0]!["name"]);
        Assert.Equal("description2", (string?)lineageC[0]!["input_fields"]![0]!["transformation_description"]);
    }

    [Fact]
    public async Task The_1_2_0_facet_keeps_each_inputs_transformations_and_the_dataset_level_inputs()
    {
        var ns = $"cl-{Guid.NewGuid():N}"[..16];
        var facet = new JsonObject
        {
            ["fields"] = new JsonObject
            {
                ["total"] = new JsonObject
                {
                    ["inputFields"] = new JsonArray(new JsonObject
                    {
                        ["namespace"] = ns,
                        ["name"] = "raw.orders",
                        ["field"] = "amount",
                        ["transformations"] = new JsonArray(new JsonObject { ["type"] = "DIRECT", ["subtype"] = "AGGREGATION", ["description"] = "sum(amount)", ["masking"] = false }),
                    }),
                },
            },
            ["dataset"] = new JsonArray(new JsonObject
            {
                ["namespace"] = ns,
                ["name"] = "raw.orders",
                ["field"] = "country",
                ["transformations"] = new JsonArray(new JsonObject { ["type"] = "INDIRECT", ["subtype"] = "GROUP_BY", ["masking"] = false }),
            }),
        };
        await PostAsync(RunEvent(ns, "agg", Dataset(ns, "raw.orders", ["amount", "country"]), Dataset(ns, "mart.totals", ["total"], facet)));

        var totals = await (await _client.GetAsync(new Uri($"/api/v1/datasets/get?namespace={ns}&name=mart.totals", UriKind.Relative))).ExpectAsync(200);
        var graph = await GraphAsync($"datasetField:{ns}:mart.totals:total");

        var lineage = totals["column_lineage"]!.AsArray();
        Assert.Equal(["", "total"], lineage.Select(f => (string)f!["field"]!));
        Assert.Equal("GROUP_BY", (string?)lineage[0]!["input_fields"]![0]!["transformations"]![0]!["subtype"]);
        Assert.Equal("sum(amount)", (string?)lineage[1]!["input_fields"]![0]!["transformations"]![0]!["description"]);
        Assert.Equal("DIRECT", (string?)lineage[1]!["input_fields"]![0]!["transformation_type"]);
        Assert.Equal([$"datasetField:{ns}:mart.totals:total", $"datasetField:{ns}:raw.orders:amount"], Ids(graph));
    }

    [Fact]
    public async Task Fields_of_datasets_named_with_colons_are_found_by_their_node_ids()
    {
        var ns = "s3://acme-raw";
        var key = $"events/{Guid.NewGuid():N}/2026-12-06T10:00:00.json";
        var output = $"marts/{Guid.NewGuid():N}:daily";
        await PostAsync(RunEvent(ns, $"spark:orders:{Guid.NewGuid():N}", Dataset(ns, key, ["amount"]),
            Dataset(ns, output, ["amount"], Column(ns, "amount", "copied", "IDENTITY", (key, "amount")))));

        var graph = await GraphAsync($"datasetField:{ns}:{output}:amount");

        var node = Node(graph, ns, output, "amount");
        Assert.Equal(output, (string?)node["data"]!["dataset"]);
        Assert.Equal(ns, (string?)node["data"]!["namespace"]);
        Assert.Equal(key, (string?)node["data"]!["inputFields"]![0]!["dataset"]);
    }
}
