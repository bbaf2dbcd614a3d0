using System.Data.Common;
using System.Text.Json;
using Cairn.Catalog;
using Cairn.Governance;
using Cairn.Monitoring.Drift;
using Cairn.Monitoring.Profiling;
using Cairn.Storage;
using Dapper;

namespace Cairn.Monitoring;

/// <summary>
/// Windows of serving data per deployment and version, their drift against the version's reference, and the reads over
/// them. Reporting a window (writer on the model's namespace) checks everything and does the heavy work first — profiling
/// raw rows in one streaming pass, comparing with the reference under the model's drift settings — and only then takes
/// the write lock, for one transaction that stores the window, one drift row per feature, and the audit entry with its
/// event (<c>monitoring.window.report</c> → <c>monitoring.window_reported</c>, naming deployment, model, version, window,
/// verdict and drifted features). Reads need reader on the model's namespace.
/// </summary>
public sealed class MonitoringWindows(CairnDatabase database, AuditChain audit, TimeProvider clock, LimitsOptions? limits = null)
{
    private const int DefaultPageSize = 100;
    private const int MaxPageSize = 1000;
    private readonly LimitsOptions _limits = limits ?? new LimitsOptions();

    private static readonly (string, string)[] DriftColumns =
        [("feature", "text"), ("kind", "text"), ("method", "text"), ("score", "text"), ("statistic", "text"), ("threshold", "text"), ("drifted", "bigint"), ("psi", "text")];

    private sealed record DriftRow(string Feature, string Kind, string Method, string? Score, string? Statistic, string Threshold, long Drifted, string? Psi);

    private sealed record WindowRow
    {
        public string Id { get; init; } = "";
        public string DeploymentId { get; init; } = "";
        public string Model { get; init; } = "";
        public long Version { get; init; }
        public long StartsAt { get; init; }
        public long EndsAt { get; init; }
        public long Rows { get; init; }
        public string Source { get; init; } = "";
        public string? Profile { get; init; }
        public string? Drift { get; init; }
        public long? Drifted { get; init; }
        public double? DriftShare { get; init; }
        public long ReportedAt { get; init; }
        public string ReportedBy { get; init; } = "";
    }

    private sealed record FeatureRow
    {
        public string WindowId { get; init; } = "";
        public string DeploymentId { get; init; } = "";
        public string Model { get; init; } = "";
        public long Version { get; init; }
        public long StartsAt { get; init; }
        public long EndsAt { get; init; }
        public string Feature { get; init; } = "";
        public string Kind { get; init; } = "";
        public string Method { get; init; } = "";
        public double? Score { get; init; }
        public double? Statistic { get; init; }
        public double Threshold { get; init; }
        public long Drifted { get; init; }
        public double? Psi { get; init; }
    }

    /// <summary>Reports a window whose profile the serving side computed (JSON).</summary>
    public async Task<MonitoringWindow> ReportAsync(Caller caller, string deploymentId, WindowRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var deployment = await MonitoredDeployments.GetAsync(database, caller, Role.Writer, deploymentId, cancellationToken);
        var (version, starts, ends) = Checked(deployment, request.Version, request.StartsAt, request.EndsAt);
        var profile = ReportedProfiles.Check(request.Profile, "profile", _limits);
        return await StoreAsync(caller, deployment, version, starts, ends, "profile", profile, cancellationToken);
    }

    /// <summary>
    /// Reports a window of raw rows (<paramref name="format"/> <c>csv</c> or <c>parquet</c>), profiled here while the body
    /// streams in: memory stays bounded by the profiler's per-column limits, whatever the number of rows.
    /// </summary>
    public async Task<MonitoringWindow> ReportRowsAsync(
        Caller caller, string deploymentId, int? version, DateTimeOffset? startsAt, DateTimeOffset? endsAt, Stream rows, string format, ProfileOptions options,
        CancellationToken cancellationToken)
    {
        var deployment = await MonitoredDeployments.GetAsync(database, caller, Role.Writer, deploymentId, cancellationToken);
        var (number, starts, ends) = Checked(deployment, version, startsAt, endsAt);
        var profile = await RowFormats.ProfileAsync(rows, format, options, cancellationToken);
        return await StoreAsync(caller, deployment, number, starts, ends, format, profile, cancellationToken);
    }

