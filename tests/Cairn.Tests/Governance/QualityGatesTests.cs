using System.Text.Json;
using System.Text.Json.Nodes;
using Cairn.Artifacts;
using Cairn.Catalog;
using Cairn.Governance;
using Cairn.Governance.Cards;
using Cairn.Lineage;
using Cairn.Registry;
using Cairn.Storage;
using Cairn.Tests.Api;
using Cairn.Tracking;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Tests.Governance;

/// <summary>
/// Every gate type evaluated by the server inside a write transaction, over data set up through the real services, on
/// SQLite and (with CAIRN_TEST_POSTGRES) PostgreSQL: pass and fail, with the evidence each verdict rests on.
/// </summary>
public sealed class QualityGatesTests(CairnApp app) : IClassFixture<CairnApp>
{
    private static readonly Caller Admin = Caller.Admin("gate-tester");
    private static readonly CancellationToken None = CancellationToken.None;

    private ModelCatalog Catalog => app.Services.GetRequiredService<ModelCatalog>();

    private ModelRegistry Registry => app.Services.GetRequiredService<ModelRegistry>();

    private MetadataStore Metadata => app.Services.GetRequiredService<MetadataStore>();

    private static GateSpec Metric(string metric, double? threshold = null, double? absolute = null, double? relative = null, bool greaterIsBetter = true) =>
        new("metric_threshold", Metric: metric, Threshold: threshold, MinAbsoluteChange: absolute, MinRelativeChange: relative, GreaterIsBetter: greaterIsBetter);

    private async Task<string> ModelAsync(string name, string? description = null, string? owner = null, InferenceSpec? inference = null, Dictionary<string, string>? tags = null)
    {
        var model = await Catalog.CreateAsync(Admin, new CreateModelRequest("/gates", $"{name}_{Guid.NewGuid():N}"[..Math.Min(name.Length + 9, 60)], description, owner, Inference: inference, Tags: tags), None);
        return model.FullName;
    }

    private Task<ModelVersion> VersionAsync(string model, Dictionary<string, double>? metrics = null, string? runId = null, string? description = null,
        Dictionary<string, string>? tags = null, string? status = null) =>
        Registry.CreateAsync(Admin, model, new CreateVersionRequest(Description: description, RunId: runId, Metrics: metrics, Tags: tags, Status: status), None);

    /// <summary>
    /// Evaluates <paramref name="gates"/> for a version in a write transaction, as a promotion does: the target's holder
    /// is the alias's version, or the newest version in the stage.
    /// </summary>
    private async Task<IReadOnlyList<GateResult>> EvaluateAsync(string model, int version, string target, params GateSpec[] gates)
    {
        var database = app.Services.GetRequiredService<CairnDatabase>();
        var evaluator = app.Services.GetRequiredService<QualityGates>();
        var parsed = PromotionTarget.Parse(target);
        var results = await database.WriteAsync(async (connection, transaction) =>
        {
            var row = await connection.QuerySingleAsync<(long ModelId, string Namespace, long VersionId)>(new CommandDefinition(
                "SELECT m.id, m.namespace, v.id FROM models m JOIN model_versions v ON v.model_id = m.id WHERE m.full_name = @model AND v.version = @version",
                new { model, version }, transaction));
            var holder = parsed.Kind == PromotionTargetKind.Stage
                ? await connection.ExecuteScalarAsync<int?>(new CommandDefinition(
                    "SELECT MAX(version) FROM model_versions WHERE model_id = @ModelId AND stage = @Name", new { row.ModelId, parsed.Name }, transaction))
                : await connection.ExecuteScalarAsync<int?>(new CommandDefinition(
                    "SELECT version FROM aliases WHERE model_id = @ModelId AND alias = @Name", new { row.ModelId, parsed.Name }, transaction));
            return await evaluator.EvaluateAsync(transaction, new GateSubject(row.ModelId, model, row.Namespace, row.VersionId, version, parsed, holder), gates, None);
        }, None);
        Assert.Equal(gates.Length, results.Count);
        // The evidence is stored with the request: it must serialise as the store writes it.
        var json = JsonSerializer.Serialize(results, CairnJson.Options);
        Assert.DoesNotContain("\"evaluated_at\":null", json, StringComparison.Ordinal);
        return results;
    }

