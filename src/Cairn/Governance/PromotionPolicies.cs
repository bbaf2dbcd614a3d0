using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Cairn.Catalog;
using Cairn.Registry;
using Cairn.Storage;
using Dapper;

namespace Cairn.Governance;

/// <summary>A stored policy: whose it is (a namespace's or a model's), the document, and its last change.</summary>
/// <param name="Source">Whose policy: <c>namespace /risk</c> or <c>model risk.fraud</c> (what effective rules name as their source).</param>
/// <param name="Namespace">The namespace, for a namespace's policy.</param>
/// <param name="Model">The model's full name, for a model's policy.</param>
/// <param name="Policy">The document.</param>
/// <param name="UpdatedAt">When it was last set.</param>
/// <param name="UpdatedBy">Who set it.</param>
public sealed record PolicyDocument(string Source, string? Namespace, string? Model, Policy Policy, DateTimeOffset UpdatedAt, string UpdatedBy);

/// <summary>The rule that governs one target of a model, and whose policy it came from.</summary>
/// <param name="Rule">The nearest rule covering the target.</param>
/// <param name="PolicySource"><c>namespace /risk</c> or <c>model risk.fraud</c>.</param>
public sealed record GoverningRule(ProtectedTarget Rule, string PolicySource)
{
    /// <summary>The source in words: <c>the policy of namespace '/risk'</c>.</summary>
    public string Words => PolicySource.StartsWith(ModelPrefix, StringComparison.Ordinal)
        ? $"the policy of model '{PolicySource[ModelPrefix.Length..]}'"
        : $"the policy of namespace '{PolicySource[NamespacePrefix.Length..]}'";

    /// <summary>What the rule asks, in short: <c>2 approvals</c>, <c>1 approval and 2 gates</c>.</summary>
    public string Demands
    {
        get
        {
            var approvals = Rule.Approvals == 1 ? "1 approval" : $"{Rule.Approvals.ToString(CultureInfo.InvariantCulture)} approvals";
            var gates = Rule.Gates?.Count ?? 0;
            return gates == 0 ? approvals : $"{approvals} and {gates.ToString(CultureInfo.InvariantCulture)} gate{(gates == 1 ? "" : "s")}";
        }
    }

    internal const string ModelPrefix = "model ";
    internal const string NamespacePrefix = "namespace ";
}

/// <summary>One target named by a policy in effect for a model, with the rule that wins for it.</summary>
/// <param name="Target">The stage or alias (pattern) as policies name it: <c>Production</c>, <c>@prod-*</c>.</param>
/// <param name="Protected">False when the nearest rule unprotects the target (a model or sub-namespace opting out).</param>
/// <param name="Rule">The nearest rule.</param>
/// <param name="PolicySource">Whose policy that rule is in.</param>
public sealed record EffectiveRule(string Target, bool Protected, ProtectedTarget Rule, string PolicySource);

/// <summary>Every target the policies in effect for a model name, each with its nearest rule.</summary>
public sealed record EffectivePolicy(string Model, string Namespace, IReadOnlyList<EffectiveRule> Rules);

/// <summary>
/// Promotion policies: a document per namespace (inherited below it) and per model. For a target of a model the
/// nearest rule covering it governs — the model's own policy, then its namespace's, then each namespace above up to
/// the root — and a rule that asks for nothing ends the search with the target unprotected
/// (docs/decisions/0020-promotion-policies.md). Reading needs reader, changing needs admin on the namespace.
/// </summary>
public sealed class PromotionPolicies(CairnDatabase database, AuditChain audit, TimeProvider clock)
{
    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    private sealed record PolicyRow
    {
        public string? Namespace { get; init; }
        public long? ModelId { get; init; }
        public string Document { get; init; } = "";
        public long UpdatedAt { get; init; }
        public string UpdatedBy { get; init; } = "";
    }

    /// <summary>The policy set on <paramref name="namespace"/> itself (not inherited); 404 when it has none.</summary>
    public async Task<PolicyDocument> GetNamespaceAsync(Caller caller, string @namespace, CancellationToken cancellationToken)
    {
        var ns = NamespacePath.Normalize(@namespace);
        caller.Require(Role.Reader, ns);
        var row = await database.ReadAsync(c => c.QuerySingleOrDefaultAsync<PolicyRow>(new CommandDefinition(
            "SELECT namespace, model_id, document, updated_at, updated_by FROM policies WHERE namespace = @ns", new { ns }, cancellationToken: cancellationToken)), cancellationToken);
        return row is null ? throw new NotFoundException($"Namespace '{ns}' has no policy of its own.") : ToDocument(row, null);
    }

