using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Cairn.Client;

/// <summary>
/// A typed client for Cairn's native v1 API. Thread-safe; create one per server and reuse it.
/// Every failed call throws <see cref="CairnApiException"/> carrying the server's <c>error_code</c>.
/// </summary>
public sealed partial class CairnClient : IDisposable
{
    private static readonly ClientJsonContext Json = ClientJsonContext.Default;

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly AuthenticationHeaderValue? _authorization;

    /// <summary>Connects to the server at <paramref name="server"/>, such as <c>http://127.0.0.1:5000</c>.</summary>
    /// <param name="server">The server's base URL; a path prefix (for a server behind a proxy) is kept.</param>
    /// <param name="token">An API token, sent as <c>Authorization: Bearer</c>; null for a server without authentication.</param>
    public CairnClient(Uri server, string? token = null)
        : this(new HttpClient { BaseAddress = server }, token, ownsHttp: true)
    {
    }

    /// <summary>
    /// Uses an <see cref="HttpClient"/> configured elsewhere (IHttpClientFactory, a test server); its
    /// <see cref="HttpClient.BaseAddress"/> is the server's URL. The client does not dispose it.
    /// </summary>
    /// <param name="http">The HTTP client; its <see cref="HttpClient.BaseAddress"/> must be set.</param>
    /// <param name="token">An API token, sent as <c>Authorization: Bearer</c>; null for a server without authentication.</param>
    public CairnClient(HttpClient http, string? token = null)
        : this(http, token, ownsHttp: false)
    {
    }

    private CairnClient(HttpClient http, string? token, bool ownsHttp)
    {
        ArgumentNullException.ThrowIfNull(http);
        var address = http.BaseAddress
            ?? throw new ArgumentException("The HttpClient needs a BaseAddress: the Cairn server's URL.", nameof(http));
        // Relative paths below resolve under the base only when it ends with '/': keeps a proxy's path prefix.
        Server = address.AbsoluteUri.EndsWith('/') ? address : new Uri(address.AbsoluteUri + "/");
        _http = http;
        _ownsHttp = ownsHttp;
        // Set per request rather than on DefaultRequestHeaders: a shared HttpClient is not ours to change.
        _authorization = string.IsNullOrEmpty(token) ? null : new AuthenticationHeaderValue("Bearer", token);
    }

    /// <summary>The server's base URL, always ending with <c>/</c>.</summary>
    public Uri Server { get; }

    /// <summary>Disposes the underlying <see cref="HttpClient"/> if this client created it.</summary>
    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    // ---- Catalog ----

    /// <summary>Creates a catalog entry (<c>POST /api/v1/models</c>).</summary>
    /// <param name="request">The namespace, name and metadata of the model.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The created model.</returns>
    public Task<Model> CreateModelAsync(CreateModelRequest request, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "api/v1/models", Body(request, Json.CreateModelRequest), Json.Model, cancellationToken);

    /// <summary>Gets a model by its full name.</summary>
    /// <param name="fullName">The model's full name, such as <c>abc_corp.claim.doc_classification</c>.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The model.</returns>
    public Task<Model> GetModelAsync(string fullName, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, ModelPath(fullName), null, Json.Model, cancellationToken);

    /// <summary>Changes a model's metadata; fields of <paramref name="request"/> left null are unchanged.</summary>
    /// <param name="fullName">The model's full name.</param>
    /// <param name="request">The fields to change.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The updated model.</returns>
    public Task<Model> UpdateModelAsync(string fullName, UpdateModelRequest request, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Patch, ModelPath(fullName), Body(request, Json.UpdateModelRequest), Json.Model, cancellationToken);

    /// <summary>Deletes a model.</summary>
    /// <param name="fullName">The model's full name.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when the model is deleted.</returns>
    public Task DeleteModelAsync(string fullName, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, ModelPath(fullName), null, cancellationToken);

    /// <summary>Sets one tag of a model, adding or replacing it.</summary>
    /// <param name="fullName">The model's full name.</param>
    /// <param name="key">The tag's key.</param>
    /// <param name="value">The tag's value.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The model with its new tags.</returns>
    public Task<Model> SetModelTagAsync(string fullName, string key, string value, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Put, $"{ModelPath(fullName)}/tags/{Escape(key)}", Body(new TagValue(value), Json.TagValue), Json.Model, cancellationToken);

    /// <summary>Removes one tag of a model.</summary>
    /// <param name="fullName">The model's full name.</param>
    /// <param name="key">The tag's key.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The model with its remaining tags.</returns>
    public Task<Model> DeleteModelTagAsync(string fullName, string key, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"{ModelPath(fullName)}/tags/{Escape(key)}", null, Json.Model, cancellationToken);