    private async Task CardAsync(string model, int version, object document, string status = "Draft", string risk = "Unknown")
    {
        var cards = app.Services.GetRequiredService<ModelCards>();
        await cards.PutAsync(Admin, model, version, new PutModelCardRequest(JsonSerializer.SerializeToNode(document)!.AsObject(), risk), None);
        if (status is "PendingReview" or "Approved")
        {
            await cards.SubmitAsync(Admin, model, version, new CardStepRequest(), None);
        }
        if (status == "Approved")
        {
            // Approved by someone other than its editor and submitter.
            await cards.ApproveAsync(Caller.Admin("card-reviewer"), model, version, new CardStepRequest("reviewed"), None);
        }
    }

    private static JsonObject Evidence(GateResult result) => result.Evidence ?? throw new InvalidOperationException("no evidence");

    // ---- metric_threshold ----

    [Fact]
    public async Task An_absolute_threshold_reads_the_versions_own_metric_and_says_so()
    {
        var model = await ModelAsync("abs");
        await VersionAsync(model, new() { ["auc"] = 0.91, ["log_loss"] = 0.4 });

        var results = await EvaluateAsync(model, 1, "Production", Metric("auc", threshold: 0.9), Metric("log_loss", threshold: 0.3, greaterIsBetter: false));

        Assert.True(results[0].Passed, results[0].Reason);
        Assert.Equal("auc >= 0.9 (higher is better)", results[0].Rule);
        var candidate = Evidence(results[0])["candidate"]!;
        Assert.Equal(0.91, (double)candidate["value"]!);
        Assert.Equal("version", (string?)candidate["source"]);
        Assert.Equal("passed", (string?)Evidence(results[0])["checks"]!["threshold"]);
        Assert.False(results[1].Passed);
        Assert.Contains("log_loss = 0.4 fails the threshold 0.3 (lower is better)", results[1].Reason, StringComparison.Ordinal);
        Assert.Equal("failed", (string?)Evidence(results[1])["checks"]!["threshold"]);
        Assert.Equal(0.3, (double)Evidence(results[1])["threshold"]!);
    }

    [Fact]
    public async Task A_version_without_the_metric_is_judged_on_its_source_runs_latest_value()
    {
        var tracking = app.Services.GetRequiredService<TrackingStore>();
        var experiment = await tracking.CreateExperimentAsync(Admin, $"gates-{Guid.NewGuid():N}", null, null, None);
        var run = await tracking.CreateRunAsync(Admin, new CreateRunRequest(experiment, null, null, null, null), None);
        var runId = run.Info.RunId;
        await tracking.LogBatchAsync(Admin, runId, [new Tracking.Metric("auc", 0.7, 1000, 0), new Tracking.Metric("auc", 0.88, 2000, 1)], null, null, None);
        var model = await ModelAsync("fromrun");
        await VersionAsync(model, runId: runId);
        await VersionAsync(model, new() { ["auc"] = 0.6 }, runId: runId);

        var results = await EvaluateAsync(model, 1, "Production", Metric("auc", threshold: 0.85));
        var own = await EvaluateAsync(model, 2, "Production", Metric("auc", threshold: 0.85));

        Assert.True(results[0].Passed, results[0].Reason);
        var candidate = Evidence(results[0])["candidate"]!;
        Assert.Equal(0.88, (double)candidate["value"]!);
        Assert.Equal("source_run", (string?)candidate["source"]);
        Assert.Equal(runId, (string?)candidate["run_id"]);
        Assert.Contains($"its source run {runId}", results[0].Reason, StringComparison.Ordinal);
        // The version's own metric wins over its run's.
        Assert.False(own[0].Passed);
        Assert.Equal("version", (string?)Evidence(own[0])["candidate"]!["source"]);
    }

    [Fact]
    public async Task A_version_without_the_metric_fails_naming_it()
    {
        var model = await ModelAsync("nometric");
        await VersionAsync(model, new() { ["accuracy"] = 0.99 });

        var result = (await EvaluateAsync(model, 1, "champion", Metric("auc", threshold: 0.5)))[0];

        Assert.False(result.Passed);
        Assert.Equal("Version 1 has no metric 'auc' and it names no source run.", result.Reason);
        Assert.Null(Evidence(result)["candidate"]!["value"]);
    }

