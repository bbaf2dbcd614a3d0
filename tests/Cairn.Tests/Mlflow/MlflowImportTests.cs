using Cairn.Governance;
using Cairn.Storage;
using Cairn.Tests.Api;
using Cairn.Tests.Fixtures;
using Cairn.Tracking;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Tests.Mlflow;

/// <summary>Adopting an MLflow installation: its database (as MLflow's migrations shape it) and its artifact root.</summary>
public sealed class MlflowImportTests : IDisposable
{
    private readonly CairnApp _app = new();
    private readonly string _source = Directory.CreateTempSubdirectory("cairn-mlflow-source-").FullName;

    public MlflowImportTests()
    {
        MlflowDatabase.Create(Path.Combine(_source, "mlflow.db"));
        var artifacts = Directory.CreateDirectory(Path.Combine(_source, "mlartifacts", "3", MlflowDatabase.RunA, "artifacts", "model")).FullName;
        File.WriteAllBytes(Path.Combine(artifacts, "model.bin"), [1, 2, 3, 4]);
        File.WriteAllText(Path.Combine(artifacts, "MLmodel"), "flavors: {}\n");
    }

    public void Dispose()
    {
        _app.Dispose();
        Directory.Delete(_source, recursive: true);
    }

    private Task<MlflowImportSummary> ImportAsync() => new MlflowImporter(
            _app.Services.GetRequiredService<CairnDatabase>(), _app.Services.GetRequiredService<AuditChain>(), TimeProvider.System,
            _app.Services.GetRequiredService<TrackingArtifacts>(), _app.Services.GetRequiredService<RunArtifacts>().Destination)
        .ImportAsync(Caller.Admin("importer"), Path.Combine(_source, "mlflow.db"), Path.Combine(_source, "mlartifacts"), null, CancellationToken.None);

    [Fact]
    public async Task An_import_moves_no_stage_or_alias_that_a_promotion_policy_protects()
    {
        await (await _app.CreateClient().PutJsonAsync("/api/v1/policies/risk", new
        {
            protected_targets = new object[] { new { stage = "Production", approvals = 2 }, new { alias = "*", approvals = 1 } },
        })).ExpectAsync(200);

        var summary = await ImportAsync();

        var mlflow = new Mlflow(_app.CreateClient());
        var held = (await mlflow.GetOkAsync("model-versions/get?name=risk.fraud_scorer&version=3"))["model_version"]!;
        Assert.Equal("None", (string?)held["current_stage"]);
        Assert.Empty((await mlflow.GetOkAsync("registered-models/get?name=risk.fraud_scorer"))["registered_model"]!["aliases"]?.AsArray() ?? []);
        Assert.Contains(summary.Warnings, w => w.Contains("Version 3 of 'risk.fraud_scorer' is Production in MLflow, but Production is protected by the policy of namespace '/risk'", StringComparison.Ordinal));
        Assert.Contains(summary.Warnings, w => w.StartsWith("Alias '", StringComparison.Ordinal) && w.Contains("of 'risk.fraud_scorer'", StringComparison.Ordinal) && w.Contains("was not imported", StringComparison.Ordinal));
        Assert.True(summary.Counts.Single(c => c.Kind == "aliases").Skipped >= 1);
        // Models elsewhere are not governed by /risk's policy and keep their stages.
        Assert.Equal("s3://bucket/churn", (string?)(await mlflow.GetOkAsync("model-versions/get?name=Churn%20Model&version=1"))["model_version"]!["source"]);
    }