    /// <summary>Searches models and yields every match, fetching further pages as the enumeration reaches them.</summary>
    /// <param name="filter">A filter expression, such as <c>name LIKE 'fraud%' AND tags.team = 'risk'</c>.</param>
    /// <param name="q">Free text matched against names and descriptions.</param>
    /// <param name="orderBy">An ordering, such as <c>updated_at DESC</c>.</param>
    /// <param name="pageSize">Models fetched per request; null for the server's default.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The matching models, in order.</returns>
    public IAsyncEnumerable<Model> SearchModelsAsync(
        string? filter = null, string? q = null, string? orderBy = null, int? pageSize = null, CancellationToken cancellationToken = default) =>
        AllAsync(token => SearchModelsPageAsync(filter, q, orderBy, pageSize, token, cancellationToken), p => p.Models, p => p.NextPageToken, cancellationToken);

    /// <summary>Searches models and returns one page of matches.</summary>
    /// <param name="filter">A filter expression, such as <c>name LIKE 'fraud%'</c>.</param>
    /// <param name="q">Free text matched against names and descriptions.</param>
    /// <param name="orderBy">An ordering, such as <c>updated_at DESC</c>.</param>
    /// <param name="maxResults">The page size; null for the server's default.</param>
    /// <param name="pageToken">The previous page's <see cref="ModelPage.NextPageToken"/>; null for the first page.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>One page of models.</returns>
    public Task<ModelPage> SearchModelsPageAsync(
        string? filter = null, string? q = null, string? orderBy = null, int? maxResults = null, string? pageToken = null,
        CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get,
            "api/v1/models" + Query(("filter", filter), ("q", q), ("order_by", orderBy), ("max_results", Number(maxResults)), ("page_token", pageToken)),
            null, Json.ModelPage, cancellationToken);

    // ---- Versions ----

    /// <summary>Registers a new version of a model; the server assigns its number.</summary>
    /// <param name="model">The model's full name.</param>
    /// <param name="request">The version's metadata; null for none.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The registered version.</returns>
    public Task<ModelVersion> CreateVersionAsync(string model, CreateVersionRequest? request = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"{ModelPath(model)}/versions", Body(request ?? new CreateVersionRequest(), Json.CreateVersionRequest), Json.ModelVersion, cancellationToken);

    /// <summary>Gets one version of a model.</summary>
    /// <param name="model">The model's full name.</param>
    /// <param name="version">The version number.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The version.</returns>
    public Task<ModelVersion> GetVersionAsync(string model, int version, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, VersionPath(model, version), null, Json.ModelVersion, cancellationToken);

    /// <summary>Changes a version's metadata; fields of <paramref name="request"/> left null are unchanged.</summary>
    /// <param name="model">The model's full name.</param>
    /// <param name="version">The version number.</param>
    /// <param name="request">The fields to change.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The updated version.</returns>
    public Task<ModelVersion> UpdateVersionAsync(string model, int version, UpdateVersionRequest request, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Patch, VersionPath(model, version), Body(request, Json.UpdateVersionRequest), Json.ModelVersion, cancellationToken);

    /// <summary>Deletes a version.</summary>
    /// <param name="model">The model's full name.</param>
    /// <param name="version">The version number.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when the version is deleted.</returns>
    public Task DeleteVersionAsync(string model, int version, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, VersionPath(model, version), null, cancellationToken);

    /// <summary>Sets one tag of a version, adding or replacing it.</summary>
    /// <param name="model">The model's full name.</param>
    /// <param name="version">The version number.</param>
    /// <param name="key">The tag's key.</param>
    /// <param name="value">The tag's value.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The version with its new tags.</returns>
    public Task<ModelVersion> SetVersionTagAsync(string model, int version, string key, string value, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Put, $"{VersionPath(model, version)}/tags/{Escape(key)}", Body(new TagValue(value), Json.TagValue), Json.ModelVersion, cancellationToken);

    /// <summary>Removes one tag of a version.</summary>
    /// <param name="model">The model's full name.</param>
    /// <param name="version">The version number.</param>
    /// <param name="key">The tag's key.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The version with its remaining tags.</returns>
    public Task<ModelVersion> DeleteVersionTagAsync(string model, int version, string key, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"{VersionPath(model, version)}/tags/{Escape(key)}", null, Json.ModelVersion, cancellationToken);

    /// <summary>Lists the versions of one model and yields every match, fetching further pages as needed.</summary>
    /// <param name="model">The model's full name.</param>
    /// <param name="filter">A filter expression, such as <c>metrics.auc > 0.9 AND stage = 'Production'</c>.</param>
    /// <param name="orderBy">An ordering, such as <c>version DESC</c>.</param>
    /// <param name="pageSize">Versions fetched per request; null for the server's default.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The matching versions, in order.</returns>
    public IAsyncEnumerable<ModelVersion> ListVersionsAsync(
        string model, string? filter = null, string? orderBy = null, int? pageSize = null, CancellationToken cancellationToken = default) =>
        AllAsync(token => ListVersionsPageAsync(model, filter, orderBy, pageSize, token, cancellationToken), p => p.Versions, p => p.NextPageToken, cancellationToken);