    [Fact]
    public async Task A_relative_threshold_compares_with_the_version_the_alias_points_at()
    {
        var model = await ModelAsync("champion");
        await VersionAsync(model, new() { ["auc"] = 0.80 });
        await VersionAsync(model, new() { ["auc"] = 0.90 });
        await VersionAsync(model, new() { ["auc"] = 0.85 });
        await app.Services.GetRequiredService<ModelAliases>().SetAsync(Admin, model, "champion", 1, None);
        var gate = Metric("auc", relative: 0.1);

        var better = (await EvaluateAsync(model, 2, "champion", gate))[0];
        var notEnough = (await EvaluateAsync(model, 3, "@champion", gate))[0];

        Assert.True(better.Passed, better.Reason);
        var evidence = Evidence(better);
        Assert.Equal(1, (int)evidence["baseline"]!["version"]!);
        Assert.Equal(0.8, (double)evidence["baseline"]!["value"]!);
        Assert.Equal((0.9 - 0.8) / 0.8, (double)evidence["relative_change"]!);
        Assert.Equal("@champion", (string?)evidence["target"]);
        Assert.False(notEnough.Passed);
        Assert.Contains("relative to version 1 holding @champion (auc = 0.8), less than 0.1", notEnough.Reason, StringComparison.Ordinal);
        Assert.Equal("failed", (string?)Evidence(notEnough)["checks"]!["min_relative_change"]);
    }

