using Cairn.Artifacts;
using Cairn.Catalog;
using Cairn.Governance;
using Cairn.Registry;
using Cairn.Storage;
using Dapper;

namespace Cairn;

/// <summary>A model version opened for reading: its metadata, its files, and its main file's bytes.</summary>
public sealed class LoadedModel(ModelVersion version, IReadOnlyList<VersionFile> files, Stream? content, Func<string, CancellationToken, Task<Stream>> open) : IAsyncDisposable, IDisposable
{
    public ModelVersion Version { get; } = version;

    public IReadOnlyList<VersionFile> Files { get; } = files;

    /// <summary>The bytes of the version's first file (null when it has none); see <see cref="OpenFileAsync"/> for others.</summary>
    public Stream? Content { get; } = content;

    public Task<Stream> OpenFileAsync(string path, CancellationToken cancellationToken = default) => open(path, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (Content is not null)
        {
            await Content.DisposeAsync();
        }
    }

    public void Dispose() => Content?.Dispose();
}

/// <summary>Counts over the whole registry.</summary>
public sealed record RegistryStatistics(long Models, long Versions, long Files, long BytesStored, IReadOnlyDictionary<string, long> VersionsPerStage);

/// <summary>
/// Cairn embedded in a .NET process, without a server: the same store, migrations, audit chain and file layout
/// as <c>cairn serve</c>, so a data directory written here is served unchanged (and the other way round).
/// Every call acts as <see cref="User"/> with the admin role and is audited under that name.
/// </summary>
/// <example>
/// <code>
/// using var registry = CairnRegistry.Open("local", "./.cairn");
/// var v = registry.SaveModel("team.fraud_detector", "model.onnx", "first cut", new Dictionary&lt;string, string&gt; { ["type"] = "classifier" });
/// using var loaded = registry.LoadModel("team.fraud_detector");          // latest version
/// using var champion = registry.LoadModel("team.fraud_detector", "champion");
/// </code>
/// </example>
public sealed class CairnRegistry : IDisposable
{
    private readonly CairnDatabase _database;
    private readonly Caller _caller;

    private CairnRegistry(CairnDatabase database, string artifacts, string user)
    {
        _database = database;
        _caller = Caller.Admin(user);
        User = user;
        var clock = TimeProvider.System;
        var store = new FileSystemArtifactStore(artifacts);
        Audit = new AuditChain(database, clock);
        Catalog = new ModelCatalog(database, Audit, clock, store);
        Versions = new ModelRegistry(database, Audit, clock, store);
        Aliases = new ModelAliases(database, Audit, clock);
        Files = new VersionFiles(database, store, Audit, clock, new ArtifactLimits(long.MaxValue));
        Policies = new PromotionPolicies(database, Audit, clock);
        Promotions = new PromotionRequests(database, Audit, clock, Versions, Aliases, new QualityGates(clock));
    }

    /// <summary>The name recorded as the actor of every change made through this instance.</summary>
    public string User { get; }

    public ModelCatalog Catalog { get; }

    public ModelRegistry Versions { get; }

    public ModelAliases Aliases { get; }

    public VersionFiles Files { get; }

    public AuditChain Audit { get; }

    /// <summary>Promotion policies: which stages and aliases are protected, and what moving them takes.</summary>
    public PromotionPolicies Policies { get; }

    /// <summary>Promotion requests: the one way a protected stage or alias moves (a direct change is refused).</summary>
    public PromotionRequests Promotions { get; }

    /// <summary>
    /// Opens (creating and migrating if needed) a registry. <paramref name="backend"/> <c>local</c>: a data
    /// directory laid out as the server's (<c>cairn.db</c> and <c>artifacts/</c>); <c>database</c>: a SQLite
    /// database file, with files in <c>artifacts/</c> beside it.
    /// </summary>
    public static CairnRegistry Open(string backend, string location, string? user = null)
    {
        var (databasePath, artifacts) = backend switch
        {
            "local" => (Path.Combine(location, "cairn.db"), Path.Combine(location, "artifacts")),
            "database" => (location, Path.Combine(Path.GetDirectoryName(Path.GetFullPath(location))!, "artifacts")),
            _ => throw new InvalidParameterException($"Backend '{backend}' is not known: use 'local' (a data directory) or 'database' (a SQLite file)."),
        };
        var database = CairnDatabase.Sqlite(databasePath);
        Migrator.MigrateAsync(database, TimeProvider.System, CancellationToken.None).GetAwaiter().GetResult();
        return new CairnRegistry(database, artifacts, user ?? Environment.UserName);
    }