    /// <summary>Lists one page of the versions of one model.</summary>
    /// <param name="model">The model's full name.</param>
    /// <param name="filter">A filter expression.</param>
    /// <param name="orderBy">An ordering, such as <c>version DESC</c>.</param>
    /// <param name="maxResults">The page size; null for the server's default.</param>
    /// <param name="pageToken">The previous page's <see cref="VersionPage.NextPageToken"/>; null for the first page.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>One page of versions.</returns>
    public Task<VersionPage> ListVersionsPageAsync(
        string model, string? filter = null, string? orderBy = null, int? maxResults = null, string? pageToken = null,
        CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"{ModelPath(model)}/versions" + VersionQuery(filter, orderBy, maxResults, pageToken), null, Json.VersionPage, cancellationToken);

    /// <summary>Searches versions across all models and yields every match, fetching further pages as needed.</summary>
    /// <param name="filter">A filter expression, such as <c>name LIKE 'fraud%' AND version > 3</c>.</param>
    /// <param name="orderBy">An ordering.</param>
    /// <param name="pageSize">Versions fetched per request; null for the server's default.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The matching versions, in order.</returns>
    public IAsyncEnumerable<ModelVersion> SearchVersionsAsync(
        string? filter = null, string? orderBy = null, int? pageSize = null, CancellationToken cancellationToken = default) =>
        AllAsync(token => SearchVersionsPageAsync(filter, orderBy, pageSize, token, cancellationToken), p => p.Versions, p => p.NextPageToken, cancellationToken);

    /// <summary>Searches versions across all models and returns one page of matches.</summary>
    /// <param name="filter">A filter expression.</param>
    /// <param name="orderBy">An ordering.</param>
    /// <param name="maxResults">The page size; null for the server's default.</param>
    /// <param name="pageToken">The previous page's <see cref="VersionPage.NextPageToken"/>; null for the first page.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>One page of versions.</returns>
    public Task<VersionPage> SearchVersionsPageAsync(
        string? filter = null, string? orderBy = null, int? maxResults = null, string? pageToken = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "api/v1/versions" + VersionQuery(filter, orderBy, maxResults, pageToken), null, Json.VersionPage, cancellationToken);

    // ---- Aliases ----

    /// <summary>Points an alias at a version, creating or moving it.</summary>
    /// <param name="model">The model's full name.</param>
    /// <param name="alias">The alias, such as <c>champion</c>.</param>
    /// <param name="version">The version it should name.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The alias and its version.</returns>
    public Task<AliasTarget> SetAliasAsync(string model, string alias, int version, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Put, AliasPath(model, alias), Body(new AliasAssignment(version), Json.AliasAssignment), Json.AliasTarget, cancellationToken);

    /// <summary>Resolves an alias to its version.</summary>
    /// <param name="model">The model's full name.</param>
    /// <param name="alias">The alias.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The alias and its version.</returns>
    public Task<AliasTarget> GetAliasAsync(string model, string alias, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, AliasPath(model, alias), null, Json.AliasTarget, cancellationToken);

    /// <summary>Removes an alias (its history is kept).</summary>
    /// <param name="model">The model's full name.</param>
    /// <param name="alias">The alias.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when the alias is removed.</returns>
    public Task DeleteAliasAsync(string model, string alias, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, AliasPath(model, alias), null, cancellationToken);