    [Fact]
    public async Task An_absolute_change_compares_with_the_newest_version_in_the_stage_lower_being_better()
    {
        var model = await ModelAsync("stage");
        await VersionAsync(model, new() { ["rmse"] = 0.50 });
        await VersionAsync(model, new() { ["rmse"] = 0.42 });
        await VersionAsync(model, new() { ["rmse"] = 0.46 });
        await Registry.TransitionAsync(Admin, model, 1, new StageChange("Production"), None);
        var gate = Metric("rmse", absolute: 0.05, greaterIsBetter: false);

        var better = (await EvaluateAsync(model, 2, "Production", gate))[0];
        var notEnough = (await EvaluateAsync(model, 3, "Production", gate))[0];

        Assert.True(better.Passed, better.Reason);
        Assert.Equal(0.42 - 0.5, (double)Evidence(better)["absolute_change"]!);
        Assert.False(notEnough.Passed);
        Assert.Contains("rmse = 0.46 is not at least 0.05 better than version 1 holding Production (rmse = 0.5)", notEnough.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_no_version_holding_the_target_the_relative_checks_pass_saying_so()
    {
        var model = await ModelAsync("first");
        await VersionAsync(model, new() { ["auc"] = 0.7 });

        var result = (await EvaluateAsync(model, 1, "Production", Metric("auc", threshold: 0.6, absolute: 0.1, relative: 0.2)))[0];

        Assert.True(result.Passed, result.Reason);
        Assert.Equal("no version holds Production", (string?)Evidence(result)["baseline_note"]);
        Assert.Null(Evidence(result)["baseline"]);
        Assert.Contains("no version holds Production", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_holder_without_the_metric_fails_the_comparison_saying_so()
    {
        var model = await ModelAsync("holderless");
        await VersionAsync(model);
        await VersionAsync(model, new() { ["auc"] = 0.7 });
        await Registry.TransitionAsync(Admin, model, 1, new StageChange("Staging"), None);

        var result = (await EvaluateAsync(model, 2, "Staging", Metric("auc", threshold: 0.9, relative: 0.1)))[0];

        Assert.False(result.Passed);
        // Both failures are told, as MLflow tells them.
        Assert.Contains("auc = 0.7 fails the threshold 0.9", result.Reason, StringComparison.Ordinal);
        Assert.Contains("Version 1, which holds Staging, has no metric 'auc'", result.Reason, StringComparison.Ordinal);
        Assert.Equal(1, (int)Evidence(result)["baseline"]!["version"]!);
        Assert.Equal("failed", (string?)Evidence(result)["checks"]!["min_relative_change"]);
    }

    [Fact]
    public async Task A_zero_baseline_asks_only_that_the_candidate_be_better()
    {
        var model = await ModelAsync("zero");
        await VersionAsync(model, new() { ["recall"] = 0 });
        await VersionAsync(model, new() { ["recall"] = 0 });
        await VersionAsync(model, new() { ["recall"] = 0.01 });
        await app.Services.GetRequiredService<ModelAliases>().SetAsync(Admin, model, "prod-eu", 1, None);

        var same = (await EvaluateAsync(model, 2, "prod-eu", Metric("recall", relative: 0.5)))[0];
        var better = (await EvaluateAsync(model, 3, "prod-eu", Metric("recall", relative: 0.5)))[0];

        Assert.False(same.Passed);
        Assert.True((bool)Evidence(same)["zero_baseline"]!);
        Assert.Contains("must then be better than 0 by 1E-10", same.Reason, StringComparison.Ordinal);
        Assert.True(better.Passed, better.Reason);
    }

    // ---- required_fields ----

    [Fact]
    public async Task Required_fields_are_found_on_the_version_or_its_model_and_each_is_listed()
    {
        var inference = new InferenceSpec(new InferenceSchema("claims", JsonNode.Parse("""{"type":"object"}""")), null);
        var model = await ModelAsync("fields", description: "Scores claims", owner: "risk-team", inference: inference, tags: new() { ["license"] = "Apache-2.0" });
        await VersionAsync(model);

        var result = (await EvaluateAsync(model, 1, "Production", new GateSpec("required_fields", Fields: ["description", "owner", "license", "signature"])))[0];

        Assert.True(result.Passed, result.Reason);
        var fields = Evidence(result)["fields"]!;
        Assert.Equal("model", (string?)fields["description"]!["source"]);
        Assert.Equal("risk-team", (string?)fields["owner"]!["value"]);
        Assert.Equal("model_tag", (string?)fields["license"]!["source"]);
        Assert.Equal("Apache-2.0", (string?)fields["license"]!["value"]);
        Assert.Equal("model_inference_schema", (string?)fields["signature"]!["source"]);
        Assert.Empty(Evidence(result)["missing"]!.AsArray());
    }

    [Fact]
    public async Task Missing_fields_fail_naming_each_and_where_it_was_looked_for()
    {
        var model = await ModelAsync("bare");
        await VersionAsync(model, description: "v1 notes");

        var result = (await EvaluateAsync(model, 1, "Production", new GateSpec("required_fields", Fields: ["description", "owner", "license", "signature"])))[0];

        Assert.False(result.Passed);
        Assert.Equal("version", (string?)Evidence(result)["fields"]!["description"]!["source"]);
        Assert.Equal(new[] { "owner", "license", "signature" }, Evidence(result)["missing"]!.AsArray().Select(n => (string)n!));
        Assert.Contains("an owner (its model names none)", result.Reason, StringComparison.Ordinal);
        Assert.Contains("no 'license' tag", result.Reason, StringComparison.Ordinal);
        Assert.False((bool)Evidence(result)["fields"]!["signature"]!["present"]!);
    }

    [Fact]
    public async Task A_licence_may_come_from_a_version_tag_or_the_model_cards_licences()
    {
        var model = await ModelAsync("licence");
        await VersionAsync(model, tags: new() { ["license"] = "MIT" });
        await VersionAsync(model);
        await CardAsync(model, 2, new { model_details = new { name = "x", licenses = new[] { new { identifier = "CC-BY-4.0" } } } });
        var gate = new GateSpec("required_fields", Fields: ["license"]);

        var fromTag = (await EvaluateAsync(model, 1, "Production", gate))[0];
        var fromCard = (await EvaluateAsync(model, 2, "Production", gate))[0];

        Assert.Equal("version_tag", (string?)Evidence(fromTag)["fields"]!["license"]!["source"]);
        Assert.True(fromCard.Passed, fromCard.Reason);
        Assert.Equal("model_card", (string?)Evidence(fromCard)["fields"]!["license"]!["source"]);
        Assert.Equal("CC-BY-4.0", (string?)Evidence(fromCard)["fields"]!["license"]!["value"]);
    }

    // ---- files_ready ----

    [Fact]
    public async Task Files_ready_passes_for_a_ready_version_whose_files_all_have_their_checksum()
    {
        var model = await ModelAsync("files");
        await VersionAsync(model, status: VersionStatus.PendingRegistration);
        var files = app.Services.GetRequiredService<VersionFiles>();
        await files.PutAsync(Admin, model, 1, "model/weights.bin", new MemoryStream([1, 2, 3]), new DeclaredChecksums(), None);
        await files.PutAsync(Admin, model, 1, "model/MLmodel", new MemoryStream("flavors: {}"u8.ToArray()), new DeclaredChecksums(), None);
        var gate = new GateSpec("files_ready");

        var pending = (await EvaluateAsync(model, 1, "Production", gate))[0];
        await Registry.UpdateAsync(Admin, model, 1, new UpdateVersionRequest(Status: VersionStatus.Ready), None);
        var ready = (await EvaluateAsync(model, 1, "Production", gate))[0];

        Assert.False(pending.Passed);
        Assert.Equal("Version 1 is PENDING_REGISTRATION, not READY.", pending.Reason);
        Assert.True(ready.Passed, ready.Reason);
        Assert.Equal(2L, (long)Evidence(ready)["files"]!);
        Assert.Equal(0L, (long)Evidence(ready)["files_without_sha256"]!);
        Assert.Equal("READY", (string?)Evidence(ready)["status"]);
    }

    [Fact]
    public async Task Files_ready_fails_for_a_version_without_files_or_with_a_file_lacking_its_checksum()
    {
        var model = await ModelAsync("nofiles");
        await VersionAsync(model);
        await VersionAsync(model, status: VersionStatus.PendingRegistration);
        var files = app.Services.GetRequiredService<VersionFiles>();
        await files.PutAsync(Admin, model, 2, "model.onnx", new MemoryStream([9]), new DeclaredChecksums(), None);
        await Registry.UpdateAsync(Admin, model, 2, new UpdateVersionRequest(Status: VersionStatus.Ready), None);
        // A row the store never checked (as a store adopted from elsewhere might hold).
        await app.Services.GetRequiredService<CairnDatabase>().WriteAsync((connection, transaction) => connection.ExecuteAsync(new CommandDefinition(
            "UPDATE version_files SET sha256 = '' WHERE version_id = (SELECT v.id FROM model_versions v JOIN models m ON m.id = v.model_id WHERE m.full_name = @model AND v.version = 2)",
            new { model }, transaction)), None);

        var empty = (await EvaluateAsync(model, 1, "Production", new GateSpec("files_ready")))[0];
        var unchecked_ = (await EvaluateAsync(model, 2, "Production", new GateSpec("files_ready")))[0];

        Assert.False(empty.Passed);
        Assert.Equal("Version 1 has no files.", empty.Reason);
        Assert.False(unchecked_.Passed);
        Assert.Equal("1 of its 1 files have no SHA-256 (model.onnx).", unchecked_.Reason);
        Assert.Equal(new[] { "model.onnx" }, Evidence(unchecked_)["paths_without_sha256"]!.AsArray().Select(n => (string)n!));
    }

    // ---- dataset_lineage ----

    private async Task<string> DatasetAsync(string name, bool withSchema)
    {
        var (dataset, _) = await Metadata.PutDatasetAsync(Admin, new PutDatasetRequest(
            "s3://gates-lake", $"{name}-{Guid.NewGuid():N}", Schema: withSchema ? [new DatasetField("claim_id", "string"), new DatasetField("amount", "double")] : null), None);
        return dataset.Id;
    }

    private async Task<string> TrainingRunAsync(params string[] inputs)
    {
        var runId = Guid.NewGuid().ToString();
        await Metadata.PutExecutionAsync(Admin, new PutExecutionRequest(runId, "training", "gates-jobs", "train", "COMPLETE", Inputs: inputs), None);
        return runId;
    }

    [Fact]
    public async Task Dataset_lineage_finds_the_registered_dataset_the_versions_training_run_read()
    {
        var raw = await DatasetAsync("raw", withSchema: true);
        var features = await DatasetAsync("features", withSchema: true);
        var build = Guid.NewGuid().ToString();
        await Metadata.PutExecutionAsync(Admin, new PutExecutionRequest(build, "transformation", "gates-jobs", "build", "COMPLETE", Inputs: [raw], Outputs: [features]), None);
        var model = await ModelAsync("lineage");
        await VersionAsync(model, runId: await TrainingRunAsync(features));

        var result = (await EvaluateAsync(model, 1, "Production", new GateSpec("dataset_lineage")))[0];

        Assert.True(result.Passed, result.Reason);
        var evidence = Evidence(result);
        Assert.Equal(2, (int)evidence["path_length"]!);
        Assert.Equal(2, (int)evidence["datasets_found"]!);
        var datasets = evidence["datasets"]!.AsArray();
        Assert.Equal(features, (string?)datasets[0]!["id"]);
        Assert.Equal(raw, (string?)datasets[1]!["id"]);
        Assert.Equal(4, (int)datasets[1]!["path_length"]!);
        Assert.Contains($"the nearest {features}, 2 edges away", result.Reason, StringComparison.Ordinal);
        Assert.False((bool)evidence["walk_truncated"]!);
    }

    [Fact]
    public async Task Dataset_lineage_with_a_schema_required_fails_when_the_upstream_datasets_have_none()
    {
        var plain = await DatasetAsync("plain", withSchema: false);
        var model = await ModelAsync("noschema");
        await VersionAsync(model, runId: await TrainingRunAsync(plain));

        var strict = (await EvaluateAsync(model, 1, "Production", new GateSpec("dataset_lineage")))[0];
        var lax = (await EvaluateAsync(model, 1, "Production", new GateSpec("dataset_lineage", RequireSchema: false)))[0];

        Assert.False(strict.Passed);
        Assert.Contains($"({plain}) have no schema", strict.Reason, StringComparison.Ordinal);
        Assert.False((bool)Evidence(strict)["datasets"]![0]!["has_schema"]!);
        Assert.True(lax.Passed, lax.Reason);
    }

    [Fact]
    public async Task Dataset_lineage_counts_only_registered_datasets_and_follows_explicit_edges()
    {
        var model = await ModelAsync("edges");
        await VersionAsync(model);
        var declared = $"dataset:s3://gates-lake:declared-{Guid.NewGuid():N}";
        var graph = app.Services.GetRequiredService<LineageGraph>();
        await graph.AddEdgeAsync(Admin, new CreateEdgeRequest(declared, NodeIds.Model(model, 1), "trained_on"), None);

        var unregistered = (await EvaluateAsync(model, 1, "Production", new GateSpec("dataset_lineage", RequireSchema: false)))[0];
        var node = NodeIds.Parse(declared);
        await Metadata.PutDatasetAsync(Admin, new PutDatasetRequest(node.Namespace, node.Name, Schema: [new DatasetField("x", "int")]), None);
        var registered = (await EvaluateAsync(model, 1, "Production", new GateSpec("dataset_lineage")))[0];

        Assert.False(unregistered.Passed);
        Assert.Contains($"No registered dataset is upstream of version 1 within 20 edges of model:{model}:1", unregistered.Reason, StringComparison.Ordinal);
        Assert.True(registered.Passed, registered.Reason);
        Assert.Equal(1, (int)Evidence(registered)["path_length"]!);
    }

    // ---- model_card ----

    private static object FullCard => new
    {
        model_details = new { name = "fraud", overview = "Scores claims for fraud" },
        model_parameters = new { model_architecture = "gradient boosted trees" },
        quantitative_analysis = new { performance_metrics = new[] { new { type = "auc", value = "0.91" } } },
        considerations = new { limitations = new[] { new { description = "Trained on 2025 claims only" } } },
        intended_uses = new { primary_uses = new[] { "claims triage" }, primary_users = Array.Empty<string>(), out_of_scope_uses = Array.Empty<string>() },
    };

    [Fact]
    public async Task A_version_without_a_card_fails_the_card_gate()
    {
        var model = await ModelAsync("nocard");
        await VersionAsync(model);

        var result = (await EvaluateAsync(model, 1, "Production", new GateSpec("model_card")))[0];

        Assert.False(result.Passed);
        Assert.Equal("Version 1 has no model card.", result.Reason);
    }

    [Fact]
    public async Task The_card_gate_asks_for_an_approved_card_with_its_required_sections_filled()
    {
        var model = await ModelAsync("card");
        await VersionAsync(model);
        await VersionAsync(model);
        await VersionAsync(model);
        await CardAsync(model, 1, FullCard, status: "Approved", risk: "Medium");
        await CardAsync(model, 2, FullCard, status: "PendingReview", risk: "High");
        await CardAsync(model, 3, new { model_details = new { name = "", overview = " " }, considerations = new { limitations = Array.Empty<object>() } }, status: "Approved");
        var gate = new GateSpec("model_card", Sections: ["model_details", "considerations", "intended_uses", "risk_rating"]);

        var approved = (await EvaluateAsync(model, 1, "Production", gate))[0];
        var pending = (await EvaluateAsync(model, 2, "Production", gate))[0];
        var pendingAllowed = (await EvaluateAsync(model, 2, "Production", gate with { RequireApproved = false }))[0];
        var empty = (await EvaluateAsync(model, 3, "Production", gate))[0];

        Assert.True(approved.Passed, approved.Reason);
        Assert.Equal("Medium", (string?)Evidence(approved)["risk_rating"]);
        Assert.True((bool)Evidence(approved)["sections"]!["quantitative_analysis"]!);
        Assert.False(pending.Passed);
        Assert.Equal("The model card of version 2 is PendingReview, not Approved.", pending.Reason);
        Assert.True(pendingAllowed.Passed, pendingAllowed.Reason);
        Assert.False(empty.Passed);
        Assert.Equal(new[] { "model_details", "considerations", "intended_uses", "risk_rating" }, Evidence(empty)["missing_sections"]!.AsArray().Select(n => (string)n!));
        Assert.Contains("(the risk rating is Unknown)", empty.Reason, StringComparison.Ordinal);
    }

    // ---- required_tags ----

    [Fact]
    public async Task Required_tags_are_read_on_the_version_then_its_model_with_the_value_asked_for()
    {
        var model = await ModelAsync("tags", tags: new() { ["team"] = "risk", ["validated"] = "no" });
        await VersionAsync(model, tags: new() { ["validated"] = "yes" });
        var gate = new GateSpec("required_tags", Tags: new Dictionary<string, string?> { ["team"] = "risk", ["validated"] = "yes", ["ticket"] = null });

        var missing = (await EvaluateAsync(model, 1, "Production", gate))[0];
        await Registry.SetTagAsync(Admin, model, 1, "ticket", "MRM-1042", None);
        var complete = (await EvaluateAsync(model, 1, "Production", gate))[0];
        var wrong = (await EvaluateAsync(model, 1, "Production", gate with { Tags = new Dictionary<string, string?> { ["team"] = "ops" } }))[0];

        Assert.False(missing.Passed);
        Assert.Equal("Tag 'ticket' is set on neither version 1 nor its model.", missing.Reason);
        Assert.True(complete.Passed, complete.Reason);
        var tags = Evidence(complete)["tags"]!;
        Assert.Equal("model", (string?)tags["team"]!["source"]);
        Assert.Equal("version", (string?)tags["validated"]!["source"]);
        Assert.Equal("MRM-1042", (string?)tags["ticket"]!["value"]);
        Assert.False(wrong.Passed);
        Assert.Equal("Tag 'team' is 'risk' on the model, not 'ops'.", wrong.Reason);
    }

    // ---- all together ----

    [Fact]
    public async Task Every_gate_of_a_policy_is_evaluated_in_order_and_a_vanished_version_fails_them_all()
    {
        var model = await ModelAsync("all");
        await VersionAsync(model, new() { ["auc"] = 0.9 });
        GateSpec[] gates =
        [
            Metric("auc", threshold: 0.8), new GateSpec("required_fields", Fields: ["owner"]), new GateSpec("files_ready"),
            new GateSpec("dataset_lineage"), new GateSpec("model_card"), new GateSpec("required_tags", Tags: new Dictionary<string, string?> { ["team"] = null }),
        ];

        var results = await EvaluateAsync(model, 1, "Production", gates);
        var database = app.Services.GetRequiredService<CairnDatabase>();
        var vanished = await database.WriteAsync((_, transaction) => app.Services.GetRequiredService<QualityGates>().EvaluateAsync(
            transaction, new GateSubject(-1, model, "/gates", -1, 7, PromotionTarget.Parse("Production"), null), gates, None), None);

        Assert.Equal(GateSpec.Types, results.Select(r => r.Type));
        Assert.Equal(new[] { true, false, false, false, false, false }, results.Select(r => r.Passed));
        Assert.All(vanished, r => Assert.False(r.Passed));
        Assert.All(vanished, r => Assert.Equal($"Version 7 of model '{model}' no longer exists.", r.Reason));
    }
}