    [Fact]
    public async Task Everything_arrives_with_its_ids_and_is_served_by_the_mlflow_api()
    {
        var mlflow = new Mlflow(_app.CreateClient());
        var summary = await ImportAsync();

        Assert.Equal("0584bdc529eb", summary.MlflowSchemaVersion);
        var counts = summary.Counts.ToDictionary(c => c.Kind);
        Assert.Equal(2, counts["runs"].Imported);
        Assert.Equal(6, counts["metric points"].Imported);
        // A name with a space is a name MLflow accepts: it arrives in the root namespace, whole, with its version.
        Assert.Equal(0, counts["registered models"].Skipped);
        Assert.DoesNotContain(summary.Warnings, w => w.Contains("Churn Model", StringComparison.Ordinal));
        var churn = (await mlflow.GetOkAsync("model-versions/get?name=Churn%20Model&version=1"))["model_version"]!;
        Assert.Equal("s3://bucket/churn", (string?)churn["source"]);

        var experiment = (await mlflow.GetOkAsync("experiments/get?experiment_id=3"))["experiment"]!;
        Assert.Equal("fraud-detection", (string?)experiment["name"]);
        Assert.Equal("risk", (string?)experiment["tags"]![0]!["value"]);
        Assert.Equal("deleted", (string?)(await mlflow.GetOkAsync("experiments/get?experiment_id=4"))["experiment"]!["lifecycle_stage"]);

        var run = (await mlflow.GetOkAsync($"runs/get?run_id={MlflowDatabase.RunA}"))["run"]!;
        Assert.Equal("clever-fox-12", (string?)run["info"]!["run_name"]);
        Assert.Equal(["epochs", "lr"], run["data"]!["params"]!.AsArray().Select(p => (string)p!["key"]!));
        Assert.Equal("claims", (string?)run["inputs"]!["dataset_inputs"]![0]!["dataset"]!["name"]);
        var history = await mlflow.GetOkAsync($"metrics/get-history?run_id={MlflowDatabase.RunA}&metric_key=loss");
        Assert.Equal([0.9, 0.5, 0.25], history["metrics"]!.AsArray().Select(m => (double)m!["value"]!));
        var found = await mlflow.OkAsync("runs/search", new { experiment_ids = new[] { "3" }, filter = "metrics.acc > 0.9" });
        Assert.Equal([MlflowDatabase.RunA], found["runs"]!.AsArray().Select(r => (string)r!["info"]!["run_id"]!));

        var model = (await mlflow.GetOkAsync("registered-models/get?name=risk.fraud_scorer"))["registered_model"]!;
        Assert.Equal("scores claims", (string?)model["description"]);
        Assert.Equal("3", (string?)model["aliases"]![0]!["version"]);
        var production = (await mlflow.GetOkAsync("model-versions/get?name=risk.fraud_scorer&version=3"))["model_version"]!;
        Assert.Equal("Production", (string?)production["current_stage"]);
        Assert.Equal(MlflowDatabase.RunA, (string?)production["run_id"]);
        Assert.Equal("https://ci.example.com/runs/42", (string?)production["run_link"]);
        Assert.Equal("yes", (string?)production["tags"]![0]!["value"]);
        // The imported run's dataset input and the version it produced are in the lineage graph, as if logged live.
        var path = await (await _app.CreateClient().GetAsync(new Uri(
            $"/api/v1/lineage/path?from={Uri.EscapeDataString("dataset:local:claims")}&to={Uri.EscapeDataString("model:risk.fraud_scorer:3")}", UriKind.Relative))).ExpectAsync(200);
        Assert.Equal(["dataset:local:claims", $"run:{MlflowDatabase.RunA}", "model:risk.fraud_scorer:3"], path["nodes"]!.AsArray().Select(n => (string)n!));
        var files = await mlflow.GetOkAsync($"artifacts/list?run_id={MlflowDatabase.RunA}&path=model");
        Assert.Equal(["model/MLmodel", "model/model.bin"], files["files"]!.AsArray().Select(f => (string)f!["path"]!));

        // Numbering carries on after the imported versions, and the stage history says how the stage arrived.
        var next = (await mlflow.OkAsync("model-versions/create", new { name = "risk.fraud_scorer", source = "s3://b/m" }))["model_version"]!;
        Assert.Equal("4", (string?)next["version"]);
        var stages = await (await _app.CreateClient().GetAsync(new Uri("/api/v1/models/risk.fraud_scorer/versions/3/stage", UriKind.Relative))).Content.ReadAsStringAsync();
        Assert.Contains("imported from MLflow", stages, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_import_changes_nothing_and_the_audit_chain_stays_valid()
    {
        await ImportAsync();
        var entries = await _app.ScalarAsync<long>("SELECT COUNT(*) FROM audit_log");

        var again = await ImportAsync();

        Assert.All(again.Counts, c => Assert.True(c.Imported == 0, $"{c.Kind}: {c.Imported} imported again"));
        Assert.Equal(entries, await _app.ScalarAsync<long>("SELECT COUNT(*) FROM audit_log"));
        var verification = await _app.Services.GetRequiredService<AuditChain>().VerifyAsync(Caller.Admin("check"), CancellationToken.None);
        Assert.True(verification.Valid);
    }

    [Fact]
    public async Task A_file_that_is_not_an_mlflow_database_is_refused()
    {
        var other = Path.Combine(_source, "other.db");
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={other};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE models (id INTEGER PRIMARY KEY, name TEXT)";
            await command.ExecuteNonQueryAsync();
        }

        var error = await Assert.ThrowsAsync<InvalidParameterException>(() => new MlflowImporter(
                _app.Services.GetRequiredService<CairnDatabase>(), _app.Services.GetRequiredService<AuditChain>(), TimeProvider.System,
                _app.Services.GetRequiredService<TrackingArtifacts>(), _app.Services.GetRequiredService<RunArtifacts>().Destination)
            .ImportAsync(Caller.Admin("importer"), other, null, null, CancellationToken.None));

        Assert.Contains("not an MLflow tracking database", error.Message, StringComparison.Ordinal);
    }
}