    /// <summary>Every change of an alias, newest first.</summary>
    /// <param name="model">The model's full name.</param>
    /// <param name="alias">The alias.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The alias's changes, newest first.</returns>
    public async Task<IReadOnlyList<AliasChange>> GetAliasHistoryAsync(string model, string alias, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Get, $"{AliasPath(model, alias)}/history", null, Json.AliasHistory, cancellationToken)).Changes;

    /// <summary>Points an alias back at the version it named before its latest change.</summary>
    /// <param name="model">The model's full name.</param>
    /// <param name="alias">The alias.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The alias and the version it names now.</returns>
    public Task<AliasTarget> RollbackAliasAsync(string model, string alias, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"{AliasPath(model, alias)}/rollback", null, Json.AliasTarget, cancellationToken);

    // ---- Stages ----

    /// <summary>Moves a version to a stage. Production needs the approver role.</summary>
    /// <param name="model">The model's full name.</param>
    /// <param name="version">The version number.</param>
    /// <param name="stage">The stage to move it to.</param>
    /// <param name="archiveExisting">Also move the versions already in that stage to Archived, in the same transaction.</param>
    /// <param name="comment">Why, kept in the stage history.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The version in its new stage.</returns>
    public Task<ModelVersion> TransitionStageAsync(
        string model, int version, Stage stage, bool archiveExisting = false, string? comment = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"{VersionPath(model, version)}/stage",
            Body(new StageChange(stage, archiveExisting, comment), Json.StageChange), Json.ModelVersion, cancellationToken);

    /// <summary>Every stage transition of a version, in the order the server returns them.</summary>
    /// <param name="model">The model's full name.</param>
    /// <param name="version">The version number.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The version's stage transitions.</returns>
    public async Task<IReadOnlyList<StageTransition>> GetStageHistoryAsync(string model, int version, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Get, $"{VersionPath(model, version)}/stage", null, Json.StageHistory, cancellationToken)).Transitions;

    // ---- Audit ----

    /// <summary>Lists audit entries, newest first, and yields every match, fetching older pages as needed. Needs the admin role.</summary>
    /// <param name="query">Which entries; null for all.</param>
    /// <param name="pageSize">Entries fetched per request; null for the server's default.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The matching entries, newest first.</returns>
    public IAsyncEnumerable<AuditEntry> ListAuditAsync(AuditQuery? query = null, int? pageSize = null, CancellationToken cancellationToken = default) =>
        AllAsync(token => ListAuditPageAsync(query, pageSize, token, cancellationToken), p => p.Entries, p => p.NextPageToken, cancellationToken);

    /// <summary>Lists one page of audit entries, newest first. Needs the admin role.</summary>
    /// <param name="query">Which entries; null for all.</param>
    /// <param name="maxResults">The page size; null for the server's default.</param>
    /// <param name="pageToken">The previous page's <see cref="AuditPage.NextPageToken"/>; null for the first page.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>One page of entries.</returns>
    public Task<AuditPage> ListAuditPageAsync(AuditQuery? query = null, int? maxResults = null, string? pageToken = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get,
            "api/v1/audit" + Query(
                ("actor", query?.Actor), ("action", query?.Action), ("resource", query?.Resource),
                ("since", Time(query?.Since)), ("until", Time(query?.Until)),
                ("max_results", Number(maxResults)), ("page_token", pageToken)),
            null, Json.AuditPage, cancellationToken);

    /// <summary>Walks the whole audit chain and reports whether it is intact, or the first entry that breaks it. Needs the admin role.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The verification result.</returns>
    public Task<AuditVerification> VerifyAuditAsync(CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "api/v1/audit/verify", null, Json.AuditVerification, cancellationToken);

    // ---- Reports ----

    /// <summary>The compliance report for a model or a namespace, as JSON records.</summary>
    /// <param name="scope">A model's full name, or a namespace path (<c>/risk</c>: it and every namespace below it).</param>
    /// <param name="at">An instant: the report then says which version held each target at that time.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public Task<ComplianceReport> GetComplianceReportAsync(string scope, DateTimeOffset? at = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, ReportPath(scope, at, "json"), null, Json.ComplianceReport, cancellationToken);

    /// <summary>Streams the compliance report in <paramref name="format"/> (json, html or pdf) into <paramref name="destination"/>.</summary>
    /// <param name="scope">A model's full name, or a namespace path.</param>
    /// <param name="at">An instant, or null.</param>
    /// <param name="format">json, html or pdf.</param>
    /// <param name="destination">Where the bytes go.</param>
    /// <param name="cancellationToken">Cancels the download.</param>
    public async Task DownloadComplianceReportAsync(string scope, DateTimeOffset? at, string format, Stream destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        using var response = await ExchangeAsync(HttpMethod.Get, ReportPath(scope, at, format), null, cancellationToken, HttpCompletionOption.ResponseHeadersRead);
        await using var source = await response.Content.ReadAsStreamAsync(cancellationToken);
        await source.CopyToAsync(destination, cancellationToken);
    }

    private static string ReportPath(string scope, DateTimeOffset? at, string format) =>
        "api/v1/reports/compliance?scope=" + Uri.EscapeDataString(scope)
        + (at is { } time ? "&at=" + Uri.EscapeDataString(time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture)) : "")
        + "&format=" + Uri.EscapeDataString(format);

    // ---- Lineage ----

    /// <summary>The lineage around a node: what fed it (upstream), what it fed (downstream), or both, to a depth.</summary>
    /// <param name="node">A typed node id, such as <c>dataset:s3://lake:claims</c> or <c>model:risk.scorer:3</c>.</param>
    /// <param name="direction">upstream, downstream or both (the server's default is both).</param>
    /// <param name="depth">How many edges to follow (the server's default is 5, its cap 20).</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The nodes found, with the edges between them.</returns>
    public Task<LineageGraph> GetLineageAsync(string node, string? direction = null, int? depth = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "api/v1/lineage/graph" + Query(("node", node), ("direction", direction), ("depth", Number(depth))),
            null, Json.LineageGraph, cancellationToken);

    // ---- Logged models ----

    /// <summary>Gets one logged model (a model a run produced), with its params, tags, linked metrics and registrations.</summary>
    /// <param name="modelId">Its id, <c>m-…</c>.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The logged model.</returns>
    public Task<LoggedModel> GetLoggedModelAsync(string modelId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"api/v1/logged-models/{Escape(modelId)}", null, Json.LoggedModel, cancellationToken);

    /// <summary>Lists the logged models of an experiment (a page, newest first) or those a run produced (all of them).</summary>
    /// <param name="experimentId">The experiment, when listing by experiment.</param>
    /// <param name="runId">The run, when listing by run.</param>
    /// <param name="maxResults">The page size, by experiment.</param>
    /// <param name="pageToken">The token of the page to get, by experiment.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The page of models.</returns>
    public Task<LoggedModelPage> ListLoggedModelsAsync(
        string? experimentId = null, string? runId = null, int? maxResults = null, string? pageToken = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "api/v1/logged-models" + Query(("experiment_id", experimentId), ("run_id", runId), ("max_results", Number(maxResults)), ("page_token", pageToken)),
            null, Json.LoggedModelPage, cancellationToken);

    // ---- Tokens ----

    /// <summary>Creates an API token. Needs the admin role on <paramref name="namespace"/>.</summary>
    /// <param name="name">The token's unique name.</param>
    /// <param name="role">The role it grants.</param>
    /// <param name="namespace">Where the role applies; null for the root <c>/</c>.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The token and its secret, which the server shows only this once.</returns>
    public Task<CreatedApiToken> CreateTokenAsync(string name, Role role, string? @namespace = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "api/v1/tokens", Body(new CreateTokenRequest(name, role, @namespace), Json.CreateTokenRequest), Json.CreatedApiToken, cancellationToken);

    /// <summary>Lists every API token, revoked ones included. Needs the admin role.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The tokens, by name.</returns>
    public async Task<IReadOnlyList<ApiToken>> ListTokensAsync(CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Get, "api/v1/tokens", null, Json.TokenList, cancellationToken)).Tokens;

    /// <summary>Revokes an API token; revoking a revoked token changes nothing. Needs the admin role.</summary>
    /// <param name="name">The token's name.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The revoked token.</returns>
    public Task<ApiToken> RevokeTokenAsync(string name, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"api/v1/tokens/{Escape(name)}", null, Json.ApiToken, cancellationToken);

    // ---- Events ----

    /// <summary>
    /// Reads a page of the event feed (<c>GET /api/v1/events</c>): the events after <paramref name="after"/>, in commit
    /// order, that the token may read. With <paramref name="wait"/>, a page with nothing in it yet waits up to that long
    /// (at most 60 s) for an event to commit.
    /// </summary>
    /// <param name="after">The cursor to resume from (a <see cref="FeedPage.NextCursor"/> or an event's <see cref="FeedEvent.Cursor"/>); null for the first event.</param>
    /// <param name="types">Event types to keep, <c>*</c> matching any characters (<c>model_version.*</c>); null or empty for all.</param>
    /// <param name="namespace">Only events of this namespace and those below it; null for all.</param>
    /// <param name="maxResults">The page size (1-1000); null for the server's default (100).</param>
    /// <param name="wait">How long to wait for an event when none is there yet; null not to wait.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The page, with the cursor to resume from.</returns>
    public Task<FeedPage> ReadEventsAsync(
        string? after = null, IEnumerable<string>? types = null, string? @namespace = null, int? maxResults = null, TimeSpan? wait = null,
        CancellationToken cancellationToken = default)
    {
        var typeList = types is null ? null : string.Join(',', types);
        return SendAsync(HttpMethod.Get,
            "api/v1/events" + Query(
                ("after", after), ("types", string.IsNullOrEmpty(typeList) ? null : typeList), ("namespace", @namespace),
                ("max_results", Number(maxResults)), ("wait", wait?.TotalSeconds.ToString(CultureInfo.InvariantCulture))),
            null, Json.FeedPage, cancellationToken);
    }

    /// <summary>
    /// Follows the event feed from <paramref name="after"/> until cancelled, long-polling (30 s at a time) so that each
    /// event arrives as it commits. Each page's cursor is passed to <paramref name="cursor"/>, also when it moved past
    /// events the token may not read, so a consumer can note where to resume.
    /// </summary>
    /// <param name="after">The cursor to start after; null for the first event.</param>
    /// <param name="types">Event types to keep, as for <see cref="ReadEventsAsync"/>.</param>
    /// <param name="namespace">Only events of this namespace and those below it; null for all.</param>
    /// <param name="cursor">Told the cursor after each page; null not to be told.</param>
    /// <param name="cancellationToken">Stops following.</param>
    /// <returns>The events, in commit order.</returns>
    public async IAsyncEnumerable<FeedEvent> FollowEventsAsync(
        string? after = null, IEnumerable<string>? types = null, string? @namespace = null, IProgress<string>? cursor = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var typeList = types?.ToList();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var page = await ReadEventsAsync(after, typeList, @namespace, wait: TimeSpan.FromSeconds(30), cancellationToken: cancellationToken);
            foreach (var e in page.Events)
            {
                yield return e;
            }
            after = page.NextCursor;
            cursor?.Report(after);
        }
    }
    // ---- Webhooks ----

    /// <summary>Creates a webhook. Needs the admin role on the namespace it watches.</summary>
    /// <param name="request">Its name, URL, event patterns and the rest.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The webhook (never its secret).</returns>
    public Task<Webhook> CreateWebhookAsync(WebhookRequest request, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "api/v1/webhooks", Body(request, Json.WebhookRequest), Json.Webhook, cancellationToken);

    /// <summary>Lists one page of the webhooks the caller administers, newest first.</summary>
    /// <param name="maxResults">The page size; null for the server's default.</param>
    /// <param name="pageToken">The previous page's token; null for the first page.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>One page of webhooks.</returns>
    public Task<WebhookPage> ListWebhooksAsync(int? maxResults = null, string? pageToken = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "api/v1/webhooks" + Query(("max_results", Number(maxResults)), ("page_token", pageToken)), null, Json.WebhookPage, cancellationToken);

    /// <summary>Reads a webhook.</summary>
    /// <param name="id">The webhook's id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The webhook.</returns>
    public Task<Webhook> GetWebhookAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"api/v1/webhooks/{Escape(id)}", null, Json.Webhook, cancellationToken);

    /// <summary>Changes a webhook: the fields set in <paramref name="changes"/>. A new secret leaves the old one signing for its grace period.</summary>
    /// <param name="id">The webhook's id.</param>
    /// <param name="changes">What to change.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The changed webhook.</returns>
    public Task<Webhook> UpdateWebhookAsync(string id, WebhookRequest changes, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Patch, $"api/v1/webhooks/{Escape(id)}", Body(changes, Json.WebhookRequest), Json.Webhook, cancellationToken);

    /// <summary>Deletes a webhook and its delivery log.</summary>
    /// <param name="id">The webhook's id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when the webhook is gone.</returns>
    public Task DeleteWebhookAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"api/v1/webhooks/{Escape(id)}", null, cancellationToken);

    /// <summary>Sends an example event to the webhook, signed, and reports the receiver's answer.</summary>
    /// <param name="id">The webhook's id.</param>
    /// <param name="eventType">The event type whose example to send; null for the webhook's first.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>What the receiver answered.</returns>
    public Task<WebhookTestResult> TestWebhookAsync(string id, string? eventType = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"api/v1/webhooks/{Escape(id)}/test", Body(new WebhookTestRequest(eventType), Json.WebhookTestRequest), Json.WebhookTestResult, cancellationToken);

    /// <summary>Lists one page of a webhook's deliveries, newest first.</summary>
    /// <param name="id">The webhook's id.</param>
    /// <param name="state">Only deliveries in this state (PENDING, SUCCEEDED, FAILED); null for all.</param>
    /// <param name="maxResults">The page size; null for the server's default.</param>
    /// <param name="pageToken">The previous page's token; null for the first page.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>One page of deliveries.</returns>
    public Task<WebhookDeliveryPage> ListWebhookDeliveriesAsync(
        string id, string? state = null, int? maxResults = null, string? pageToken = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"api/v1/webhooks/{Escape(id)}/deliveries" + Query(("state", state), ("max_results", Number(maxResults)), ("page_token", pageToken)),
            null, Json.WebhookDeliveryPage, cancellationToken);

    /// <summary>Reads one delivery with every attempt.</summary>
    /// <param name="id">The webhook's id.</param>
    /// <param name="deliveryId">The delivery's id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The delivery and its attempts.</returns>
    public Task<WebhookDelivery> GetWebhookDeliveryAsync(string id, string deliveryId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"api/v1/webhooks/{Escape(id)}/deliveries/{Escape(deliveryId)}", null, Json.WebhookDelivery, cancellationToken);

    /// <summary>Sends a past event to the webhook again, as a new delivery.</summary>
    /// <param name="id">The webhook's id.</param>
    /// <param name="eventSeq">The event's seq.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The new, pending delivery.</returns>
    public Task<WebhookDelivery> RedeliverEventAsync(string id, long eventSeq, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"api/v1/webhooks/{Escape(id)}/redeliver", Body(new RedeliverRequest(eventSeq), Json.RedeliverRequest), Json.WebhookDelivery, cancellationToken);

    /// <summary>Sends a delivery's event again, as a new delivery naming the old one.</summary>
    /// <param name="id">The webhook's id.</param>
    /// <param name="deliveryId">The delivery to repeat.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The new, pending delivery.</returns>
    public Task<WebhookDelivery> RedeliverAsync(string id, string deliveryId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"api/v1/webhooks/{Escape(id)}/deliveries/{Escape(deliveryId)}/redeliver", null, Json.WebhookDelivery, cancellationToken);

    // ---- Health ----

    /// <summary>Checks that the server process is up (<c>GET /health</c>); does not touch its database.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The server's liveness status.</returns>
    public Task<HealthStatus> HealthAsync(CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "health", null, Json.HealthStatus, cancellationToken);

    // ---- Files ----

    /// <summary>Uploads one file of a version (which must be PENDING_REGISTRATION), streaming it.</summary>
    /// <param name="model">The model's full name.</param>
    /// <param name="version">The version number.</param>
    /// <param name="path">The file's relative path inside the version, such as <c>weights/model.onnx</c>.</param>
    /// <param name="content">The bytes; read once, to the end.</param>
    /// <param name="sha256">The bytes' SHA-256 in hex, if known: the server refuses the file when it differs.</param>
    /// <param name="progress">Receives the number of bytes sent so far.</param>
    /// <param name="cancellationToken">Cancels the upload; the server then keeps nothing.</param>
    public async Task<VersionFile> UploadFileAsync(
        string model, int version, string path, Stream content, string? sha256 = null, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        using var body = new ProgressContent(content, progress);
        body.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        if (sha256 is not null)
        {
            body.Headers.Add("X-Checksum-Sha256", sha256);
        }
        return await SendAsync(HttpMethod.Put, FilePath(model, version, path), body, Json.VersionFile, cancellationToken);
    }

    /// <summary>Lists a version's files with their sizes and SHA-256.</summary>
    /// <param name="model">The model's full name.</param>
    /// <param name="version">The version number.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<IReadOnlyList<VersionFile>> ListFilesAsync(string model, int version, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Get, $"{VersionPath(model, version)}/files", null, Json.FileList, cancellationToken)).Files;

    /// <summary>Streams one file of a version into <paramref name="destination"/> and returns the SHA-256 of what arrived.</summary>
    /// <param name="model">The model's full name.</param>
    /// <param name="version">The version number.</param>
    /// <param name="path">The file's relative path inside the version.</param>
    /// <param name="destination">Where the bytes go.</param>
    /// <param name="progress">Receives the number of bytes received so far.</param>
    /// <param name="cancellationToken">Cancels the download.</param>
    public async Task<string> DownloadFileAsync(
        string model, int version, string path, Stream destination, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        using var response = await ExchangeAsync(HttpMethod.Get, FilePath(model, version, path), null, cancellationToken, HttpCompletionOption.ResponseHeadersRead);
        await using var source = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        long total = 0;
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            total += read;
            progress?.Report(total);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    // ---- Model cards ----

    /// <summary>A version's model card (an empty Draft when nobody has written one).</summary>
    /// <param name="model">The model's full name.</param>
    /// <param name="version">The version number.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public Task<ModelCard> GetModelCardAsync(string model, int version, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, CardPath(model, version), null, Json.ModelCard, cancellationToken);

    /// <summary>Writes a card's sections and risk rating (writer); a submitted or approved card goes back to Draft.</summary>
    /// <param name="model">The model's full name.</param>
    /// <param name="version">The version number.</param>
    /// <param name="request">The sections and the rating.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public Task<ModelCard> PutModelCardAsync(string model, int version, PutModelCardRequest request, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Put, CardPath(model, version), Body(request, Json.PutModelCardRequest), Json.ModelCard, cancellationToken);

    /// <summary>Sends a Draft card for review (writer).</summary>
    /// <param name="model">The model's full name.</param>
    /// <param name="version">The version number.</param>
    /// <param name="comment">A note for the reviewers, or null.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public Task<ModelCard> SubmitModelCardAsync(string model, int version, string? comment = null, CancellationToken cancellationToken = default) =>
        CardStepAsync(model, version, "submit", comment, cancellationToken);

    /// <summary>Approves a card under review (approver; not the card's last editor or its submitter).</summary>
    /// <param name="model">The model's full name.</param>
    /// <param name="version">The version number.</param>
    /// <param name="comment">A note, or null.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public Task<ModelCard> ApproveModelCardAsync(string model, int version, string? comment = null, CancellationToken cancellationToken = default) =>
        CardStepAsync(model, version, "approve", comment, cancellationToken);

    /// <summary>Returns a card under review to Draft (approver), saying why.</summary>
    /// <param name="model">The model's full name.</param>
    /// <param name="version">The version number.</param>
    /// <param name="comment">What the authors should change (required).</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public Task<ModelCard> ReturnModelCardAsync(string model, int version, string comment, CancellationToken cancellationToken = default) =>
        CardStepAsync(model, version, "return", comment, cancellationToken);

    /// <summary>Downloads a rendering of a card into <paramref name="destination"/>.</summary>
    /// <param name="model">The model's full name.</param>
    /// <param name="version">The version number.</param>
    /// <param name="format">Model Card Toolkit JSON, Markdown, HTML or PDF.</param>
    /// <param name="destination">Where the bytes go.</param>
    /// <param name="cancellationToken">Cancels the download.</param>
    public async Task RenderModelCardAsync(string model, int version, ModelCardFormat format, Stream destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var name = format.ToString().ToLowerInvariant();
        using var response = await ExchangeAsync(HttpMethod.Get, $"{CardPath(model, version)}?format={name}", null, cancellationToken, HttpCompletionOption.ResponseHeadersRead);
        await using var source = await response.Content.ReadAsStreamAsync(cancellationToken);
        await source.CopyToAsync(destination, cancellationToken);
    }

    private Task<ModelCard> CardStepAsync(string model, int version, string step, string? comment, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, $"{CardPath(model, version)}/{step}", Body(new CardStepRequest(comment), Json.CardStepRequest), Json.ModelCard, cancellationToken);

    private static string CardPath(string model, int version) => $"{VersionPath(model, version)}/card";

    // ---- Transport ----

    private async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? content, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        using var response = await ExchangeAsync(method, path, content, cancellationToken);
        return await response.Content.ReadFromJsonAsync(type, cancellationToken)
            ?? throw new JsonException($"The server answered {method} {path} with an empty JSON body.");
    }

    private async Task SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var response = await ExchangeAsync(method, path, content, cancellationToken);
    }

    private async Task<HttpResponseMessage> ExchangeAsync(
        HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        using var request = new HttpRequestMessage(method, new Uri(Server, path)) { Content = content };
        request.Headers.Authorization = _authorization;
        var response = await _http.SendAsync(request, completion, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }
        using (response)
        {
            throw await ErrorAsync(response, cancellationToken);
        }
    }

    /// <summary>Reads problem details into the exception; any other body (a proxy's HTML page, plain text) becomes its detail.</summary>
    private static async Task<CairnApiException> ErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        const int MaxRawDetail = 1000;
        var body = (await response.Content.ReadAsStringAsync(cancellationToken)).Trim();
        string? code = null, title = null, detail = null;
        if (response.Content.Headers.ContentType?.MediaType is "application/problem+json" or "application/json")
        {
            try
            {
                using var document = JsonDocument.Parse(body);
                if (document.RootElement.ValueKind == JsonValueKind.Object)
                {
                    code = Text(document.RootElement, "error_code");
                    title = Text(document.RootElement, "title");
                    // The MLflow API (experiments, runs) says {"error_code", "message"}.
                    detail = Text(document.RootElement, "detail") ?? Text(document.RootElement, "message");
                }
            }
            catch (JsonException)
            {
                // Not JSON after all: the raw text below is the best description there is.
            }
        }
        detail ??= body.Length > 0 ? (body.Length > MaxRawDetail ? body[..MaxRawDetail] + "…" : body)
            : title ?? response.ReasonPhrase ?? $"HTTP {(int)response.StatusCode}";
        return new CairnApiException(response.StatusCode, code, title, detail);

        static string? Text(JsonElement element, string name) =>
            element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }

    private static async IAsyncEnumerable<TItem> AllAsync<TPage, TItem>(
        Func<string?, Task<TPage>> fetch, Func<TPage, IReadOnlyList<TItem>> items, Func<TPage, string?> next,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? token = null;
        do
        {
            cancellationToken.ThrowIfCancellationRequested();
            var page = await fetch(token);
            foreach (var item in items(page))
            {
                yield return item;
            }
            token = next(page);
        }
        while (token is not null);
    }

    private static JsonContent Body<T>(T value, JsonTypeInfo<T> type) => JsonContent.Create(value, type);

    private static string ModelPath(string fullName) => $"api/v1/models/{Escape(fullName)}";

    private static string VersionPath(string model, int version) =>
        $"{ModelPath(model)}/versions/{version.ToString(CultureInfo.InvariantCulture)}";

    private static string FilePath(string model, int version, string path) =>
        $"{VersionPath(model, version)}/files/{string.Join('/', path.Split('/').Select(Escape))}";

    private static string AliasPath(string model, string alias) => $"{ModelPath(model)}/aliases/{Escape(alias)}";

    private static string VersionQuery(string? filter, string? orderBy, int? maxResults, string? pageToken) =>
        Query(("filter", filter), ("order_by", orderBy), ("max_results", Number(maxResults)), ("page_token", pageToken));

    /// <summary>
    /// One path segment, percent-encoded. "." and ".." are refused rather than sent: <see cref="Uri"/> removes dot
    /// segments (escaping does not touch dots), so they would address the parent resource instead.
    /// </summary>
    private static string Escape(string segment)
    {
        ArgumentException.ThrowIfNullOrEmpty(segment);
        if (segment is "." or "..")
        {
            throw new ArgumentException($"'{segment}' cannot be used as a name, tag key, alias or path segment: a name may not be '.' or '..'.", nameof(segment));
        }
        return Uri.EscapeDataString(segment);
    }

    private static string? Number(int? value) => value?.ToString(CultureInfo.InvariantCulture);

    private static string? Time(DateTimeOffset? value) => value?.ToString("O", CultureInfo.InvariantCulture);

    private static string Query(params ReadOnlySpan<(string Name, string? Value)> parameters)
    {
        var query = new StringBuilder();
        foreach (var (name, value) in parameters)
        {
            if (value is not null)
            {
                query.Append(query.Length == 0 ? '?' : '&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
            }
        }
        return query.ToString();
    }
}
