using System.Globalization;
using Cairn.Catalog;
using Cairn.Governance;
using Cairn.Registry;
using Cairn.Search;
using Cairn.Tracking;
using Microsoft.AspNetCore.Mvc;

namespace Cairn.Server.Mlflow;

/// <summary>
/// MLflow's model registry endpoints (model_registry.proto) over Cairn's catalog and registry: a registered model is a
/// Cairn model whose MLflow name is its full name (<c>team.project.model</c>), so both APIs see the same models and versions.
/// </summary>
internal static class MlflowRegistryApi
{
    // MLflow's page sizes (SEARCH_REGISTERED_MODEL_MAX_RESULTS_* and SEARCH_MODEL_VERSION_MAX_RESULTS_*).
    private const int DefaultModelPage = 100;
    private const int MaxModelPage = 1000;
    private const int DefaultVersionPage = 10000;
    private const int MaxVersionPage = 200000;

    public static RouteGroupBuilder MapMlflowRegistry(this RouteGroupBuilder group)
    {
        var models = group.MapGroup("/registered-models");
        models.MapPost("/create", (HttpContext c, [AsParameters] Services s) => Handle(c, async m =>
        {
            var name = Required(m.Name, "name");
            var (ns, modelName) = NamespacePath.Split(name);
            var tags = Pairs(m.Tags);
            Model created;
            try
            {
                created = await s.Catalog.CreateAsync(c.Caller(), new CreateModelRequest(ns, modelName, m.Description, Tags: tags), c.RequestAborted);
            }
            catch (AlreadyExistsException)
            {
                var existing = await GetModelAsync(c, s, name);
                throw NameTaken(name, existing.Tags.ContainsKey(PromptTag), tags?.ContainsKey(PromptTag) ?? false);
            }
            return MlflowJson.Ok(new { registered_model = await RegisteredModelAsync(c, s, created) });
        }));
        models.MapGet("/get", (HttpContext c, [AsParameters] Services s) => Handle(c, async m =>
            MlflowJson.Ok(new { registered_model = await RegisteredModelAsync(c, s, await GetModelAsync(c, s, Required(m.Name, "name"))) })));
        models.MapPost("/rename", (HttpContext c, [AsParameters] Services s) => Handle(c, async m =>
        {
            var name = Required(m.Name, "name");
            var newName = Required(m.NewName, "new_name");
            Model renamed;
            try
            {
                renamed = await ModelCall(name, s.Catalog.RenameAsync(c.Caller(), name, newName, c.RequestAborted));
            }
            catch (AlreadyExistsException)
            {
                throw new AlreadyExistsException($"Registered Model (name={newName}) already exists.");
            }
            return MlflowJson.Ok(new { registered_model = await RegisteredModelAsync(c, s, renamed) });
        }));
        models.MapPatch("/update", (HttpContext c, [AsParameters] Services s) => Handle(c, async m =>
        {
            var name = Required(m.Name, "name");
            var updated = await ModelCall(name, s.Catalog.UpdateAsync(c.Caller(), name, new UpdateModelRequest(m.Description ?? ""), c.RequestAborted));
            return MlflowJson.Ok(new { registered_model = await RegisteredModelAsync(c, s, updated) });
        }));
        models.MapDelete("/delete", (HttpContext c, [AsParameters] Services s) => Handle(c, async m =>
        {
            var name = Required(m.Name, "name");
            await ModelCall(name, s.Catalog.DeleteAsync(c.Caller(), name, c.RequestAborted));
            return MlflowJson.Empty;
        }));
        models.MapMethods("/search", [HttpMethods.Get, HttpMethods.Post], (HttpContext c, [AsParameters] Services s) => Handle(c, async m =>
        {
            var page = await s.Catalog.SearchAsync(c.Caller(), new ModelQuery(
                m.Filter, null, OrderBy(m.OrderBy), MaxResults(m.MaxResults, DefaultModelPage, MaxModelPage), m.PageToken, FilterGrammar.Mlflow,
                WithoutPrompts(MlflowFilter.Parse(m.Filter), "tags")), c.RequestAborted);
            // One question for the whole page: the newest version per stage of every model on it.
            var latest = await s.Registry.LatestPerStageAsync(c.Caller(), page.Models.Select(model => model.FullName).ToList(), LatestVersionParts, c.RequestAborted);
            var found = page.Models.Select(model => RegisteredModelJson(model, latest[model.FullName])).ToList();
            return MlflowJson.Ok(new { registered_models = found, next_page_token = page.NextPageToken });
        }));
        models.MapMethods("/get-latest-versions", [HttpMethods.Get, HttpMethods.Post], (HttpContext c, [AsParameters] Services s) => Handle(c, async m =>
        {
            var name = Required(m.Name, "name");
            await GetModelAsync(c, s, name);
            var latest = (await s.Registry.LatestPerStageAsync(c.Caller(), [name], LatestVersionParts, c.RequestAborted))[name];
            var stages = (m.Stages ?? []).Select(stage => RegistryStage(stage).ToString()).ToHashSet(StringComparer.Ordinal);
            return MlflowJson.Ok(new { model_versions = latest.Where(v => stages.Count == 0 || stages.Contains(v.Stage.ToString())).Select(ModelVersionJson) });
        }));
        models.MapPost("/set-tag", (HttpContext c, [AsParameters] Services s) => Handle(c, async m =>
        {
            var name = Required(m.Name, "name");
            await ModelCall(name, s.Catalog.SetTagAsync(c.Caller(), name, Required(m.Key, "key"), m.Value ?? "", c.RequestAborted));
            return MlflowJson.Empty;
        }));
        models.MapDelete("/delete-tag", (HttpContext c, [AsParameters] Services s) => Handle(c, async m =>
        {
            var name = Required(m.Name, "name");
            var key = Required(m.Key, "key");
            // MLflow deletes a tag the model does not have without complaint; the model itself must exist.
            if ((await GetModelAsync(c, s, name)).Tags.ContainsKey(key))
            {
                await ModelCall(name, s.Catalog.DeleteTagAsync(c.Caller(), name, key, c.RequestAborted));
            }
            return MlflowJson.Empty;
        }));
        models.MapPost("/alias", (HttpContext c, [AsParameters] Services s) => Handle(c, async m =>
        {
            var (name, alias, version) = (Required(m.Name, "name"), Required(m.Alias, "alias"), Version(m.Version));
            await VersionCall(name, version, s.Aliases.SetAsync(c.Caller(), name, alias, version, c.RequestAborted));
            return MlflowJson.Empty;
        }));
        models.MapDelete("/alias", (HttpContext c, [AsParameters] Services s) => Handle(c, async m =>
        {
            var (name, alias) = (Required(m.Name, "name"), Required(m.Alias, "alias"));
            // As MLflow: the model must exist, an alias it does not have is deleted without complaint.
            if ((await GetModelAsync(c, s, name)).Aliases.ContainsKey(alias))
            {
                await s.Aliases.DeleteAsync(c.Caller(), name, alias, c.RequestAborted);
            }
            return MlflowJson.Empty;
        }));
        models.MapGet("/alias", (HttpContext c, [AsParameters] Services s) => Handle(c, async m =>
        {
            var name = Required(m.Name, "name");
            var alias = Required(m.Alias, "alias");
            AliasTarget target;
            try
            {
                target = await s.Aliases.GetAsync(c.Caller(), name, alias, c.RequestAborted);
            }
            catch (NotFoundException)
            {
                throw new NotFoundException($"Registered model alias {alias} not found.");
            }
            return MlflowJson.Ok(new { model_version = ModelVersionJson(await GetVersionAsync(c, s, name, target.Version)) });
        }));

        var versions = group.MapGroup("/model-versions");
        versions.MapPost("/create", (HttpContext c, [AsParameters] Services s) => Handle(c, async m =>
        {
            var name = Required(m.Name, "name");
            var source = Required(m.Source, "source");
            var runId = string.IsNullOrEmpty(m.RunId) ? null : m.RunId;
            // As behind MLflow's auth: a caller who may not write there learns nothing about the source first.
            c.Caller().Require(Role.Writer, NamespacePath.Split(name).Namespace);
            await MlflowModelSources.CheckAsync(source, runId,
                async id => (await s.Tracking.GetRunInfoAsync(c.Caller(), id, c.RequestAborted)).ArtifactUri);
            // As MLflow, run_id is not checked against the runs (it may name a run of another tracking server); the
            // version is linked under it in the lineage graph only when it is a run here that the caller may read. A runs:/
            // source of a run that exists and no run_id names the version's run, which then also links the two.
            if (runId is null && RunsUri(source) is { } fromRun && await FindRunAsync(c, s, fromRun.RunId) is not null)
            {
                runId = fromRun.RunId;
            }
            if (ModelsUri(source) is { } fromVersion)
            {
                // MLflow fetches where the copied version's files are when the copy is made; it must exist.
                await DownloadUriAsync(c, s, await GetVersionAsync(c, s, fromVersion.Name, fromVersion.Version));
            }
            // MLflow 3: a version made from a logged model (models:/m-… or model_id) is linked to it and takes its run.
            (var loggedModelId, runId) = await MlflowLoggedModelsApi.ResolveVersionSourceAsync(c, source, m.ModelId, runId);
            var created = await s.Registry.CreateAsync(c.Caller(), name, new CreateVersionRequest(
                Description: m.Description, Source: source, RunId: runId, Tags: Pairs(m.Tags), RunLink: m.RunLink, LoggedModelId: loggedModelId),
                RunReference.MayBeElsewhere, c.RequestAborted);
            return MlflowJson.Ok(new { model_version = ModelVersionJson(created) });
        }));
        versions.MapGet("/get", (HttpContext c, [AsParameters] Services s) => Handle(c, async m =>
            MlflowJson.Ok(new { model_version = ModelVersionJson(await GetVersionAsync(c, s, Required(m.Name, "name"), Version(m.Version))) })));
        versions.MapPatch("/update", (HttpContext c, [AsParameters] Services s) => Handle(c, async m =>
        {
            var (name, version) = (Required(m.Name, "name"), Version(m.Version));
            var updated = await VersionCall(name, version, s.Registry.UpdateAsync(c.Caller(), name, version, new UpdateVersionRequest(m.Description ?? ""), c.RequestAborted));
            return MlflowJson.Ok(new { model_version = ModelVersionJson(updated) });
        }));
        versions.MapDelete("/delete", (HttpContext c, [AsParameters] Services s) => Handle(c, async m =>
        {
            var (name, version) = (Required(m.Name, "name"), Version(m.Version));
            await VersionCall(name, version, s.Registry.DeleteAsync(c.Caller(), name, version, c.RequestAborted));
            return MlflowJson.Empty;
        }));
        versions.MapMethods("/search", [HttpMethods.Get, HttpMethods.Post], (HttpContext c, [AsParameters] Services s) => Handle(c, async m =>
        {
            var page = await s.Registry.SearchAsync(c.Caller(), null, new VersionQuery(
                m.Filter, VersionOrder(m.OrderBy), MaxResults(m.MaxResults, DefaultVersionPage, MaxVersionPage), m.PageToken, FilterGrammar.Mlflow,
                WithoutPrompts(MlflowFilter.Parse(m.Filter), ModelRegistry.ModelVersionTagsPrefix), VersionParts.Tags | VersionParts.Aliases), c.RequestAborted);
            return MlflowJson.Ok(new { model_versions = page.Versions.Select(ModelVersionJson), next_page_token = page.NextPageToken });
        }));
        versions.MapPost("/set-tag", (HttpContext c, [AsParameters] Services s) => Handle(c, async m =>
        {
            var (name, version) = (Required(m.Name, "name"), Version(m.Version));
            await VersionCall(name, version, s.Registry.SetTagAsync(c.Caller(), name, version, Required(m.Key, "key"), m.Value ?? "", c.RequestAborted));
            return MlflowJson.Empty;
        }));
        versions.MapDelete("/delete-tag", (HttpContext c, [AsParameters] Services s) => Handle(c, async m =>
        {
            var (name, version) = (Required(m.Name, "name"), Version(m.Version));
            var key = Required(m.Key, "key");
            // As for models: deleting a tag the version does not have is no error, a missing version is.
            if ((await GetVersionAsync(c, s, name, version)).Tags.ContainsKey(key))
            {
                await VersionCall(name, version, s.Registry.DeleteTagAsync(c.Caller(), name, version, key, c.RequestAborted));
            }
            return MlflowJson.Empty;
        }));
        versions.MapPost("/transition-stage", (HttpContext c, [AsParameters] Services s) => Handle(c, async m =>
        {
            var (name, version) = (Required(m.Name, "name"), Version(m.Version));
            var moved = await VersionCall(name, version, s.Registry.TransitionAsync(c.Caller(), name, version,
                new StageChange(RegistryStage(Required(m.Stage, "stage")).ToString(), m.ArchiveExistingVersions ?? false), c.RequestAborted));
            return MlflowJson.Ok(new { model_version = ModelVersionJson(moved) });
        }));
        versions.MapGet("/get-download-uri", (HttpContext c, [AsParameters] Services s) => Handle(c, async m =>
        {
            var version = await GetVersionAsync(c, s, Required(m.Name, "name"), Version(m.Version));
            return MlflowJson.Ok(new { artifact_uri = await DownloadUriAsync(c, s, version) });
        }));
        return group;
    }

