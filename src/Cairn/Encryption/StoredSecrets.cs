using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cairn.Catalog;
using Cairn.Storage;
using Dapper;
using Microsoft.AspNetCore.DataProtection;

namespace Cairn.Encryption;

/// <summary>
/// Connection secrets of data sources and secret-looking deployment variables, encrypted at rest with the Data
/// Protection key ring (docs/encryption.md). What <see cref="Secrets"/> masks on the way out is what is sealed on the way
/// in: a secret key's whole value, a URI's credential in place (so the stored form masks without being decrypted, and a
/// masked value sent back keeps the stored secret by comparing masks). A sealed value is
/// <see cref="Prefix"/> followed by the protected payload; a value without it is a clear one written before
/// encryption, read as it is and sealed at the next write or by <see cref="SealExistingAsync"/>.
/// </summary>
public sealed class StoredSecrets
{
    /// <summary>What a sealed value starts with; values sent by callers may not contain it.</summary>
    public const string Prefix = "cairn-enc:v1:";

    /// <summary>The key ring purpose of data source connection secrets.</summary>
    public const string ConnectionPurpose = "Cairn.Catalog.ConnectionSecret.v1";

    /// <summary>The key ring purpose of deployment environment variables.</summary>
    public const string VariablePurpose = "Cairn.Deployments.Variable.v1";

    /// <summary>The one-time step (table <c>encryption_steps</c>) that seals what was stored before encryption.</summary>
    public const string SealExistingStep = "secrets.v1";

    private readonly IDataProtector _connections;
    private readonly IDataProtector _variables;

    public StoredSecrets(IDataProtectionProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        _connections = provider.CreateProtector(ConnectionPurpose);
        _variables = provider.CreateProtector(VariablePurpose);
    }

    /// <summary>Whether <paramref name="text"/> is a sealed value.</summary>
    public static bool IsSealed(string text) => text.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>Data sources as they are stored: their secrets sealed (those already sealed kept as they are).</summary>
    public IReadOnlyList<DataSource> SealDataSources(IReadOnlyList<DataSource> sources) =>
        Secrets.SealAll(sources,
            value => value is JsonValue v && v.TryGetValue<string>(out var text) && IsSealed(text) ? text : Seal(_connections, value.ToJsonString()),
            text => IsSealed(text) ? text : Seal(_connections, text));

    /// <summary>Stored data sources with their secrets in clear (clear legacy values as they are).</summary>
    /// <exception cref="StoredSecretException">The key ring cannot decrypt a secret.</exception>
    public IReadOnlyList<DataSource> RevealDataSources(IReadOnlyList<DataSource> sources) =>
        Secrets.RevealAll(sources,
            value => value is JsonValue v && v.TryGetValue<string>(out var text) && IsSealed(text) ? JsonNode.Parse(Open(_connections, text, "a connection secret")) : value.DeepClone(),
            text => IsSealed(text) ? Open(_connections, text, "a connection secret") : text);

    /// <summary>Environment variables as they are stored: secret-looking values sealed.</summary>
    public IReadOnlyDictionary<string, string> SealVariables(IReadOnlyDictionary<string, string> variables) =>
        Secrets.TransformValues(variables, text => IsSealed(text) ? text : Seal(_variables, text));

    /// <summary>Stored environment variables in clear.</summary>
    /// <exception cref="StoredSecretException">The key ring cannot decrypt a value.</exception>
    public IReadOnlyDictionary<string, string> RevealVariables(IReadOnlyDictionary<string, string> variables) =>
        Secrets.TransformValues(variables, text => IsSealed(text) ? Open(_variables, text, "a deployment variable") : text);

