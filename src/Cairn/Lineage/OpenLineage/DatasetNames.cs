using System.Data.Common;
using Cairn.Storage;
using Dapper;

namespace Cairn.Lineage.OpenLineage;

/// <summary>Another name of a dataset, from its symlinks facet.</summary>
internal sealed record DatasetAlias(string Id, string Namespace, string Name, string? Type, string DatasetId);

/// <summary>A name a symlinks facet gives a dataset, with its type (<c>TABLE</c>, <c>LOCATION</c>).</summary>
internal sealed record DatasetName(string Namespace, string Name, string? Type);

/// <summary>
/// The dataset names of one ingestion transaction and the nodes they resolve to. A dataset's symlinks facet gives it
/// other names (the Hive table <c>hive://metastore:9083</c> + <c>db.orders</c> of the HDFS location
/// <c>hdfs://namenode:8020</c> + <c>/warehouse/db.db/orders</c>); every name resolves to one node, the canonical one:
/// the name under which the dataset was first recorded. A name not yet recorded whose symlinks name a recorded dataset
/// becomes another name of it; names the symlinks give that are not yet recorded become other names of the dataset.
/// Two names already recorded as two datasets stay two (joining them would rewrite history and edges).
/// Resolution is read once per transaction, for every name its events hold, and kept up to date as they are recorded.
/// </summary>
internal sealed class DatasetNames
{
    private readonly Dictionary<string, LineageNode> _canonical = new(StringComparer.Ordinal);

    /// <summary>
    /// Reads how <paramref name="named"/> (every dataset name a group's events hold) resolve today: one query for the
    /// whole group, the names as one parameter (a group of 1,000 events names thousands).
    /// </summary>
    public static async Task<DatasetNames> LoadAsync(DbTransaction transaction, ISqlDialect dialect, IEnumerable<(string Namespace, string Name)> named, CancellationToken cancellationToken)
    {
        var names = new DatasetNames();
        var ids = named.Select(n => NodeIds.Dataset(n.Namespace, n.Name)).Distinct(StringComparer.Ordinal).ToList();
        if (ids.Count == 0)
        {
            return names;
        }
        var rows = await transaction.Connection!.QueryAsync<(string Named, string Id, string Namespace, string Name, string Kind)>(new CommandDefinition(
            LoadSql(dialect), new { ids = dialect.ValueSetParameter(ids) }, transaction, cancellationToken: cancellationToken));
        foreach (var row in rows.Where(r => r.Kind == "dataset"))
        {
            names._canonical[row.Named] = new LineageNode(row.Id, "dataset", row.Namespace, row.Name);
        }
        return names;
    }

    /// <summary>
    /// The names' canonical nodes: a name recorded as another name of a dataset, or a dataset's own name. Each is looked up
    /// by its id. The node's kind is checked by the caller, not in the query: with <c>n.kind = 'dataset'</c> in it, SQLite
    /// preferred the (kind, namespace, name) index and read every dataset node for each group (0.8 ms at 2,000 datasets,
    /// growing with the store).
    /// </summary>
    internal static string LoadSql(ISqlDialect dialect) =>
        $"""
        SELECT a.id, c.id, c.namespace, c.name, 'dataset' FROM dataset_aliases a JOIN lineage_nodes c ON c.id = a.dataset_id WHERE a.id IN {dialect.ValueSet("@ids", "TEXT")}
        UNION ALL
        SELECT n.id, n.id, n.namespace, n.name, n.kind FROM lineage_nodes n
        WHERE n.id IN {dialect.ValueSet("@ids", "TEXT")} AND NOT EXISTS (SELECT 1 FROM dataset_aliases x WHERE x.id = n.id)
        """;

    /// <summary>The node a dataset of an event (<paramref name="namespace"/>, <paramref name="name"/>, and the names its symlinks give) is recorded under; its new names go to <paramref name="aliases"/>.</summary>
    public LineageNode Resolve(string @namespace, string name, IReadOnlyList<DatasetName> links, List<DatasetAlias> aliases)
    {
        var own = NodeIds.DatasetNode(@namespace, name);
        if (!_canonical.TryGetValue(own.Id, out var node))
        {
            node = links.Select(l => _canonical.GetValueOrDefault(NodeIds.Dataset(l.Namespace, l.Name))).FirstOrDefault(n => n is not null) ?? own;
            _canonical[own.Id] = node;
            if (node.Id != own.Id)
            {
                aliases.Add(new DatasetAlias(own.Id, own.Namespace!, own.Name, null, node.Id));
            }
        }
        foreach (var (ns, other, type) in links)
        {
            var id = NodeIds.Dataset(ns, other);
            if (_canonical.TryAdd(id, node))
            {
                aliases.Add(new DatasetAlias(id, ns, other, type, node.Id));
            }
        }
        return node;
    }

    /// <summary>The node a name resolves to, or the name's own node when it names nothing recorded.</summary>
    public LineageNode Known(string @namespace, string name) =>
        _canonical.GetValueOrDefault(NodeIds.Dataset(@namespace, name)) ?? NodeIds.DatasetNode(@namespace, name);

    /// <summary>Records new names, one statement whatever their number.</summary>
    public static async Task RecordAsync(DbTransaction transaction, List<DatasetAlias> aliases, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (aliases.Count == 0)
        {
            return;
        }
        await transaction.Connection!.ExecuteAsync(new CommandDefinition(
            $"""
            INSERT INTO dataset_aliases (id, namespace, name, type, dataset_id, created_at)
            SELECT r.id, r.namespace, r.name, r.type, r.dataset_id, @now FROM {SqlDialects.Of(transaction).JsonRows("@rows", AliasColumns)} WHERE true
            ON CONFLICT (id) DO NOTHING
            """,
            new { rows = SqlDialects.RowsParameter(aliases), now = clock.GetUtcNow().ToUnixTimeMilliseconds() }, transaction, cancellationToken: cancellationToken));
    }

    private static readonly (string, string)[] AliasColumns = [("id", "text"), ("namespace", "text"), ("name", "text"), ("type", "text"), ("dataset_id", "text")];
}