    /// <summary>Sets (creates or replaces) the policy of <paramref name="namespace"/>; admin on it.</summary>
    public async Task<PolicyDocument> SetNamespaceAsync(Caller caller, string @namespace, Policy policy, CancellationToken cancellationToken)
    {
        var ns = NamespacePath.Normalize(@namespace);
        caller.Require(Role.Admin, ns);
        Check(policy);
        var document = JsonSerializer.Serialize(policy, CairnJson.Options);
        return await database.WriteAsync(async (connection, transaction) =>
        {
            var before = await connection.QuerySingleOrDefaultAsync<PolicyRow>(new CommandDefinition(
                "SELECT namespace, model_id, document, updated_at, updated_by FROM policies WHERE namespace = @ns", new { ns }, transaction, cancellationToken: cancellationToken));
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            await connection.ExecuteAsync(new CommandDefinition(
                before is null
                    ? "INSERT INTO policies (namespace, document, updated_at, updated_by) VALUES (@ns, @document, @now, @by)"
                    : "UPDATE policies SET document = @document, updated_at = @now, updated_by = @by WHERE namespace = @ns",
                new { ns, document, now, by = caller.Name }, transaction, cancellationToken: cancellationToken));
            var after = new PolicyDocument(NamespaceSource(ns), ns, null, policy, DateTimeOffset.FromUnixTimeMilliseconds(now), caller.Name);
            await audit.AppendAsync(transaction, caller.Name, "policy.set", NamespaceResource(ns), before is null ? null : ToDocument(before, null), after, cancellationToken);
            return after;
        }, cancellationToken);
    }

    /// <summary>Removes the policy of <paramref name="namespace"/> (the namespaces above it govern again); admin on it.</summary>
    public async Task DeleteNamespaceAsync(Caller caller, string @namespace, CancellationToken cancellationToken)
    {
        var ns = NamespacePath.Normalize(@namespace);
        caller.Require(Role.Admin, ns);
        await database.WriteAsync(async (connection, transaction) =>
        {
            var before = await connection.QuerySingleOrDefaultAsync<PolicyRow>(new CommandDefinition(
                "SELECT namespace, model_id, document, updated_at, updated_by FROM policies WHERE namespace = @ns", new { ns }, transaction, cancellationToken: cancellationToken))
                ?? throw new NotFoundException($"Namespace '{ns}' has no policy of its own.");
            await connection.ExecuteAsync(new CommandDefinition("DELETE FROM policies WHERE namespace = @ns", new { ns }, transaction, cancellationToken: cancellationToken));
            await audit.AppendAsync(transaction, caller.Name, "policy.delete", NamespaceResource(ns), ToDocument(before, null), null, cancellationToken);
            return true;
        }, cancellationToken);
    }

