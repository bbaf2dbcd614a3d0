using System.Globalization;
using System.Text.Json.Nodes;

namespace Cairn.Bench.UiStore;

/// <summary>
/// OpenLineage events that give one dataset a neighbourhood of about <c>nodes</c> nodes within depth 2 in both
/// directions, the explorer's default view (issue 15, item 5: "a 300-node lineage graph"). The centre is a feature table
/// that a few ingestion jobs write (each run reading source tables of its job) and many downstream jobs read (training,
/// scoring, reports), each run of those writing two tables of its job. Within depth 2 of the centre that is: upstream,
/// the writing runs (1), then their jobs and sources (2); downstream, the reading runs and their jobs (1, a job through
/// its runs' inputs, decision 0014), then what the runs wrote (2). Every job has two runs, a week apart, one of them
/// still RUNNING in one job of five, so the explorer shows states. Deterministic: the same count gives the same events.
/// </summary>
internal sealed class LineageNeighbourhood
{
    private const string Producer = "https://github.com/cairn/bench";
    private const string Warehouse = "postgres://warehouse:5432";
    private const string Lake = "s3://lake";
    private const string Scheduler = "airflow://platform";
    private const int IngestJobs = 4;
    private const int SourcesPerIngest = 4;
    private const int RunsPerJob = 2;
    private const int OutputsPerJob = 2;

    /// <summary>Nodes of the ingestion side: per job, its runs, the job and its sources.</summary>
    private const int UpstreamNodes = IngestJobs * (RunsPerJob + 1 + SourcesPerIngest);

    /// <summary>Nodes a downstream job adds: its runs, itself and its outputs.</summary>
    private const int NodesPerReader = RunsPerJob + 1 + OutputsPerJob;

    private static readonly string[] ReaderKinds = ["train", "score", "report", "monitor", "export"];

    /// <param name="nodes">The neighbourhood's size to aim at; the result is within <see cref="NodesPerReader"/> below it.</param>
    /// <param name="tag">Part of every name, so that several neighbourhoods can share a store.</param>
    public LineageNeighbourhood(int nodes, string tag)
    {
        Readers = Math.Max(1, (nodes - 1 - UpstreamNodes) / NodesPerReader);
        Tag = tag;
    }

    public string Tag { get; }

    /// <summary>Jobs downstream of the centre.</summary>
    public int Readers { get; }

    /// <summary>Nodes within depth 2 of the centre, both ways.</summary>
    public int Nodes => 1 + UpstreamNodes + (Readers * NodesPerReader);

    public const string CentreNamespace = Lake;

    public string CentreName => $"features/{Tag}/claims_daily";

    /// <summary>The centre's node id, as the explorer's <c>node</c> parameter takes it.</summary>
    public string Centre => Lineage.NodeIds.Dataset(CentreNamespace, CentreName);

    /// <summary>The events, in time order: a COMPLETE (or RUNNING) event per run.</summary>
    public List<JsonObject> Events()
    {
        var events = new List<JsonObject>();
        var start = new DateTimeOffset(2026, 11, 1, 2, 0, 0, TimeSpan.Zero);
        var centre = Dataset(CentreNamespace, CentreName, withSchema: true);
        for (var j = 0; j < IngestJobs; j++)
        {
            var job = $"{Tag}.ingest_claims_{Region(j)}";
            var sources = Enumerable.Range(0, SourcesPerIngest).Select(s => Dataset(Warehouse, $"{Region(j)}.claims_{Table(s)}", withSchema: s == 0)).ToList();
            for (var r = 0; r < RunsPerJob; r++)
            {
                events.Add(Event(RunId(0, j, r), job, "COMPLETE", start.AddDays(7 * r).AddMinutes(j), sources, [centre]));
            }
        }
        for (var j = 0; j < Readers; j++)
        {
            var kind = ReaderKinds[j % ReaderKinds.Length];
            var job = $"{Tag}.{kind}_{j:D3}";
            var outputs = Enumerable.Range(0, OutputsPerJob).Select(o => Dataset(Lake, $"{kind}/{Tag}/{j:D3}/{(o == 0 ? "output" : "metrics")}", withSchema: false)).ToList();
            for (var r = 0; r < RunsPerJob; r++)
            {
                var state = r == RunsPerJob - 1 && j % 5 == 4 ? "RUNNING" : "COMPLETE";
                events.Add(Event(RunId(1, j, r), job, state, start.AddDays(7 * r).AddHours(3).AddMinutes(j), [Dataset(CentreNamespace, CentreName, withSchema: false)], outputs));
            }
        }
        return events;
    }

    private static string Region(int j) => j switch { 0 => "eu", 1 => "us", 2 => "apac", _ => $"r{j}" };

    private static string Table(int s) => s switch { 0 => "submitted", 1 => "payments", 2 => "adjusters", 3 => "policies", _ => $"t{s}" };

    /// <summary>A run id that is a UUID (OpenLineage requires one) and the same for the same run on every machine.</summary>
    private Guid RunId(int side, int job, int run)
    {
        var bytes = new byte[16];
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 4), StableHash(Tag));
        BitConverter.TryWriteBytes(bytes.AsSpan(4, 4), side);
        BitConverter.TryWriteBytes(bytes.AsSpan(8, 4), job);
        BitConverter.TryWriteBytes(bytes.AsSpan(12, 4), run);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes);
    }

    private static int StableHash(string text)
    {
        var hash = unchecked((int)2166136261);
        foreach (var c in text)
        {
            hash = unchecked((hash ^ c) * 16777619);
        }
        return hash;
    }

    private static JsonObject Dataset(string ns, string name, bool withSchema)
    {
        var dataset = new JsonObject { ["namespace"] = ns, ["name"] = name };
        if (withSchema)
        {
            dataset["facets"] = new JsonObject
            {
                ["schema"] = new JsonObject
                {
                    ["_producer"] = Producer,
                    ["_schemaURL"] = "https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json",
                    ["fields"] = new JsonArray(
                        new JsonObject { ["name"] = "claim_id", ["type"] = "string" },
                        new JsonObject { ["name"] = "amount", ["type"] = "double" },
                        new JsonObject { ["name"] = "submitted_at", ["type"] = "timestamp" }),
                },
            };
        }
        return dataset;
    }

    private static JsonObject Event(Guid runId, string job, string state, DateTimeOffset at, List<JsonObject> inputs, List<JsonObject> outputs) => new()
    {
        ["eventType"] = state,
        ["eventTime"] = at.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        ["producer"] = Producer,
        ["schemaURL"] = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        ["run"] = new JsonObject { ["runId"] = runId.ToString() },
        ["job"] = new JsonObject { ["namespace"] = Scheduler, ["name"] = job },
        ["inputs"] = new JsonArray([.. inputs.Select(i => i.DeepClone())]),
        ["outputs"] = new JsonArray([.. outputs.Select(o => o.DeepClone())]),
    };
}
