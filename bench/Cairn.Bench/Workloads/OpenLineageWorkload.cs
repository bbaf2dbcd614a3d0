using System.Globalization;
using System.Text;

namespace Cairn.Bench.Workloads;

/// <summary>
/// OpenLineage ingestion: every operation posts <c>batch</c> events (1: <c>POST /api/v1/lineage</c>, as OpenLineage's
/// HTTP transport sends them; more: one <c>POST /api/v1/lineage/batch</c>). Each event is a task run's COMPLETE with a
/// parent run, two input datasets and one output carrying schema, data-source and version facets, like an Airflow
/// task's. Runs are new every time, with time-ordered ids (UUIDv7) as OpenLineage's Python and Java clients make them;
/// datasets come from a pool of 1000, so most events update existing ones.
/// Throughput in events per second is operations per second times <c>batch</c>.
/// </summary>
internal sealed class OpenLineageWorkload(HttpClient client, Uri server, string name, int batch) : HttpWorkload(client)
{
    private const int DatasetPool = 1000;
    private readonly Uri _uri = new(server, batch == 1 ? "/api/v1/lineage" : "/api/v1/lineage/batch");
    private readonly string _session = Guid.NewGuid().ToString("N")[..8];

    public override string Name => name;

    public override string Description => batch == 1
        ? "POST /api/v1/lineage, one OpenLineage run event (COMPLETE, parent facet, 2 inputs, 1 output with schema/dataSource/version facets)"
        : $"POST /api/v1/lineage/batch, {batch} such events per request";

    public override ValueTask<bool> ExecuteAsync(int worker, long iteration, CancellationToken cancellationToken)
    {
        var body = new StringBuilder(2048 * batch);
        body.Append(batch == 1 ? "" : "[");
        for (var i = 0; i < batch; i++)
        {
            var n = (((iteration * batch) + i) * 7919) + worker;
            body.Append(i == 0 ? "" : ",").Append(Event(n));
        }
        body.Append(batch == 1 ? "" : "]");
        return PostAsync(_uri, Encoding.UTF8.GetBytes(body.ToString()), cancellationToken);
    }

    private string Event(long n)
    {
        var run = Guid.CreateVersion7();
        var dataset = (long k) => $"bench/{_session}/table_{k % DatasetPool}";
        return string.Create(CultureInfo.InvariantCulture, $$$$$"""
            {"eventType":"COMPLETE","eventTime":"2026-11-23T04:00:00.000Z","producer":"https://github.com/apache/airflow/tree/providers-openlineage/1.14.0",
             "schemaURL":"https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
             "run":{"runId":"{{{{{run}}}}}","facets":{"parent":{"_producer":"https://github.com/apache/airflow","_schemaURL":"https://openlineage.io/spec/facets/1-2-0/ParentRunFacet.json#/$defs/ParentRunFacet",
               "run":{"runId":"01934f7a-2b1c-7d3e-8a45-0c9e6f1b2a01"},"job":{"namespace":"airflow://bench","name":"dag_{{{{{n % 50}}}}}"}}}},
             "job":{"namespace":"airflow://bench","name":"dag_{{{{{n % 50}}}}}.task_{{{{{n % 7}}}}}"},
             "inputs":[{"namespace":"s3://bench-lake","name":"{{{{{dataset(n)}}}}}"},{"namespace":"s3://bench-lake","name":"{{{{{dataset(n + 1)}}}}}"}],
             "outputs":[{"namespace":"s3://bench-lake","name":"{{{{{dataset(n + 2)}}}}}","facets":{
               "schema":{"_producer":"https://github.com/apache/airflow","_schemaURL":"https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet",
                 "fields":[{"name":"id","type":"string"},{"name":"amount","type":"double"},{"name":"at","type":"timestamp"}]},
               "dataSource":{"_producer":"https://github.com/apache/airflow","_schemaURL":"https://openlineage.io/spec/facets/1-0-1/DatasourceDatasetFacet.json#/$defs/DatasourceDatasetFacet",
                 "name":"bench-lake","uri":"s3://bench-lake"},
               "version":{"_producer":"https://github.com/apache/airflow","_schemaURL":"https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet",
                 "datasetVersion":"v{{{{{n % 3}}}}}"}}}]}
            """);
    }
}
