using System.CommandLine;
using System.Text.Json;
using Cairn.Governance;
using Cairn.Storage;
using Client = Cairn.Client;

namespace Cairn.Cli;

/// <summary>
/// A data directory's database used in this process, without a server: how the first admin token is made before
/// any server runs (or when none can be reached), and how tokens and the audit chain are looked after offline.
/// The actor recorded in the audit log is the local user.
/// </summary>
internal sealed class LocalStore
{
    private readonly ApiTokens _tokens;
    private readonly AuditChain _audit;
    private readonly Caller _caller = Caller.Admin(Environment.UserName);

    private LocalStore(CairnDatabase database)
    {
        _audit = new AuditChain(database, TimeProvider.System);
        _tokens = new ApiTokens(database, _audit, TimeProvider.System);
    }

    public static Option<string> DataDirOption() => new("--data-dir")
    {
        Description = "Work offline on this data directory's database (<dir>/cairn.db) instead of calling --server",
        HelpName = "dir",
    };

    public static string DatabasePath(string dataDir) => Path.GetFullPath(Path.Combine(dataDir, "cairn.db"));

    /// <summary>
    /// Opens <c>{dataDir}/cairn.db</c> and brings its schema up to date; only <paramref name="create"/> may start a new
    /// one, and <c>IsNew</c> says whether it did.
    /// </summary>
    public static async Task<(LocalStore Store, bool IsNew)> OpenAsync(string dataDir, bool create, CancellationToken cancellationToken)
    {
        var path = DatabasePath(dataDir);
        var isNew = !File.Exists(path);
        if (isNew && !create)
        {
            throw new NotFoundException($"There is no Cairn store at {path}: check --data-dir (or pass --init to create a new, empty store there).");
        }
        var database = CairnDatabase.Sqlite(path);
        await Migrator.MigrateAsync(database, TimeProvider.System, cancellationToken);
        return (new LocalStore(database), isNew);
    }

    public async Task<Client.CreatedApiToken> CreateTokenAsync(string name, Client.Role role, string? @namespace, CancellationToken cancellationToken) =>
        AsClient<Client.CreatedApiToken>(await _tokens.CreateAsync(_caller, name, role.ToString(), @namespace, cancellationToken));

    public async Task<IReadOnlyList<Client.ApiToken>> ListTokensAsync(CancellationToken cancellationToken) =>
        AsClient<List<Client.ApiToken>>(await _tokens.ListAsync(_caller, cancellationToken));

    public async Task<Client.ApiToken> RevokeTokenAsync(string name, CancellationToken cancellationToken) =>
        AsClient<Client.ApiToken>(await _tokens.RevokeAsync(_caller, name, cancellationToken));

    public async Task<Client.AuditVerification> VerifyAuditAsync(CancellationToken cancellationToken) =>
        AsClient<Client.AuditVerification>(await _audit.VerifyAsync(_caller, cancellationToken));

    /// <summary>
    /// The library's records become the client's through the JSON the API would send: one rendering serves both
    /// modes, and <c>--json</c> prints the same document offline as online.
    /// </summary>
    private static T AsClient<T>(object value) =>
        JsonSerializer.Deserialize<T>(JsonSerializer.SerializeToUtf8Bytes(value, CairnJson.Options), CairnJson.Options)!;
}