    /// <summary>
    /// Registers a new version of <paramref name="name"/> (a full name; the model is created if missing) holding
    /// <paramref name="content"/> as <paramref name="fileName"/>. The version is READY when the file is stored.
    /// <paramref name="tags"/> are set on the version and on the model.
    /// </summary>
    public async Task<ModelVersion> SaveModelAsync(
        string name, Stream content, string fileName, string? description = null, IReadOnlyDictionary<string, string>? tags = null, CancellationToken cancellationToken = default)
    {
        var (ns, model) = NamespacePath.Split(name);
        try
        {
            await Catalog.CreateAsync(_caller, new CreateModelRequest(ns, model, Tags: tags), cancellationToken);
        }
        catch (AlreadyExistsException)
        {
            // Saving a new version of an existing model is the common case; its tags describe the model too,
            // which is what FindModelsByTag looks at.
            foreach (var (key, value) in tags ?? new Dictionary<string, string>())
            {
                await Catalog.SetTagAsync(_caller, name, key, value, cancellationToken);
            }
        }
        var version = await Versions.CreateAsync(_caller, name,
            new CreateVersionRequest(Description: description, Tags: tags, Status: VersionStatus.PendingRegistration), cancellationToken);
        await Files.PutAsync(_caller, name, version.Version, fileName, content, new DeclaredChecksums(), cancellationToken);
        return await Versions.UpdateAsync(_caller, name, version.Version, new UpdateVersionRequest(Status: VersionStatus.Ready), cancellationToken);
    }

    /// <summary>Registers a new version holding the file at <paramref name="path"/> (stored under its file name).</summary>
    public async Task<ModelVersion> SaveModelAsync(
        string name, string path, string? description = null, IReadOnlyDictionary<string, string>? tags = null, CancellationToken cancellationToken = default)
    {
        await using var content = File.OpenRead(path);
        return await SaveModelAsync(name, content, Path.GetFileName(path), description, tags, cancellationToken);
    }

    /// <summary>
    /// Opens a version of <paramref name="name"/>: the latest READY one when <paramref name="versionOrAlias"/> is
    /// null, else a version number (<c>3</c>) or an alias (<c>champion</c> or <c>@champion</c>).
    /// </summary>
    public async Task<LoadedModel> LoadModelAsync(string name, string? versionOrAlias = null, CancellationToken cancellationToken = default)
    {
        var number = versionOrAlias switch
        {
            null => (await Versions.SearchAsync(_caller, name, new VersionQuery($"status = '{VersionStatus.Ready}'", "version DESC", 1), cancellationToken))
                .Versions is [var latest, ..] ? latest.Version : throw new NotFoundException($"Model '{name}' has no READY version."),
            _ when int.TryParse(versionOrAlias, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) => n,
            _ => (await Aliases.GetAsync(_caller, name, versionOrAlias.TrimStart('@'), cancellationToken)).Version,
        };
        var version = await Versions.GetAsync(_caller, name, number, cancellationToken);
        var files = await Files.ListAsync(_caller, name, number, cancellationToken);
        var content = files.Count == 0 ? null : (await Files.OpenAsync(_caller, name, number, files[0].Path, cancellationToken)).Content;
        return new LoadedModel(version, files, content, async (path, ct) => (await Files.OpenAsync(_caller, name, number, path, ct)).Content);
    }

    /// <summary>
    /// Points <paramref name="alias"/> (<c>champion</c>) of model <paramref name="name"/> at <paramref name="version"/>,
    /// recording the move in the alias's history; refused when a promotion policy protects the alias.
    /// </summary>
    public Task<AliasTarget> SetAliasAsync(string name, string alias, int version, CancellationToken cancellationToken = default) =>
        Aliases.SetAsync(_caller, name, alias, version, cancellationToken);