    private static (int Version, long Starts, long Ends) Checked(MonitoredDeployment deployment, int? version, DateTimeOffset? startsAt, DateTimeOffset? endsAt)
    {
        var number = version ?? throw new InvalidParameterException("'version' is required: the version that served the window.");
        deployment.VersionId(number, "version");
        var starts = startsAt ?? throw new InvalidParameterException("'starts_at' is required: when the window starts (ISO 8601).");
        var ends = endsAt ?? throw new InvalidParameterException("'ends_at' is required: when the window ends (ISO 8601).");
        return ends > starts
            ? (number, starts.ToUnixTimeMilliseconds(), ends.ToUnixTimeMilliseconds())
            : throw new InvalidParameterException("'ends_at' must be after 'starts_at'.");
    }

    private async Task<MonitoringWindow> StoreAsync(
        Caller caller, MonitoredDeployment deployment, int version, long starts, long ends, string source, DatasetProfile profile, CancellationToken cancellationToken)
    {
        var versionId = deployment.Served[version];
        // The comparison is the heavy part: done before the write lock, against the reference and settings as they are
        // now, and only redone inside should the reference change in between.
        var (reference, settings) = await database.ReadAsync(async connection =>
            (await ReferenceProfiles.ProfileAsync(connection, null, versionId, cancellationToken),
             await DriftSettingsStore.ForModelAsync(connection, null, deployment.ModelId, cancellationToken)), cancellationToken);
        var drift = reference is { } r ? DriftCalculator.Compare(r.Profile, profile, settings) : null;
        var profileJson = StoredProfiles.Serialize(profile);
        var id = Guid.CreateVersion7().ToString("N");
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        return await database.WriteAsync(async (connection, transaction) =>
        {
            deployment = await MonitoredDeployments.GetAsync(connection, transaction, deployment.Id, cancellationToken);
            deployment.VersionId(version, "version");
            var current = await ReferenceProfiles.ProfileAsync(connection, transaction, versionId, cancellationToken);
            if (current?.CreatedAt != reference?.CreatedAt)
            {
                reference = current;
                settings = await DriftSettingsStore.ForModelAsync(connection, transaction, deployment.ModelId, cancellationToken);
                drift = reference is { } changed ? DriftCalculator.Compare(changed.Profile, profile, settings) : null;
            }
            var row = new WindowRow
            {
                Id = id,
                DeploymentId = deployment.Id,
                Model = deployment.Model,
                Version = version,
                StartsAt = starts,
                EndsAt = ends,
                Rows = profile.Rows,
                Source = source,
                Profile = profileJson,
                Drift = drift is null ? null : JsonSerializer.Serialize(drift, CairnJson.Options),
                Drifted = drift is null ? null : drift.Drifted ? 1 : 0,
                DriftShare = drift?.DriftedShare,
                ReportedAt = now,
                ReportedBy = caller.Name,
            };
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO monitoring_windows (id, deployment_id, model_id, model, version_id, version, starts_at, ends_at, rows, source, profile, drift, drifted, drift_share, reported_at, reported_by)
                VALUES (@Id, @DeploymentId, @modelId, @Model, @versionId, @Version, @StartsAt, @EndsAt, @Rows, @Source, @Profile, @Drift, @Drifted, @DriftShare, @ReportedAt, @ReportedBy)
                """,
                new
                {
                    row.Id,
                    row.DeploymentId,
                    modelId = deployment.ModelId,
                    row.Model,
                    versionId,
                    row.Version,
                    row.StartsAt,
                    row.EndsAt,
                    row.Rows,
                    row.Source,
                    row.Profile,
                    row.Drift,
                    row.Drifted,
                    row.DriftShare,
                    row.ReportedAt,
                    row.ReportedBy,
                }, transaction, cancellationToken: cancellationToken));
            if (drift is not null)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    $"""
                    INSERT INTO monitoring_feature_drift (window_id, feature, kind, method, score, statistic, threshold, drifted, psi)
                    SELECT @id, r.feature, r.kind, r.method, CAST(r.score AS {Real}), CAST(r.statistic AS {Real}), CAST(r.threshold AS {Real}), r.drifted, CAST(r.psi AS {Real})
                    FROM {database.Dialect.JsonRows("@rows", DriftColumns)}
                    """, new { id, rows = JsonSerializer.Serialize(drift.Features.Select(ToRow), CairnJson.Options) }, transaction, cancellationToken: cancellationToken));
            }
            var window = ToWindow(row, withProfile: true);
            await audit.AppendAsync(transaction, caller.Name, "monitoring.window.report", deployment.Resource($"windows/{id}"), null, new
            {
                id,
                deployment = deployment.Id,
                model = deployment.Model,
                version,
                starts_at = window.StartsAt,
                ends_at = window.EndsAt,
                rows = profile.Rows,
                source,
                has_reference = drift is not null,
                drifted = drift?.Drifted,
                drift_share = drift?.DriftedShare,
                drifted_features = drift?.Features.Where(f => f.Drifted).Select(f => f.Feature).ToList() ?? [],
            }, cancellationToken);
            // Alert rules evaluate in this transaction, after the window's own event: an alert commits with its window or not at all.
            await new Alerts.AlertEvaluator(database, audit, clock).EvaluateWindowAsync(transaction, caller.Name, id, cancellationToken);
            CairnDatabase.AfterCommit(transaction, () => CairnTelemetry.WindowsIngested.Add(
                1, new KeyValuePair<string, object?>("source", source), new KeyValuePair<string, object?>("drifted", drift is null ? "unknown" : drift.Drifted ? "true" : "false")));
            return window;
        }, cancellationToken);
    }

    private string Real => database.Dialect.Name == "postgres" ? "DOUBLE PRECISION" : "REAL";

    private static string? Number(double? value) => value is { } v && double.IsFinite(v) ? v.ToString("R", System.Globalization.CultureInfo.InvariantCulture) : null;

    private static DriftRow ToRow(FeatureDrift f) => new(
        f.Feature, f.Kind.ToString().ToLowerInvariant(), f.Method, Number(f.Score), Number(f.Statistic), Number(f.Threshold) ?? "0", f.Drifted ? 1 : 0, Number(f.Psi));

    /// <summary>One window with its profile and drift (reader on its model's namespace).</summary>
    public async Task<MonitoringWindow> GetAsync(Caller caller, string id, CancellationToken cancellationToken)
    {
        var row = await database.ReadAsync(connection => connection.QuerySingleOrDefaultAsync<WindowRow>(new CommandDefinition(
            """
            SELECT id, deployment_id, model, version, starts_at, ends_at, rows, source, profile, drift, drifted, drift_share, reported_at, reported_by
            FROM monitoring_windows WHERE id = @id
            """, new { id }, cancellationToken: cancellationToken)), cancellationToken)
            ?? throw new NotFoundException($"Monitoring window '{id}' does not exist.");
        caller.Require(Role.Reader, NamespacePath.Split(row.Model).Namespace);
        return ToWindow(row, withProfile: true);
    }

    /// <summary>
    /// Per-window, per-feature drift rows of one deployment or one model (optionally one version and one feature), windows
    /// starting in [from, to), oldest first: one query per page.
    /// </summary>
    public async Task<WindowDriftPage> DriftAsync(Caller caller, WindowDriftQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var parameters = new DynamicParameters();
        var where = new List<string>();
        if (query.Deployment is not null)
        {
            var deployment = await MonitoredDeployments.GetAsync(database, caller, Role.Reader, query.Deployment, cancellationToken, deleted: true);
            where.Add("w.deployment_id = @deployment");
            parameters.Add("deployment", deployment.Id);
        }
        if (query.Model is not null)
        {
            caller.Require(Role.Reader, NamespacePath.Split(query.Model).Namespace);
            where.Add("w.model = @model");
            parameters.Add("model", query.Model);
        }
        if (where.Count == 0)
        {
            throw new InvalidParameterException("'deployment' or 'model' is required: whose windows to read.");
        }
        if (query.Version is { } version)
        {
            where.Add("w.version = @version");
            parameters.Add("version", (long)version);
        }
        if (query.Feature is not null)
        {
            where.Add("f.feature = @feature");
            parameters.Add("feature", query.Feature);
        }
        AddRange(query.From, query.To, where, parameters);
        var page = OffsetPage.Start(Paging.PageSize(query.MaxResults, DefaultPageSize, MaxPageSize), query.PageToken,
            $"monitoring-drift\n{query.Deployment}\n{query.Model}\n{query.Version}\n{query.Feature}\n{query.From:O}\n{query.To:O}\n{query.NewestFirst}");
        var order = query.NewestFirst ? "w.starts_at DESC, w.id DESC" : "w.starts_at, w.id";
        page.AddTo(parameters);
        var (rows, next) = page.Cut(await database.ReadAsync(async connection => (await connection.QueryAsync<FeatureRow>(new CommandDefinition(
            $"""
            SELECT w.id AS window_id, w.deployment_id, w.model, w.version, w.starts_at, w.ends_at,
                   f.feature, f.kind, f.method, f.score, f.statistic, f.threshold, f.drifted, f.psi
            FROM monitoring_feature_drift f JOIN monitoring_windows w ON w.id = f.window_id
            WHERE {string.Join(" AND ", where)}
            ORDER BY {order}, f.feature
            """ + OffsetPage.Sql, parameters, cancellationToken: cancellationToken))).AsList(), cancellationToken));
        return new WindowDriftPage(rows.Select(r => new WindowFeatureDrift(
            r.WindowId, r.DeploymentId, r.Model, (int)r.Version, Time(r.StartsAt), Time(r.EndsAt), r.Feature,
            Enum.Parse<FeatureKind>(r.Kind, ignoreCase: true), r.Method, r.Score, r.Statistic, r.Threshold, r.Drifted != 0, r.Psi,
            r.Psi is { } psi ? DriftCalculator.PsiBand(psi) : null)).ToList(), next);
    }

    /// <summary>
    /// Per live deployment the caller may read, its newest window with a drift verdict (see
    /// <see cref="DeploymentDriftVerdict"/>), most recent first, at most <paramref name="maxResults"/>: one query.
    /// </summary>
    public async Task<IReadOnlyList<DeploymentDriftVerdict>> LatestVerdictsAsync(Caller caller, int maxResults, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var parameters = new Dictionary<string, object?> { ["limit"] = (long)Math.Clamp(maxResults, 1, MaxPageSize) };
        var scope = ModelCatalog.NamespaceScope(caller, "d.namespace", parameters);
        // The newest verdict per deployment through its (deployment_id, starts_at) index, one probe per deployment.
        var rows = await database.ReadAsync(c => c.QueryAsync<VerdictRow>(new CommandDefinition(
            $"""
            SELECT d.id AS deployment_id, d.environment, d.name, d.model, w.id AS window_id, w.version, w.starts_at, w.ends_at, w.drifted, w.drift_share,
                   (SELECT COUNT(*) FROM monitoring_feature_drift f WHERE f.window_id = w.id AND f.drifted = 1) AS drifted_features,
                   (SELECT COUNT(*) FROM monitoring_feature_drift f WHERE f.window_id = w.id) AS features
            FROM deployments d
            JOIN monitoring_windows w ON w.id = (
                SELECT n.id FROM monitoring_windows n WHERE n.deployment_id = d.id AND n.drifted IS NOT NULL
                ORDER BY n.starts_at DESC, n.id DESC LIMIT 1)
            WHERE d.deleted_at IS NULL{(scope is null ? "" : " AND " + scope)}
            ORDER BY w.starts_at DESC, d.id
            LIMIT @limit
            """, new DynamicParameters(parameters), cancellationToken: cancellationToken)), cancellationToken);
        return [.. rows.Select(r => new DeploymentDriftVerdict(r.DeploymentId, r.Environment, r.Name, r.Model, (int)r.Version, r.WindowId,
            Time(r.StartsAt), Time(r.EndsAt), r.Drifted != 0, r.DriftShare ?? 0, (int)r.DriftedFeatures, (int)r.Features))];
    }

    private sealed record VerdictRow
    {
        public string DeploymentId { get; init; } = "";
        public string Environment { get; init; } = "";
        public string Name { get; init; } = "";
        public string Model { get; init; } = "";
        public string WindowId { get; init; } = "";
        public long Version { get; init; }
        public long StartsAt { get; init; }
        public long EndsAt { get; init; }
        public long Drifted { get; init; }
        public double? DriftShare { get; init; }
        public long DriftedFeatures { get; init; }
        public long Features { get; init; }
    }

    /// <summary>
    /// The drift of the deployment's windows of one version starting in [from, to), their profiles merged, against the
    /// version's reference now, under the model's settings or the request's method and threshold for every feature.
    /// </summary>
    public async Task<DriftReport> ReportDriftAsync(Caller caller, DriftReportQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var deployment = await MonitoredDeployments.GetAsync(database, caller, Role.Reader, query.Deployment, cancellationToken, deleted: true);
        var version = query.Version ?? (deployment.Served.Count == 1 ? deployment.Served.Keys.First()
            : throw new InvalidParameterException($"'version' is required: deployment '{deployment.Id}' served versions {string.Join(", ", deployment.Served.Keys.Order())}."));
        var versionId = deployment.VersionId(version, "version");
        if (query.Method is not null || query.Threshold is not null)
        {
            DriftSettingsValidator.Validate(new DriftSettings(new FeatureDriftSettings(query.Method, query.Threshold)));
        }
        var where = new List<string> { "deployment_id = @deployment", "version_id = @versionId" };
        var parameters = new DynamicParameters(new { deployment = deployment.Id, versionId });
        AddRange(query.From, query.To, where, parameters, prefix: "");
        var (reference, settings, profiles) = await database.ReadAsync(async connection =>
        {
            var reference = await ReferenceProfiles.ProfileAsync(connection, null, versionId, cancellationToken);
            var settings = await DriftSettingsStore.ForModelAsync(connection, null, deployment.ModelId, cancellationToken);
            var profiles = (await connection.QueryAsync<string>(new CommandDefinition(
                $"SELECT profile FROM monitoring_windows WHERE {string.Join(" AND ", where)} ORDER BY starts_at, id",
                parameters, cancellationToken: cancellationToken))).AsList();
            return (reference, settings, profiles);
        }, cancellationToken);
        if (reference is null)
        {
            throw new InvalidParameterException($"Version {version} of '{deployment.Model}' has no reference profile to compare with; set one first.");
        }
        if (profiles.Count == 0)
        {
            throw new NotFoundException($"Deployment '{deployment.Id}' reported no window of version {version} in the range.");
        }
        var merged = FeatureProfiler.Merge(profiles.Select(p => StoredProfiles.Deserialize(p)));
        if (query.Method is not null || query.Threshold is not null)
        {
            settings = settings with { Default = new FeatureDriftSettings(query.Method, query.Threshold), Features = null };
        }
        return new DriftReport(deployment.Id, deployment.Model, version, query.From, query.To, profiles.Count, merged.Rows, settings,
            DriftCalculator.Compare(reference.Value.Profile, merged, settings));
    }

    private static void AddRange(DateTimeOffset? from, DateTimeOffset? to, List<string> where, DynamicParameters parameters, string prefix = "w.")
    {
        if (from >= to)
        {
            throw new InvalidParameterException("'from' must be before 'to'.");
        }
        if (from is { } f)
        {
            where.Add($"{prefix}starts_at >= @from");
            parameters.Add("from", f.ToUnixTimeMilliseconds());
        }
        if (to is { } t)
        {
            where.Add($"{prefix}starts_at < @to");
            parameters.Add("to", t.ToUnixTimeMilliseconds());
        }
    }

    private static MonitoringWindow ToWindow(WindowRow row, bool withProfile) => new(
        row.Id, row.DeploymentId, row.Model, (int)row.Version, Time(row.StartsAt), Time(row.EndsAt), row.Rows, row.Source,
        withProfile && row.Profile is not null ? StoredProfiles.Deserialize(row.Profile) : null,
        row.Drift is null ? null : JsonSerializer.Deserialize<DatasetDrift>(row.Drift, CairnJson.Options),
        row.Drifted is null ? null : row.Drifted != 0, row.DriftShare, Time(row.ReportedAt), row.ReportedBy);

    private static DateTimeOffset Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);
}
