using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace Cairn.IntegrationTests;

/// <summary>
/// The end-to-end case on a real <c>cairn serve</c>: a pipeline's OpenLineage events (ingestion, features,
/// training; tests/fixtures/openlineage/claims_pipeline.json) are posted one by one as OpenLineage's HTTP transport does,
/// the training run's output is registered as a model version and deployed, and <c>cairn lineage show</c> walks from
/// the raw source table to the deployment and back. On SQLite, and on PostgreSQL when the test command provides it.
/// </summary>
public sealed class OpenLineagePipelineTests
{
    private const string Source = "dataset:postgres://claims-db.internal:5432:claims.public.claims";
    private const string TrainRun = "run:01934f7a-2b1c-7d3e-8a45-0c9e6f1b2a04";
    private const string Model = "model:fraud.claims_fraud:1";
    private const string Deployment = "deployment:prod:claims-fraud-scoring";

    [Fact]
    public Task On_sqlite_cairn_lineage_show_walks_from_the_source_table_to_the_deployed_model_and_back() => WalkAsync(null);

    [PostgresFact]
    public async Task On_postgresql_cairn_lineage_show_walks_from_the_source_table_to_the_deployed_model_and_back()
    {
        using var database = Postgres.CreateDatabase();
        await WalkAsync(database.ConnectionString);
    }

    private static async Task WalkAsync(string? postgres)
    {
        var dataDir = Directory.CreateTempSubdirectory("cairn-openlineage-").FullName;
        try
        {
            await using var server = await ServerProcess.StartAsync(postgres is null ? ["--data-dir", dataDir] : ["--data-dir", dataDir, "--database", postgres]);
            using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
            var events = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "fixtures", "openlineage", "claims_pipeline.json")))!.AsArray();
            foreach (var @event in events)
            {
                using var content = new StringContent(@event!.ToJsonString(), Encoding.UTF8, "application/json");
                var response = await http.PostAsync(new Uri("/api/v1/lineage", UriKind.Relative), content);
                Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            }
            (await http.PostAsJsonAsync("/api/v1/models", new { @namespace = "/fraud", model_name = "claims_fraud" })).EnsureSuccessStatusCode();
            (await http.PostAsJsonAsync("/api/v1/models/fraud.claims_fraud/versions", new { run_id = TrainRun["run:".Length..], source = "s3://acme-models/fraud/claims_fraud/2026-11-22" })).EnsureSuccessStatusCode();
            (await http.PostAsJsonAsync("/api/v1/lineage/edges", new { source = Model, target = Deployment, kind = "deployed" })).EnsureSuccessStatusCode();

            var down = await Cli.RunAsync(["lineage", "show", Source, "--downstream", "--depth", "10", "--server", server.Url], null);
            var up = await Cli.RunAsync(["lineage", "show", Deployment, "--upstream", "--depth", "10", "--server", server.Url], null);

            Assert.True(down.ExitCode == 0, down.Stderr);
            Assert.True(up.ExitCode == 0, up.Stderr);
            Assert.Contains($"-> {Deployment} [deployed]", down.Stdout, StringComparison.Ordinal);
            Assert.Contains($"<- {Source} [input]", up.Stdout, StringComparison.Ordinal);
            // Upstream of the deployment the chain nests in order: model, training run, features, feature run, raw, ingestion run, source.
            var lines = up.Stdout.Split('\n');
            int Line(string node) => Array.FindIndex(lines, l => l.Contains(node, StringComparison.Ordinal));
            Assert.True(Line(Model) < Line(TrainRun) && Line(TrainRun) < Line("dataset:s3://acme-lake:features/claims_features")
                && Line("dataset:s3://acme-lake:raw/claims") < Line(Source), up.Stdout);
            Assert.Contains("job:airflow://prod-scheduler:claims_daily.train_fraud_model", up.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }
}