    /// <summary>The services the registry endpoints use, resolved together.</summary>
    // [FromServices] spelled out: the compile-time request delegates cannot ask the container, and would take the record for a body.
    internal sealed record Services([FromServices] ModelCatalog Catalog, [FromServices] ModelRegistry Registry, [FromServices] ModelAliases Aliases, [FromServices] TrackingStore Tracking);

    private static async Task<IResult> Handle(HttpContext context, Func<RegistryMessage, Task<IResult>> handler) =>
        await handler(await MlflowJson.ReadAsync<RegistryMessage>(context));

    /// <summary>
    /// Where a version's files are: for a copy (a models:/name/version source) where the copied version's are; under
    /// its run's artifact URI for a runs:/ source whose run exists; else the source itself, as MLflow answers.
    /// </summary>
    internal static async Task<string?> DownloadUriAsync(HttpContext context, Services services, ModelVersion version, int depth = 0)
    {
        if (version.Source is null)
        {
            return null;
        }
        if (await MlflowLoggedModelsApi.DownloadUriOfSourceAsync(context, version.Source) is { } modelLocation)
        {
            return modelLocation;
        }
        if (ModelsUri(version.Source) is { } fromVersion && depth < MaxCopyDepth)
        {
            try
            {
                return await DownloadUriAsync(context, services,
                    await services.Registry.GetAsync(context.Caller(), fromVersion.Name, fromVersion.Version, context.RequestAborted), depth + 1);
            }
            catch (NotFoundException)
            {
                return version.Source;
            }
        }
        if (RunsUri(version.Source) is not { } fromRun || await FindRunAsync(context, services, fromRun.RunId) is not { } run)
        {
            return version.Source;
        }
        return fromRun.Path.Length == 0 ? run.ArtifactUri : $"{run.ArtifactUri}/{fromRun.Path}";
    }

