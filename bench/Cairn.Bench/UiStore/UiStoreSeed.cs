using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Cairn.Governance;
using Cairn.Storage;
using Cairn.Tracking;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Bench.UiStore;

/// <summary>
/// Builds the web UI's store at scale (<c>seed-ui</c>): the server first creates the schema (its own migrations) and
/// the Default experiment; the big tables are then written straight into the database, with the rows Cairn's own writes
/// would leave (the models' version counters, the lineage nodes and edges of each version's run, alias history, stage
/// transitions, hash-chained audit entries stamped on the rows); last, the server is started again and the library
/// itself logs dataset inputs on some runs (datasets, their versions and lineage), and the API is asked for what was seeded.
/// </summary>
internal static class UiStoreSeed
{
    private const string Seeder = "seed";

    private static readonly string[] SqliteFiles = ["", "-wal", "-shm"];

    public static async Task<int> RunAsync(string dataDir, string? postgres, UiStoreShape shape, TextWriter progress, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(dataDir);
        var database = postgres ?? Path.GetFullPath(Path.Combine(dataDir, "cairn.db"));
        var total = Stopwatch.StartNew();
        Func<long, string> experimentLocation;
        await using (var server = await InProcessServer.StartAsync(dataDir, cancellationToken, postgres))
        {
            var artifacts = server.Services.GetRequiredService<TrackingArtifacts>();
            experimentLocation = artifacts.ExperimentLocation;
        }
        progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"seed-ui: {shape.Models:N0} models ({shape.Versions:N0} versions) in {shape.Namespaces.Count} namespaces, {shape.Experiments:N0} experiments, {shape.Runs:N0} runs into {(postgres is null ? database : "PostgreSQL")}"));

        await using (var sink = await SeedSink.OpenAsync(database, cancellationToken))
        {
            var held = await sink.Connection.ExecuteScalarAsync<long>("SELECT (SELECT COUNT(*) FROM models) + (SELECT COUNT(*) FROM runs)");
            if (held > 0)
            {
                throw new InvalidOperationException($"The store at {database} already holds models or runs: seed-ui writes into an empty store only.");
            }
            var head = (await sink.Connection.QueryAsync<(long Seq, string Hash)>("SELECT seq, hash FROM audit_head WHERE id = 1")).ToList();
            var audit = head.Count == 0 ? new AuditWriter(0, AuditChain.Genesis) : new AuditWriter(head[0].Seq, head[0].Hash);
            var watch = Stopwatch.StartNew();
            void Done(string what) => progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"seed-ui: {what} ({sink.Rows:N0} rows, {watch.Elapsed.TotalSeconds:F0} s)"));

            await WriteRegistryAsync(sink, shape, audit.Seq, cancellationToken);
            Done("registry");
            await WriteTrackingAsync(sink, shape, experimentLocation, cancellationToken);
            Done("tracking");
            await WriteLineageAsync(sink, shape, cancellationToken);
            Done("lineage");
            await WriteAuditAsync(sink, shape, audit, experimentLocation, cancellationToken);
            Done("audit");
            await FinishAsync(sink, postgres is not null, cancellationToken);
            Done(postgres is null ? "written" : "sequences moved on, vacuumed and analysed");
        }

        // The library's own writes for the rest: dataset inputs of the runs that produced the first versions.
        var stats = new List<string>();
        await using (var server = await InProcessServer.StartAsync(dataDir, cancellationToken, postgres))
        {
            var tracking = server.Services.GetRequiredService<TrackingStore>();
            var admin = Caller.Admin(Seeder);
            var inputs = Math.Min(400, (int)shape.Versions);
            for (var v = 1L; v <= inputs; v++)
            {
                var run = UiStoreShape.RunUuid(shape.VersionRunIndex(v));
                var dataset = (int)(v % 40);
                await tracking.LogInputsAsync(admin, run,
                [
                    new DatasetInput([new KeyValue("mlflow.data.context", "training")], new Dataset(
                        string.Create(CultureInfo.InvariantCulture, $"{UiStoreShape.Domains[dataset % 4].Domain}-corpus-{dataset:D2}"),
                        string.Create(CultureInfo.InvariantCulture, $"{UiStoreShape.Hash(dataset, v % 3):x8}"),
                        "s3",
                        JsonSerializer.Serialize(new { uri = string.Create(CultureInfo.InvariantCulture, $"s3://datalake/{dataset:D2}/snapshot-{v % 3}") }),
                        JsonSerializer.Serialize(new { mlflow_colspec = new[] { new { name = "id", type = "long" }, new { name = "label", type = "string" }, new { name = "score", type = "double" } } }))),
                ], null, cancellationToken);
            }
            progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"seed-ui: {inputs} dataset inputs logged through the library ({total.Elapsed.TotalSeconds:F0} s)"));
            stats.AddRange(await VerifyAsync(server, shape, cancellationToken));
        }
        progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"seed-ui: done in {total.Elapsed.TotalSeconds:F0} s"));
        foreach (var line in stats)
        {
            progress.WriteLine("seed-ui: " + line);
        }
        progress.WriteLine("seed-ui: size " + await SizeAsync(database, cancellationToken));
        return 0;
    }

    private static async Task WriteRegistryAsync(SeedSink sink, UiStoreShape shape, long seqBefore, CancellationToken cancellationToken)
    {
        await using (var models = await sink.TableAsync("models",
            ["id", "namespace", "name", "full_name", "description", "owner", "url", "data_sources", "inference", "last_version", "created_at", "created_by", "updated_at", "updated_by", "audit_seq"], cancellationToken))
        {
            for (var m = 0; m < shape.Models; m++)
            {
                var count = UiStoreShape.VersionCount(m);
                var owner = UiStoreShape.Owner(m);
                var (_, domain, project) = shape.Parts(m);
                models.Row((long)m + 1, shape.Namespace(m), shape.ModelName(m), shape.FullName(m),
                    $"{shape.ModelName(m)[..shape.ModelName(m).LastIndexOf('-')]} model for {project} ({domain}), trained nightly on the {project} corpus.",
                    owner, UiStoreShape.Pick(m, 8, 3) == 0 ? $"https://git.example.com/{project}/{shape.ModelName(m)}" : null,
                    "[]", null, (long)count, shape.ModelCreatedAt(m), owner, shape.VersionCreatedAt(m, count), owner,
                    seqBefore + shape.FirstSeq[m] + 1);
            }
        }
        await using (var tags = await sink.TableAsync("model_tags", ["model_id", "key", "value"], cancellationToken))
        {
            for (var m = 0; m < shape.Models; m++)
            {
                foreach (var (key, value) in shape.ModelTags(m))
                {
                    tags.Row((long)m + 1, key, value);
                }
            }
        }
        await using (var versions = await sink.TableAsync("model_versions",
            ["id", "model_id", "version", "semver", "description", "source", "run_id", "framework", "parent_version", "status", "stage", "created_at", "created_by", "updated_at", "updated_by", "audit_seq"], cancellationToken))
        {
            for (var m = 0; m < shape.Models; m++)
            {
                var owner = UiStoreShape.Owner(m);
                var full = shape.FullName(m);
                var framework = UiStoreShape.Domains[shape.DomainIndex(m)].Framework;
                for (var v = 1; v <= UiStoreShape.VersionCount(m); v++)
                {
                    var id = shape.FirstVersionId[m] + v - 1;
                    var at = shape.VersionCreatedAt(m, v);
                    var stage = UiStoreShape.Stage(m, v);
                    versions.Row(id, (long)m + 1, (long)v, string.Create(CultureInfo.InvariantCulture, $"1.{v - 1}.0"),
                        v == 1 ? "first trained version" : $"retrained with {(v % 2 == 0 ? "more data" : "tuned hyperparameters")}",
                        $"s3://models/{full}/{v}/model", UiStoreShape.RunUuid(shape.VersionRunIndex(id)), framework,
                        v == 1 ? null : (long)(v - 1), "READY", stage, at, owner, stage == "None" ? at : at + 86_400_000, owner,
                        seqBefore + shape.FirstSeq[m] + 1 + v);
                }
            }
        }
        await using (var tags = await sink.TableAsync("version_tags", ["version_id", "key", "value"], cancellationToken))
        {
            for (var m = 0; m < shape.Models; m++)
            {
                for (var v = 1; v <= UiStoreShape.VersionCount(m); v++)
                {
                    var id = shape.FirstVersionId[m] + v - 1;
                    tags.Row(id, "git_commit", $"{UiStoreShape.Hash(id, 9):x12}"[..12]);
                    tags.Row(id, "validated", UiStoreShape.Pick(id, 10, 4) == 0 ? "false" : "true");
                }
            }
        }
        string[] versionMetrics = ["accuracy", "f1", "auc", "latency_ms"];
        await using (var metrics = await sink.TableAsync("version_metrics", ["version_id", "key", "value"], cancellationToken))
        {
            for (var id = 1L; id <= shape.Versions; id++)
            {
                for (var k = 0; k < versionMetrics.Length; k++)
                {
                    var u = UiStoreShape.Unit(id, 50 + k);
                    metrics.Row(id, versionMetrics[k], k == 3 ? Math.Round(5 + (200 * u), 2) : Math.Round(0.6 + (0.39 * u), 4));
                }
            }
        }
        await using (var parameters = await sink.TableAsync("version_params", ["version_id", "key", "value"], cancellationToken))
        {
            for (var id = 1L; id <= shape.Versions; id++)
            {
                var run = shape.VersionRunIndex(id);
                foreach (var k in new[] { 0, 1, 2, 3 })
                {
                    parameters.Row(id, UiStoreShape.ParamKeys[k], UiStoreShape.ParamValue(run, k));
                }
            }
        }
        await using (var aliases = await sink.TableAsync("aliases", ["model_id", "alias", "version", "updated_at", "updated_by", "audit_seq"], cancellationToken))
        {
            for (var m = 0; m < shape.Models; m++)
            {
                var list = UiStoreShape.Aliases(m);
                var count = UiStoreShape.VersionCount(m);
                for (var a = 0; a < list.Count; a++)
                {
                    aliases.Row((long)m + 1, list[a].Alias, (long)list[a].Version, shape.VersionCreatedAt(m, count) + 3_600_000, UiStoreShape.Owner(m),
                        seqBefore + shape.FirstSeq[m] + 2 + count + a);
                }
            }
        }
        await using (var history = await sink.TableAsync("alias_history", ["model_id", "alias", "version", "previous_version", "changed_at", "changed_by"], cancellationToken))
        {
            for (var m = 0; m < shape.Models; m++)
            {
                var count = UiStoreShape.VersionCount(m);
                foreach (var (alias, version) in UiStoreShape.Aliases(m))
                {
                    history.Row((long)m + 1, alias, (long)version, null, shape.VersionCreatedAt(m, count) + 3_600_000, UiStoreShape.Owner(m));
                }
            }
        }
        await using (var transitions = await sink.TableAsync("stage_transitions", ["version_id", "from_stage", "to_stage", "comment", "changed_at", "changed_by"], cancellationToken))
        {
            for (var m = 0; m < shape.Models; m++)
            {
                for (var v = 1; v <= UiStoreShape.VersionCount(m); v++)
                {
                    if (UiStoreShape.Stage(m, v) is var stage && stage != "None")
                    {
                        transitions.Row(shape.FirstVersionId[m] + v - 1, "None", stage, $"moved to {stage} after review", shape.VersionCreatedAt(m, v) + 86_400_000, UiStoreShape.Owner(m));
                    }
                }
            }
        }
    }

    private static async Task WriteTrackingAsync(SeedSink sink, UiStoreShape shape, Func<long, string> location, CancellationToken cancellationToken)
    {
        await using (var experiments = await sink.TableAsync("experiments", ["id", "name", "artifact_location", "lifecycle_stage", "created_at", "updated_at", "created_by"], cancellationToken))
        {
            for (var e = 1L; e <= shape.Experiments; e++)
            {
                var at = UiStoreShape.Epoch + (e * 50_000_000);
                experiments.Row(e, shape.ExperimentName(e), location(e), "active", at, at, UiStoreShape.Users[UiStoreShape.Pick(e, 26, UiStoreShape.Users.Length)]);
            }
        }
        await using (var tags = await sink.TableAsync("experiment_tags", ["experiment_id", "key", "value"], cancellationToken))
        {
            for (var e = 1L; e <= shape.Experiments; e++)
            {
                tags.Row(e, "team", shape.ExperimentName(e).Split('/')[0]);
                tags.Row(e, "mlflow.note.content", $"Experiments for {shape.ExperimentName(e)}.");
            }
        }
        await using (var runs = await sink.TableAsync("runs",
            ["id", "run_uuid", "experiment_id", "name", "user_id", "status", "start_time", "end_time", "lifecycle_stage", "artifact_uri"], cancellationToken))
        {
            for (var r = 0L; r < shape.Runs; r++)
            {
                var status = UiStoreShape.RunStatus(r);
                var start = shape.RunStart(r);
                var experiment = shape.ExperimentOf(r);
                var uuid = UiStoreShape.RunUuid(r);
                runs.Row(r + 1, uuid, experiment, UiStoreShape.RunName(r), UiStoreShape.Users[UiStoreShape.Pick(r, 27, UiStoreShape.Users.Length)], status,
                    start, status == "RUNNING" ? null : start + UiStoreShape.RunDuration(r), "active", TrackingArtifacts.RunArtifactUri(location(experiment), uuid));
            }
        }
        await using (var tags = await sink.TableAsync("run_tags", ["run_id", "key", "value"], cancellationToken))
        {
            for (var r = 0L; r < shape.Runs; r++)
            {
                foreach (var (key, value) in UiStoreShape.RunTags(r, UiStoreShape.Users[UiStoreShape.Pick(r, 27, UiStoreShape.Users.Length)]))
                {
                    tags.Row(r + 1, key, value);
                }
            }
        }
        // Params and latest metrics carry their run's experiment and start time (migration 0025's order indexes).
        await using (var parameters = await sink.TableAsync("run_params", ["run_id", "key", "value", "experiment_id", "start_time"], cancellationToken))
        {
            for (var r = 0L; r < shape.Runs; r++)
            {
                for (var k = 0; k < UiStoreShape.ParamCount(r); k++)
                {
                    parameters.Row(r + 1, UiStoreShape.ParamKeys[k], UiStoreShape.ParamValue(r, k), shape.ExperimentOf(r), shape.RunStart(r));
                }
            }
        }
        // A run's history ends at its latest point; runs without a history logged each metric once, at their end.
        await using (var points = await sink.TableAsync("run_metrics", ["run_id", "key", "step", "timestamp", "value", "is_nan"], cancellationToken))
        {
            for (var r = 0L; r < shape.Runs; r++)
            {
                foreach (var (key, step, timestamp, value) in Points(shape, r, latestOnly: false))
                {
                    points.Row(r + 1, key, step, timestamp, value, 0L);
                }
            }
        }
        await using (var latest = await sink.TableAsync("run_latest_metrics", ["run_id", "key", "step", "timestamp", "value", "is_nan", "experiment_id", "start_time"], cancellationToken))
        {
            for (var r = 0L; r < shape.Runs; r++)
            {
                foreach (var (key, step, timestamp, value) in Points(shape, r, latestOnly: true))
                {
                    latest.Row(r + 1, key, step, timestamp, value, 0L, shape.ExperimentOf(r), shape.RunStart(r));
                }
            }
        }
    }

    private static IEnumerable<(string Key, long Step, long Timestamp, double Value)> Points(UiStoreShape shape, long r, bool latestOnly)
    {
        var end = shape.RunStart(r) + UiStoreShape.RunDuration(r);
        var steps = UiStoreShape.HistorySteps(r);
        for (var k = 0; k < UiStoreShape.MetricCount(r); k++)
        {
            var key = UiStoreShape.MetricKeys[k];
            var final = UiStoreShape.MetricValue(r, k);
            if (steps == 0 || !UiStoreShape.HistoryKeys.Contains(key))
            {
                yield return (key, 0, end, final);
                continue;
            }
            var rising = key == "accuracy";
            for (var s = latestOnly ? steps - 1 : 0; s < steps; s++)
            {
                // A learning curve towards the final value, with some noise; the last step is the final value.
                var progress = (double)(s + 1) / steps;
                var value = s == steps - 1 ? final
                    : Math.Round(rising ? final * (1 - (0.5 * Math.Exp(-4 * progress))) : final * (1 + (3 * Math.Exp(-4 * progress))) * (1 + ((UiStoreShape.Unit(r * 1000 + s, k) - 0.5) * 0.04)), 6);
                yield return (key, s, end - ((steps - 1 - s) * 60_000L), value);
            }
        }
    }

    private static async Task WriteLineageAsync(SeedSink sink, UiStoreShape shape, CancellationToken cancellationToken)
    {
        // What LineageGraph.LinkRunToModelAsync records when a version names a run of this store.
        await using (var nodes = await sink.TableAsync("lineage_nodes", ["id", "kind", "namespace", "name", "created_at", "updated_at"], cancellationToken))
        {
            for (var m = 0; m < shape.Models; m++)
            {
                var full = shape.FullName(m);
                for (var v = 1; v <= UiStoreShape.VersionCount(m); v++)
                {
                    var id = shape.FirstVersionId[m] + v - 1;
                    var at = shape.VersionCreatedAt(m, v);
                    var run = UiStoreShape.RunUuid(shape.VersionRunIndex(id));
                    nodes.Row(Lineage.NodeIds.Run(run), "run", null, run, at, at);
                    nodes.Row(Lineage.NodeIds.Model(full, v), "model", full, v.ToString(CultureInfo.InvariantCulture), at, at);
                }
            }
        }
        await using var edges = await sink.TableAsync("lineage_edges", ["source", "target", "kind", "created_at"], cancellationToken);
        for (var m = 0; m < shape.Models; m++)
        {
            var full = shape.FullName(m);
            for (var v = 1; v <= UiStoreShape.VersionCount(m); v++)
            {
                var id = shape.FirstVersionId[m] + v - 1;
                edges.Row(Lineage.NodeIds.Run(UiStoreShape.RunUuid(shape.VersionRunIndex(id))), Lineage.NodeIds.Model(full, v), "output", shape.VersionCreatedAt(m, v));
            }
        }
    }

    /// <summary>
    /// The registry's entries one by one (model.create, version.create, alias.set, with summarised before/after bodies),
    /// then one entry per experiment for its creation and one summarising its runs (runs' own entries are not written).
    /// </summary>
    private static async Task WriteAuditAsync(SeedSink sink, UiStoreShape shape, AuditWriter audit, Func<long, string> location, CancellationToken cancellationToken)
    {
        await using (var log = await sink.TableAsync("audit_log", ["seq", "at", "actor", "action", "resource", "before", "after", "prev_hash", "hash"], cancellationToken))
        {
            for (var m = 0; m < shape.Models; m++)
            {
                var full = shape.FullName(m);
                var owner = UiStoreShape.Owner(m);
                audit.Append(log, shape.ModelCreatedAt(m), owner, "model.create", $"models/{full}", null,
                    new { full_name = full, @namespace = shape.Namespace(m), owner, tags = shape.ModelTags(m).ToDictionary(t => t.Key, t => t.Value) });
                var count = UiStoreShape.VersionCount(m);
                for (var v = 1; v <= count; v++)
                {
                    audit.Append(log, shape.VersionCreatedAt(m, v), owner, "version.create", $"models/{full}/versions/{v}", null,
                        new { model = full, version = v, run_id = UiStoreShape.RunUuid(shape.VersionRunIndex(shape.FirstVersionId[m] + v - 1)), status = "READY" });
                }
                foreach (var (alias, version) in UiStoreShape.Aliases(m))
                {
                    audit.Append(log, shape.VersionCreatedAt(m, count) + 3_600_000, owner, "alias.set", $"models/{full}/aliases/{alias}", null, new { alias, version });
                }
            }
            var runsOf = new long[shape.Experiments + 2];
            for (var r = 0L; r < shape.Runs; r++)
            {
                runsOf[shape.ExperimentOf(r)]++;
            }
            for (var e = 1L; e <= shape.Experiments; e++)
            {
                var id = e.ToString(CultureInfo.InvariantCulture);
                var by = UiStoreShape.Users[UiStoreShape.Pick(e, 26, UiStoreShape.Users.Length)];
                var at = UiStoreShape.Epoch + (e * 50_000_000);
                audit.Append(log, at, by, "experiment.create", $"experiments/{id}", null, new { experiment_id = id, name = shape.ExperimentName(e), artifact_location = location(e) });
                audit.Append(log, at + 1, Seeder, "run.create.summary", $"experiments/{id}", null, new { experiment_id = id, runs = runsOf[e], note = "seed-ui: one entry for the experiment's runs" });
            }
        }
        await sink.Connection.ExecuteAsync(
            "INSERT INTO audit_head (id, seq, hash) VALUES (1, @Seq, @Hash) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
            new { audit.Seq, audit.Hash });
        cancellationToken.ThrowIfCancellationRequested();
    }

    private static async Task FinishAsync(SeedSink sink, bool postgres, CancellationToken cancellationToken)
    {
        if (!postgres)
        {
            return;
        }
        // Explicit ids were copied into identity columns: move their sequences past them, so the server's own inserts
        // get fresh ids. Then what autovacuum would do shortly after such a load anyway (statistics, visibility map).
        foreach (var table in new[] { "models", "model_versions", "alias_history", "stage_transitions", "runs", "experiments" })
        {
            await sink.Connection.ExecuteAsync(new CommandDefinition(
                $"SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT COALESCE(MAX(id), 0) FROM {table}), 1))", cancellationToken: cancellationToken));
        }
        await using var analyze = sink.Connection.CreateCommand();
        analyze.CommandText = "VACUUM (ANALYZE)";
        analyze.CommandTimeout = 0;
        await analyze.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<List<string>> VerifyAsync(InProcessServer server, UiStoreShape shape, CancellationToken cancellationToken)
    {
        using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromMinutes(2) };
        var lines = new List<string>();
        async Task<JsonElement> Get(string path)
        {
            using var response = await client.GetAsync(path, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"Verification failed: GET {path} -> {(int)response.StatusCode}: {body}");
            }
            return JsonDocument.Parse(body).RootElement.Clone();
        }
        var last = shape.Models - 1;
        var model = await Get($"/api/v1/models/{Uri.EscapeDataString(shape.FullName(last))}");
        Check(model.GetProperty("latest_version").GetInt32() == UiStoreShape.VersionCount(last), "the last model's latest_version");
        Check(model.GetProperty("tags").GetProperty("tier").GetString() == UiStoreShape.Tier(last), "the last model's tier tag");
        var version = await Get($"/api/v1/models/{Uri.EscapeDataString(shape.FullName(last))}/versions/1");
        Check(version.GetProperty("run_id").GetString() == UiStoreShape.RunUuid(shape.VersionRunIndex(shape.FirstVersionId[last])), "version 1's run_id");
        var page = await Get("/api/v1/models?filter=tags.pii%20%3D%20'true'&max_results=5");
        Check(page.GetProperty("models").GetArrayLength() > 0, "models with pii=true");
        var run = await Get($"/api/2.0/mlflow/runs/get?run_id={UiStoreShape.RunUuid(shape.Runs - 1)}");
        Check(run.GetProperty("run").GetProperty("data").GetProperty("params").GetArrayLength() == UiStoreShape.ParamCount(shape.Runs - 1), "the last run's params");
        using (var search = await client.PostAsync("/api/2.0/mlflow/runs/search",
            new StringContent("""{"experiment_ids":["1"],"max_results":5,"order_by":["attributes.start_time DESC"]}""", System.Text.Encoding.UTF8, "application/json"), cancellationToken))
        {
            var body = JsonDocument.Parse(await search.Content.ReadAsStringAsync(cancellationToken)).RootElement;
            Check(search.IsSuccessStatusCode && body.GetProperty("runs").GetArrayLength() == 5, "runs/search of experiment 1");
        }
        var lineage = await Get($"/api/v1/lineage/graph?node={Uri.EscapeDataString(Lineage.NodeIds.Model(shape.FullName(0), 1))}&depth=2");
        Check(lineage.GetProperty("graph").GetArrayLength() >= 2, "the lineage around model 0 version 1");
        var verify = await Get("/api/v1/audit/verify");
        Check(verify.GetProperty("valid").GetBoolean(), "the audit chain");
        lines.Add(string.Create(CultureInfo.InvariantCulture,
            $"verified through the API: model, version, tag filter, MLflow run and runs/search, lineage graph, audit chain ({verify.GetProperty("checked").GetInt64():N0} entries) valid"));
        return lines;

        static void Check(bool ok, string what)
        {
            if (!ok)
            {
                throw new InvalidOperationException($"Verification failed: {what} is not what was seeded.");
            }
        }
    }

    private static async Task<string> SizeAsync(string database, CancellationToken cancellationToken)
    {
        if (!CairnDatabase.IsPostgres(database))
        {
            var bytes = SqliteFiles.Select(s => new FileInfo(database + s)).Where(f => f.Exists).Sum(f => f.Length);
            return string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:N0} MiB (SQLite file and WAL)");
        }
        await using var connection = new Npgsql.NpgsqlConnection(database);
        await connection.OpenAsync(cancellationToken);
        var size = await connection.ExecuteScalarAsync<long>("SELECT pg_database_size(current_database())");
        return string.Create(CultureInfo.InvariantCulture, $"{size / 1048576.0:N0} MiB (pg_database_size)");
    }

    /// <summary>Hash-chains entries as <see cref="AuditChain"/> does (the same canonical JSON array under SHA-256).</summary>
    private sealed class AuditWriter(long seq, string hash)
    {
        public long Seq { get; private set; } = seq;

        public string Hash { get; private set; } = hash;

        public void Append(ITableWriter log, long at, string actor, string action, string resource, object? before, object? after)
        {
            var seq = Seq + 1;
            var beforeJson = before is null ? null : JsonSerializer.Serialize(before, CairnJson.Options);
            var afterJson = after is null ? null : JsonSerializer.Serialize(after, CairnJson.Options);
            var canonical = JsonSerializer.SerializeToUtf8Bytes(new object?[] { seq, at, actor, action, resource, beforeJson, afterJson, Hash });
            var hash = Convert.ToHexStringLower(SHA256.HashData(canonical));
            log.Row(seq, at, actor, action, resource, beforeJson, afterJson, Hash, hash);
            Seq = seq;
            Hash = hash;
        }
    }
}