    /// <summary>Refuses a caller's value that poses as a sealed one: only the store writes them.</summary>
    /// <exception cref="InvalidParameterException">A value contains <see cref="Prefix"/>.</exception>
    public static void RefuseSealed(string field, JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, value) in o)
                {
                    RefuseSealed($"{field}.{key}", value);
                }
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    RefuseSealed($"{field}[{i}]", a[i]);
                }
                break;
            case JsonValue v when v.TryGetValue<string>(out var text):
                RefuseSealed(field, text);
                break;
        }
    }

    /// <inheritdoc cref="RefuseSealed(string, JsonNode?)"/>
    public static void RefuseSealed(string field, string? text)
    {
        if (text is not null && text.Contains(Prefix, StringComparison.Ordinal))
        {
            throw new InvalidParameterException($"'{field}' contains '{Prefix}', which marks values the server encrypted; send the secret itself (or the mask '{Secrets.Mask}' to keep the stored one).");
        }
    }

    /// <summary>
    /// Seals the secrets stored in clear before encryption existed (or by a server without a key ring), once: in one
    /// transaction that also records the step in <c>encryption_steps</c>, so later starts skip it. Idempotent (sealed
    /// values are left as they are). Returns how many rows changed.
    /// </summary>
    public async Task<int> SealExistingAsync(CairnDatabase database, TimeProvider clock, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(clock);
        return await database.WriteAsync(async (connection, transaction) =>
        {
            var done = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COUNT(*) FROM encryption_steps WHERE name = @name", new { name = SealExistingStep }, transaction, cancellationToken: cancellationToken));
            if (done > 0)
            {
                return 0;
            }
            var changed = 0;
            var models = await connection.QueryAsync<(long Id, string DataSources)>(new CommandDefinition(
                "SELECT id, data_sources FROM models WHERE data_sources <> '[]'", transaction: transaction, cancellationToken: cancellationToken));
            foreach (var (id, json) in models)
            {
                var sealedJson = JsonSerializer.Serialize(SealDataSources(JsonSerializer.Deserialize<List<DataSource>>(json, CairnJson.Options) ?? []), CairnJson.Options);
                if (sealedJson != json)
                {
                    changed += await connection.ExecuteAsync(new CommandDefinition(
                        "UPDATE models SET data_sources = @sealedJson WHERE id = @id", new { id, sealedJson }, transaction, cancellationToken: cancellationToken));
                }
            }
            var deployments = await connection.QueryAsync<(string Id, string Variables)>(new CommandDefinition(
                "SELECT id, environment_variables FROM deployments WHERE environment_variables <> '{}'", transaction: transaction, cancellationToken: cancellationToken));
            foreach (var (id, json) in deployments)
            {
                var sealedJson = JsonSerializer.Serialize(SealVariables(JsonSerializer.Deserialize<Dictionary<string, string>>(json, CairnJson.Options) ?? []), CairnJson.Options);
                if (sealedJson != json)
                {
                    changed += await connection.ExecuteAsync(new CommandDefinition(
                        "UPDATE deployments SET environment_variables = @sealedJson WHERE id = @id", new { id, sealedJson }, transaction, cancellationToken: cancellationToken));
                }
            }
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO encryption_steps (name, done_at, changed) VALUES (@name, @at, @changed)",
                new { name = SealExistingStep, at = clock.GetUtcNow().ToUnixTimeMilliseconds(), changed }, transaction, cancellationToken: cancellationToken));
            return changed;
        }, cancellationToken);
    }

    private static string Seal(IDataProtector protector, string plaintext) => Prefix + protector.Protect(plaintext);

    private static string Open(IDataProtector protector, string stored, string what)
    {
        try
        {
            return protector.Unprotect(stored[Prefix.Length..]);
        }
        catch (CryptographicException e)
        {
            throw new StoredSecretException(
                $"The key ring cannot decrypt {what} stored in the database (it is not the key ring that encrypted it, or the key was lost): {e.Message} " +
                "Restore the key ring backed up with the database (docs/encryption.md).");
        }
    }
}

/// <summary>A secret stored encrypted cannot be decrypted with this server's key ring (500: the server's data, not the request).</summary>
public sealed class StoredSecretException(string message) : CairnException("STORED_SECRET_UNREADABLE", 500, message);