    /// <summary>How many copies of copies a download URI follows back to the first version.</summary>
    private const int MaxCopyDepth = 16;

    private static async Task<RunInfo?> FindRunAsync(HttpContext context, Services services, string runId)
    {
        try
        {
            return await services.Tracking.GetRunInfoAsync(context.Caller(), runId, context.RequestAborted);
        }
        catch (NotFoundException)
        {
            return null;
        }
    }

    /// <summary><c>models:/&lt;name&gt;/&lt;version&gt;</c> (a registered model's version), or null for any other URI.</summary>
    private static (string Name, int Version)? ModelsUri(string source)
    {
        if (!source.StartsWith("models:/", StringComparison.Ordinal))
        {
            return null;
        }
        var rest = source["models:/".Length..].Trim('/');
        var slash = rest.LastIndexOf('/');
        return slash > 0 && int.TryParse(rest[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            ? (rest[..slash], version)
            : null;
    }

    private const string PromptTag = "mlflow.prompt.is_prompt";

    /// <summary>MLflow 3's words for a name in use, which tell a prompt from a model (registry_utils.handle_resource_already_exist_error).</summary>
    private static AlreadyExistsException NameTaken(string name, bool existingIsPrompt, bool newIsPrompt)
    {
        var (existing, created) = (existingIsPrompt ? "Prompt" : "Registered Model", newIsPrompt ? "Prompt" : "Registered Model");
        return existing == created
            ? new AlreadyExistsException($"{created} (name={name}) already exists.")
            : new AlreadyExistsException($"Tried to create a {created.ToLowerInvariant()} with name '{name}', but the name is already taken by a "
                + $"{existing.ToLowerInvariant()}. MLflow does not allow creating a model and a prompt with the same name.");
    }

    /// <summary>
    /// MLflow 3 leaves prompts (models tagged <c>mlflow.prompt.is_prompt = 'true'</c>) out of every search unless the
    /// filter asks for them (its first condition on that tag is <c>= 'true'</c> or <c>!= 'false'</c>); otherwise its
    /// conditions on that tag are dropped, so that <c>!= 'true'</c>, which MLflow 3 clients always send, matches the
    /// models that lack the tag. <paramref name="prefix"/> is the collection whose tag marks a prompt.
    /// </summary>
    private static FilterExpression WithoutPrompts(FilterExpression? filter, string prefix)
    {
        var conditions = filter switch
        {
            null => [],
            AndExpression all => all.Operands.ToList(),
            var one => [one],
        };
        static bool OnPromptTag(FilterExpression e) =>
            e is ComparisonExpression { Operand: { Name: "tags", Key: PromptTag } };
        if (conditions.FirstOrDefault(OnPromptTag) is ComparisonExpression { Values: [var value] } first
            && (first.Operator, value.Value.ToLowerInvariant()) is (ComparisonOperator.Equal, "true") or (ComparisonOperator.NotEqual, "false"))
        {
            return filter!;
        }
        var isPrompt = new ComparisonExpression(new FilterOperand(0, prefix, PromptTag), ComparisonOperator.Equal, 0,
            [new FilterLiteral(0, FilterLiteralKind.String, "true")]);
        var kept = conditions.Where(e => !OnPromptTag(e)).Append(new NotExpression(0, isPrompt)).ToList();
        return kept.Count == 1 ? kept[0] : new AndExpression(kept);
    }

    /// <summary><c>runs:/&lt;run_id&gt;/&lt;path&gt;</c> split into its run and path, or null for any other URI.</summary>
    private static (string RunId, string Path)? RunsUri(string source)
    {
        if (!source.StartsWith("runs:/", StringComparison.Ordinal))
        {
            return null;
        }
        var rest = source["runs:/".Length..].TrimStart('/');
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var (runId, path) = slash < 0 ? (rest, "") : (rest[..slash], rest[(slash + 1)..].Trim('/'));
        return runId.Length == 0 ? throw new InvalidParameterException($"Invalid source '{source}': expected runs:/<run_id>/<path>.") : (runId, path);
    }

    private static Task<Model> GetModelAsync(HttpContext context, Services services, string name) =>
        ModelCall(name, services.Catalog.GetAsync(context.Caller(), name, context.RequestAborted));

    internal static Task<ModelVersion> GetVersionAsync(HttpContext context, Services services, string name, int version) =>
        VersionCall(name, version, services.Registry.GetAsync(context.Caller(), name, version, context.RequestAborted));

    /// <summary>A call on one registered model; its model missing is reported in MLflow's words.</summary>
    private static async Task<T> ModelCall<T>(string name, Task<T> call)
    {
        try
        {
            return await call;
        }
        catch (NotFoundException)
        {
            throw new NotFoundException($"Registered Model with name={name} not found");
        }
    }

    private static async Task ModelCall(string name, Task call) => await ModelCall(name, WithResult(call));

    /// <summary>A call on one model version: a missing model or version is, as in MLflow, a missing model version.</summary>
    private static async Task<T> VersionCall<T>(string name, int version, Task<T> call)
    {
        try
        {
            return await call;
        }
        catch (NotFoundException)
        {
            throw new NotFoundException(string.Create(CultureInfo.InvariantCulture, $"Model Version (name={name}, version={version}) not found"));
        }
    }

    private static async Task VersionCall(string name, int version, Task call) => await VersionCall(name, version, WithResult(call));

    private static async Task<bool> WithResult(Task call)
    {
        await call;
        return true;
    }

    /// <summary>MLflow's bounds on max_results: above the cap is refused, not clamped.</summary>
    private static int MaxResults(int? requested, int defaultSize, int maxSize) => requested switch
    {
        null => defaultSize,
        > 0 when requested <= maxSize => requested.Value,
        > 0 => throw new InvalidParameterException(string.Create(CultureInfo.InvariantCulture,
            $"Invalid value for request parameter max_results. It must be at most {maxSize}, but got value {requested}")),
        _ => throw new InvalidParameterException(string.Create(CultureInfo.InvariantCulture,
            $"Invalid value for request parameter max_results. It must be a positive integer, but got value {requested}")),
    };

    private static async Task<object> RegisteredModelAsync(HttpContext context, Services services, Model model) =>
        RegisteredModelJson(model, (await services.Registry.LatestPerStageAsync(context.Caller(), [model.FullName], LatestVersionParts, context.RequestAborted))[model.FullName]);

    /// <summary>
    /// What a registered model's latest_versions carry: tags and aliases (MLflow's versions have no metrics or params).
    /// MLflow's SQL store leaves their aliases empty (SqlModelVersion.to_mlflow_entity); Cairn has always given them, and
    /// its contract tests hold it to that.
    /// </summary>
    private const VersionParts LatestVersionParts = VersionParts.Tags | VersionParts.Aliases;

    private static object RegisteredModelJson(Model model, IReadOnlyList<ModelVersion> latestVersions) => new
    {
        name = model.FullName,
        creation_timestamp = model.CreatedAt.ToUnixTimeMilliseconds(),
        last_updated_timestamp = model.UpdatedAt.ToUnixTimeMilliseconds(),
        user_id = model.CreatedBy,
        description = model.Description ?? "",
        latest_versions = latestVersions.Select(ModelVersionJson),
        tags = model.Tags.Select(t => new { key = t.Key, value = t.Value }),
        aliases = model.Aliases.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => new { alias = a.Key, version = a.Value.ToString(CultureInfo.InvariantCulture) }),
    };

    private static object ModelVersionJson(ModelVersion version) => new
    {
        name = version.Model,
        version = version.Version.ToString(CultureInfo.InvariantCulture),
        creation_timestamp = version.CreatedAt.ToUnixTimeMilliseconds(),
        last_updated_timestamp = version.UpdatedAt.ToUnixTimeMilliseconds(),
        user_id = version.CreatedBy,
        current_stage = version.Stage.ToString(),
        description = version.Description ?? "",
        source = version.Source,
        run_id = version.RunId,
        status = version.Status,
        tags = version.Tags.Select(t => new { key = t.Key, value = t.Value }),
        run_link = version.RunLink,
        aliases = version.Aliases,
        model_id = version.LoggedModelId,
    };

    private static Stage RegistryStage(string stage) => ModelRegistry.ParseStage(stage);

    internal static int Version(string? version) =>
        int.TryParse(Required(version, "version"), NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            ? number
            : throw new InvalidParameterException($"Parameter 'version' must be an integer, got '{version}'.");

    /// <summary>
    /// MLflow's order of model versions: newest change first by default, and name ASC then version DESC after whatever
    /// the caller gives, unless the caller orders on them.
    /// </summary>
    private static string VersionOrder(List<string>? orderBy)
    {
        if (orderBy is not { Count: > 0 })
        {
            return "last_updated_timestamp DESC, name ASC, version_number DESC";
        }
        var keys = orderBy.Select(term => term.Trim().Split(' ', 2)[0]).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return string.Join(", ", orderBy.Concat(
            new[] { ("name", "name ASC"), ("version_number", "version_number DESC") }.Where(t => !keys.Contains(t.Item1)).Select(t => t.Item2)));
    }

    private static string? OrderBy(List<string>? orderBy) => orderBy is { Count: > 0 } ? string.Join(", ", orderBy) : null;

    /// <summary>Tags as a map: each needs a key, and a key given twice is refused (MLflow's store fails on its primary key).</summary>
    private static Dictionary<string, string>? Pairs(List<KeyValue>? pairs)
    {
        if (pairs is null)
        {
            return null;
        }
        foreach (var pair in pairs)
        {
            Required(pair?.Key, "key");
        }
        TrackingLimits.CheckUniqueTags(pairs);
        return pairs.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
    }

    internal static string Required(string? value, string parameter) =>
        string.IsNullOrEmpty(value) ? throw TrackingLimits.Missing(parameter) : value;

    /// <summary>The fields of every registry request message; each endpoint reads the ones its message has.</summary>
    internal sealed class RegistryMessage
    {
        public string? Name { get; set; }
        public string? NewName { get; set; }
        public string? Description { get; set; }
        public List<KeyValue>? Tags { get; set; }
        public string? Key { get; set; }
        public string? Value { get; set; }
        public string? Alias { get; set; }
        [System.Text.Json.Serialization.JsonConverter(typeof(MlflowJson.NumberOrStringConverter))]
        public string? Version { get; set; }
        public string? Source { get; set; }
        public string? RunId { get; set; }
        public string? RunLink { get; set; }
        public string? ModelId { get; set; }
        public string? Stage { get; set; }
        public List<string>? Stages { get; set; }
        public bool? ArchiveExistingVersions { get; set; }
        public string? Comment { get; set; }
        public string? Creator { get; set; }
        public string? Filter { get; set; }
        public List<string>? OrderBy { get; set; }
        public int? MaxResults { get; set; }
        public string? PageToken { get; set; }
    }
}