    /// <summary>Removes <paramref name="alias"/> from model <paramref name="name"/>.</summary>
    public Task DeleteAliasAsync(string name, string alias, CancellationToken cancellationToken = default) =>
        Aliases.DeleteAsync(_caller, name, alias, cancellationToken);

    /// <summary>
    /// Moves <paramref name="version"/> of <paramref name="name"/> to <paramref name="stage"/>; with
    /// <paramref name="archiveExisting"/> the versions in that stage before it move to Archived.
    /// </summary>
    public Task<ModelVersion> SetStageAsync(
        string name, int version, Stage stage, bool archiveExisting = false, string? comment = null, CancellationToken cancellationToken = default) =>
        Versions.TransitionAsync(_caller, name, version, new StageChange(stage.ToString(), archiveExisting, comment), cancellationToken);

    /// <summary>Models carrying tag <paramref name="key"/> with exactly <paramref name="value"/>.</summary>
    public async Task<IReadOnlyList<Model>> FindModelsByTagAsync(string key, string value, CancellationToken cancellationToken = default)
    {
        var filter = $"tags.`{key.Replace("`", "``", StringComparison.Ordinal)}` = '{value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "''", StringComparison.Ordinal)}'";
        var models = new List<Model>();
        string? token = null;
        do
        {
            var page = await Catalog.SearchAsync(_caller, new ModelQuery(filter, PageToken: token), cancellationToken);
            models.AddRange(page.Models);
            token = page.NextPageToken;
        }
        while (token is not null);
        return models;
    }

    public async Task<RegistryStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default) =>
        await _database.ReadAsync(async connection =>
        {
            var totals = await connection.QuerySingleAsync<(long Models, long Versions, long Files, long Bytes)>(new CommandDefinition(
                """
                SELECT (SELECT COUNT(*) FROM models), (SELECT COUNT(*) FROM model_versions),
                       (SELECT COUNT(*) FROM version_files), (SELECT COALESCE(SUM(size), 0) FROM version_files)
                """, cancellationToken: cancellationToken));
            var stages = (await connection.QueryAsync<(string Stage, long Count)>(new CommandDefinition(
                "SELECT stage, COUNT(*) FROM model_versions GROUP BY stage", cancellationToken: cancellationToken)))
                .ToDictionary(s => s.Stage, s => s.Count, StringComparer.Ordinal);
            foreach (var stage in Enum.GetNames<Stage>())
            {
                stages.TryAdd(stage, 0);
            }
            return new RegistryStatistics(totals.Models, totals.Versions, totals.Files, totals.Bytes, stages);
        }, cancellationToken);

    // Synchronous forms, named as in the registry API this library grew from (save_model, load_model, …), for
    // scripts and notebooks. SQLite work is synchronous underneath, so nothing is lost by blocking here.

    public ModelVersion SaveModel(string name, string path, string? description = null, IReadOnlyDictionary<string, string>? tags = null) =>
        SaveModelAsync(name, path, description, tags).GetAwaiter().GetResult();

    public ModelVersion SaveModel(string name, Stream content, string fileName, string? description = null, IReadOnlyDictionary<string, string>? tags = null) =>
        SaveModelAsync(name, content, fileName, description, tags).GetAwaiter().GetResult();

    public LoadedModel LoadModel(string name, string? versionOrAlias = null) => LoadModelAsync(name, versionOrAlias).GetAwaiter().GetResult();

    public AliasTarget SetAlias(string name, string alias, int version) => SetAliasAsync(name, alias, version).GetAwaiter().GetResult();

    public void DeleteAlias(string name, string alias) => DeleteAliasAsync(name, alias).GetAwaiter().GetResult();

    public ModelVersion SetStage(string name, int version, Stage stage, bool archiveExisting = false, string? comment = null) =>
        SetStageAsync(name, version, stage, archiveExisting, comment).GetAwaiter().GetResult();

    public IReadOnlyList<Model> FindModelsByTag(string key, string value) => FindModelsByTagAsync(key, value).GetAwaiter().GetResult();

    public RegistryStatistics GetStatistics() => GetStatisticsAsync().GetAwaiter().GetResult();

    public void Dispose() => _database.Dispose();
}