    /// <summary>The policy set on model <paramref name="model"/> itself; 404 when it has none.</summary>
    public async Task<PolicyDocument> GetModelAsync(Caller caller, string model, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Split(model).Namespace);
        return await database.ReadAsync(async connection =>
        {
            var modelId = await ModelIdAsync(connection, null, model, cancellationToken);
            var row = await connection.QuerySingleOrDefaultAsync<PolicyRow>(new CommandDefinition(
                "SELECT namespace, model_id, document, updated_at, updated_by FROM policies WHERE model_id = @modelId", new { modelId }, cancellationToken: cancellationToken));
            return row is null ? throw new NotFoundException($"Model '{model}' has no policy of its own.") : ToDocument(row, model);
        }, cancellationToken);
    }

    /// <summary>Sets the policy of model <paramref name="model"/>, over its namespaces' for the targets it names; admin on its namespace.</summary>
    public async Task<PolicyDocument> SetModelAsync(Caller caller, string model, Policy policy, CancellationToken cancellationToken)
    {
        caller.Require(Role.Admin, NamespacePath.Split(model).Namespace);
        Check(policy);
        var document = JsonSerializer.Serialize(policy, CairnJson.Options);
        return await database.WriteAsync(async (connection, transaction) =>
        {
            var modelId = await ModelIdAsync(connection, transaction, model, cancellationToken);
            var before = await connection.QuerySingleOrDefaultAsync<PolicyRow>(new CommandDefinition(
                "SELECT namespace, model_id, document, updated_at, updated_by FROM policies WHERE model_id = @modelId", new { modelId }, transaction, cancellationToken: cancellationToken));
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            await connection.ExecuteAsync(new CommandDefinition(
                before is null
                    ? "INSERT INTO policies (model_id, document, updated_at, updated_by) VALUES (@modelId, @document, @now, @by)"
                    : "UPDATE policies SET document = @document, updated_at = @now, updated_by = @by WHERE model_id = @modelId",
                new { modelId, document, now, by = caller.Name }, transaction, cancellationToken: cancellationToken));
            var after = new PolicyDocument(ModelSource(model), null, model, policy, DateTimeOffset.FromUnixTimeMilliseconds(now), caller.Name);
            await audit.AppendAsync(transaction, caller.Name, "policy.set", ModelResource(model), before is null ? null : ToDocument(before, model), after, cancellationToken);
            return after;
        }, cancellationToken);
    }

    /// <summary>Removes the policy of model <paramref name="model"/> (its namespaces govern again); admin on its namespace.</summary>
    public async Task DeleteModelAsync(Caller caller, string model, CancellationToken cancellationToken)
    {
        caller.Require(Role.Admin, NamespacePath.Split(model).Namespace);
        await database.WriteAsync(async (connection, transaction) =>
        {
            var modelId = await ModelIdAsync(connection, transaction, model, cancellationToken);
            var before = await connection.QuerySingleOrDefaultAsync<PolicyRow>(new CommandDefinition(
                "SELECT namespace, model_id, document, updated_at, updated_by FROM policies WHERE model_id = @modelId", new { modelId }, transaction, cancellationToken: cancellationToken))
                ?? throw new NotFoundException($"Model '{model}' has no policy of its own.");
            await connection.ExecuteAsync(new CommandDefinition("DELETE FROM policies WHERE model_id = @modelId", new { modelId }, transaction, cancellationToken: cancellationToken));
            await audit.AppendAsync(transaction, caller.Name, "policy.delete", ModelResource(model), ToDocument(before, model), null, cancellationToken);
            return true;
        }, cancellationToken);
    }

    /// <summary>
    /// Every target the policies in effect for <paramref name="model"/> name, each with the rule that wins for it and
    /// whose policy that is; a target whose nearest rule unprotects it is listed as not protected.
    /// </summary>
    public async Task<EffectivePolicy> EffectiveAsync(Caller caller, string model, CancellationToken cancellationToken)
    {
        var ns = NamespacePath.Split(model).Namespace;
        caller.Require(Role.Reader, ns);
        return await database.ReadAsync(async connection =>
        {
            var modelId = await ModelIdAsync(connection, null, model, cancellationToken);
            var chain = await ChainAsync(connection, null, modelId, model, ns, cancellationToken);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var rules = new List<EffectiveRule>();
            foreach (var level in chain)
            {
                foreach (var rule in level.Policy.ProtectedTargets)
                {
                    if (seen.Add(rule.Key))
                    {
                        var target = rule.Stage ?? "@" + rule.Alias;
                        rules.Add(new EffectiveRule(target, !rule.Unprotects, rule, level.Source));
                    }
                }
            }
            return new EffectivePolicy(model, ns, rules);
        }, cancellationToken);
    }

    /// <summary>
    /// The rule governing <paramref name="target"/> of the model with id <paramref name="modelId"/> in
    /// <paramref name="namespace"/>, read in <paramref name="transaction"/>; null when the target is unprotected.
    /// </summary>
    public static async Task<GoverningRule?> GoverningRuleAsync(
        DbTransaction transaction, long modelId, string model, string @namespace, PromotionTarget target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        var chain = await ChainAsync(transaction.Connection!, transaction, modelId, model, @namespace, cancellationToken);
        return Resolve(chain, target);
    }

    /// <summary>The policies that apply to a model, nearest first: its own, its namespace's, then each above it.</summary>
    internal sealed record PolicyLevel(string Source, Policy Policy);

    internal static async Task<IReadOnlyList<PolicyLevel>> ChainAsync(
        DbConnection connection, DbTransaction? transaction, long modelId, string model, string @namespace, CancellationToken cancellationToken)
    {
        var namespaces = Ancestry(@namespace);
        var parameters = new DynamicParameters();
        parameters.Add("modelId", modelId);
        for (var i = 0; i < namespaces.Count; i++)
        {
            parameters.Add($"n{i}", namespaces[i]);
        }
        var rows = (await connection.QueryAsync<PolicyRow>(new CommandDefinition(
            $"SELECT namespace, model_id, document, updated_at, updated_by FROM policies WHERE model_id = @modelId OR namespace IN ({string.Join(", ", namespaces.Select((_, i) => $"@n{i}"))})",
            parameters, transaction, cancellationToken: cancellationToken))).ToList();
        var levels = new List<PolicyLevel>();
        if (rows.FirstOrDefault(r => r.ModelId is not null) is { } own)
        {
            levels.Add(new PolicyLevel(ModelSource(model), Parse(own.Document)));
        }
        foreach (var ns in namespaces)
        {
            if (rows.FirstOrDefault(r => r.Namespace == ns) is { } row)
            {
                levels.Add(new PolicyLevel(NamespaceSource(ns), Parse(row.Document)));
            }
        }
        return levels;
    }

    /// <summary>
    /// The nearest level with a rule covering <paramref name="target"/> decides; within one policy an exact alias name
    /// beats a pattern, and a pattern with more fixed characters beats one with fewer.
    /// </summary>
    internal static GoverningRule? Resolve(IReadOnlyList<PolicyLevel> chain, PromotionTarget target)
    {
        foreach (var level in chain)
        {
            var best = level.Policy.ProtectedTargets
                .Where(r => r.Covers(target))
                .OrderByDescending(r => r.Alias is null || !r.Alias.Contains('*', StringComparison.Ordinal))
                .ThenByDescending(r => r.Alias?.Count(c => c != '*') ?? 0)
                .FirstOrDefault();
            if (best is not null)
            {
                return best.Unprotects ? null : new GoverningRule(best, level.Source);
            }
        }
        return null;
    }

    /// <summary>The namespace and each one above it, nearest first, ending at the root.</summary>
    internal static List<string> Ancestry(string @namespace)
    {
        var result = new List<string>();
        var ns = @namespace;
        while (ns != NamespacePath.Root)
        {
            result.Add(ns);
            var slash = ns.LastIndexOf('/');
            ns = slash <= 0 ? NamespacePath.Root : ns[..slash];
        }
        result.Add(NamespacePath.Root);
        return result;
    }

    private static Policy Parse(string document) =>
        JsonSerializer.Deserialize<Policy>(document, CairnJson.Options) ?? new Policy([]);

    private static void Check(Policy? policy)
    {
        if (policy is null)
        {
            throw new InvalidParameterException("The body must be a policy: {\"protected_targets\": [...]}.");
        }
        policy.Validate();
    }

    private static async Task<long> ModelIdAsync(DbConnection connection, DbTransaction? transaction, string model, CancellationToken cancellationToken) =>
        await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT id FROM models WHERE full_name = @model", new { model }, transaction, cancellationToken: cancellationToken))
        ?? throw ModelCatalog.Missing(model);

    private static PolicyDocument ToDocument(PolicyRow row, string? model) => new(
        row.Namespace is null ? ModelSource(model!) : NamespaceSource(row.Namespace), row.Namespace, model, Parse(row.Document),
        DateTimeOffset.FromUnixTimeMilliseconds(row.UpdatedAt), row.UpdatedBy);

    internal static string NamespaceSource(string ns) => GoverningRule.NamespacePrefix + ns;

    internal static string ModelSource(string model) => GoverningRule.ModelPrefix + model;

    /// <summary>The audit resource of a namespace's policy: <c>policies/&lt;namespace without its leading '/'&gt;</c>.</summary>
    internal static string NamespaceResource(string ns) => "policies/" + ns[1..];

    internal static string ModelResource(string model) => $"{ModelCatalog.Resource(model)}/policy";
}
