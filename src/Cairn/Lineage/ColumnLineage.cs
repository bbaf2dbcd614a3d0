using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Cairn.Catalog;
using Cairn.Governance;
using Cairn.Storage;
using Dapper;

namespace Cairn.Lineage;

/// <summary>
/// A field an output field was computed from, and how (OpenLineage's columnLineage facet); <c>Transformations</c> is
/// the 1-2-0 facet's list for this input as sent (type, subtype, description, masking).
/// </summary>
public sealed record ColumnLineageInput(
    string Namespace, string Name, string Field, string? TransformationDescription, string? TransformationType, JsonElement? Transformations);

/// <summary>One output field and the fields it was computed from; <see cref="Field"/> is <c>""</c> for the dataset-level entry.</summary>
public sealed record ColumnLineageField(string Field, IReadOnlyList<ColumnLineageInput> InputFields);

/// <summary>One edge of column lineage as stored: the input field fed the output field.</summary>
internal sealed record ColumnLineageEdge(
    string OutputDataset, string OutputNamespace, string OutputName, string OutputField,
    string InputDataset, string InputNamespace, string InputName, string InputField,
    string? TransformationDescription, string? TransformationType, string? Transformations, string? RunId, string? JobId);

/// <summary>Column lineage as Marquez's <c>GET /api/v1/column-lineage</c> answers it: dataset fields and their edges.</summary>
public sealed record ColumnLineageGraph(IReadOnlyList<ColumnLineageNode> Graph);

public sealed record ColumnLineageNode(string Id, string Type, ColumnLineageNodeData Data, IReadOnlyList<ColumnLineageLink> InEdges, IReadOnlyList<ColumnLineageLink> OutEdges);

/// <summary>A field node's data, in Marquez's field names; an input-only field has an empty type and no input fields.</summary>
public sealed record ColumnLineageNodeData(
    string Namespace, string Dataset, string? DatasetVersion, string Field, string? FieldType,
    string? TransformationDescription, string? TransformationType, IReadOnlyList<ColumnLineageInputData> InputFields);

public sealed record ColumnLineageInputData(
    string Namespace, string Dataset, string? DatasetVersion, string Field, string? TransformationDescription, string? TransformationType);

/// <summary>An edge as Marquez writes it: an in-edge's origin is the node itself and its destination the input field.</summary>
public sealed record ColumnLineageLink(string Origin, string Destination);

/// <summary>
/// Column lineage: the <c>columnLineage</c> facet of each output dataset, stored one row per (output field, input field)
/// and walked as Marquez walks it. Rows are written set-based, one statement per group of events; a later event naming the
/// same edge rewrites its transformation and the run and job that last wrote it. Edges are never removed, as in Marquez.
/// </summary>
public sealed class ColumnLineage(CairnDatabase database)
{
    /// <summary>Marquez's default depth for column lineage.</summary>
    public const int DefaultDepth = 20;

    /// <summary>Writes <paramref name="edges"/> in the caller's transaction, one statement whatever their number.</summary>
    internal static async Task WriteAsync(DbTransaction transaction, IReadOnlyList<ColumnLineageEdge> edges, long now, CancellationToken cancellationToken)
    {
        if (edges.Count == 0)
        {
            return;
        }
        await transaction.Connection!.ExecuteAsync(new CommandDefinition(
            $"""
            INSERT INTO column_lineage (output_dataset, output_field, input_dataset, input_field, output_namespace, output_name, input_namespace, input_name,
                                        transformation_description, transformation_type, transformations, run_id, job_id, created_at, updated_at)
            SELECT r.output_dataset, r.output_field, r.input_dataset, r.input_field, r.output_namespace, r.output_name, r.input_namespace, r.input_name,
                   r.transformation_description, r.transformation_type, r.transformations, r.run_id, r.job_id, @now, @now
            FROM {SqlDialects.Of(transaction).JsonRows("@rows", EdgeColumns)} WHERE true
            ON CONFLICT (output_dataset, output_field, input_dataset, input_field) DO UPDATE SET
                transformation_description = excluded.transformation_description,
                transformation_type = excluded.transformation_type,
                transformations = excluded.transformations,
                run_id = COALESCE(excluded.run_id, column_lineage.run_id),
                job_id = COALESCE(excluded.job_id, column_lineage.job_id),
                updated_at = excluded.updated_at
            """, new { rows = SqlDialects.RowsParameter(edges), now }, transaction, cancellationToken: cancellationToken));
    }

    private static readonly (string, string)[] EdgeColumns =
        [("output_dataset", "text"), ("output_field", "text"), ("input_dataset", "text"), ("input_field", "text"), ("output_namespace", "text"),
         ("output_name", "text"), ("input_namespace", "text"), ("input_name", "text"), ("transformation_description", "text"),
         ("transformation_type", "text"), ("transformations", "text"), ("run_id", "text"), ("job_id", "text")];

    private const string SelectEdges = """
        SELECT output_dataset, output_namespace, output_name, output_field, input_dataset, input_namespace, input_name, input_field,
               transformation_description, transformation_type, transformations, run_id, job_id
        FROM column_lineage
        """;

    /// <summary>The column lineage of each of <paramref name="datasetIds"/>, in one query: what each field was computed from.</summary>
    internal async Task<Dictionary<string, List<ColumnLineageField>>> OfDatasetsAsync(DbConnection connection, DbTransaction? transaction, IReadOnlyCollection<string> datasetIds, CancellationToken cancellationToken)
    {
        var byDataset = new Dictionary<string, List<ColumnLineageField>>(StringComparer.Ordinal);
        if (datasetIds.Count == 0)
        {
            return byDataset;
        }
        var ids = datasetIds.ToList();
        var edges = await connection.QueryAsync<ColumnLineageEdge>(new CommandDefinition(
            SelectEdges + $" WHERE {database.Dialect.InList("output_dataset", "@ids")} ORDER BY output_dataset, output_field, input_namespace, input_name, input_field",
            new { ids }, transaction, cancellationToken: cancellationToken));
        foreach (var dataset in edges.GroupBy(e => e.OutputDataset, StringComparer.Ordinal))
        {
            byDataset[dataset.Key] = dataset.GroupBy(e => e.OutputField, StringComparer.Ordinal)
                .Select(field => new ColumnLineageField(field.Key, field.Select(e => new ColumnLineageInput(
                    e.InputNamespace, e.InputName, e.InputField, e.TransformationDescription, e.TransformationType,
                    e.Transformations is null ? null : MetadataStore.ReadProperties(e.Transformations))).ToList()))
                .ToList();
        }
        return byDataset;
    }

    /// <summary>
    /// The column lineage around <paramref name="nodeId"/> (<c>datasetField:&lt;ns&gt;:&lt;name&gt;:&lt;field&gt;</c>, a
    /// dataset, or a job: the fields it wrote), as Marquez answers it: the edges into the start fields, then, up to
    /// <paramref name="depth"/> edges in all, the edges into those edges' inputs and, <paramref name="withDownstream"/>,
    /// the edges out of their outputs. 404 when the node or field is unknown; an empty graph when it has no lineage.
    /// </summary>
    public async Task<ColumnLineageGraph> LineageAsync(Caller caller, string? nodeId, int? depth, bool withDownstream, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        if (string.IsNullOrWhiteSpace(nodeId))
        {
            throw new InvalidParameterException("'nodeId' is required: datasetField:<namespace>:<name>:<field>, dataset:<namespace>:<name> or job:<namespace>:<name>.");
        }
        var levels = depth ?? DefaultDepth;
        if (levels is < 0 or > LineageGraph.MaxDepth)
        {
            throw new InvalidParameterException($"'depth' must be between 0 and {LineageGraph.MaxDepth}; got {levels}.");
        }
        return await database.ReadAsync(async connection =>
        {
            var start = await StartFieldsAsync(connection, nodeId, cancellationToken);
            var found = new Dictionary<(string, string, string, string), ColumnLineageEdge>();
            // Marquez's base rows: the edges into the start fields (and, as Cairn adds, out of them when downstream is
            // asked: otherwise a source column, which has no edge in, would have no downstream either).
            var frontier = await EdgesAsync(connection, start, withDownstream ? start : [], found, cancellationToken);
            // Marquez recurses while a row's depth is below depth - 1: depth counts edges.
            for (var level = 0; level < levels - 1 && frontier.Count > 0; level++)
            {
                var up = frontier.Select(e => (e.InputDataset, e.InputField)).ToHashSet();
                var down = withDownstream ? frontier.Select(e => (e.OutputDataset, e.OutputField)).ToHashSet() : [];
                frontier = await EdgesAsync(connection, up, down, found, cancellationToken);
            }
            return await ToGraphAsync(connection, found.Values, cancellationToken);
        }, cancellationToken);
    }

    /// <summary>New edges (not yet in <paramref name="found"/>) into <paramref name="outputs"/> or out of <paramref name="inputs"/>, one query.</summary>
    private async Task<List<ColumnLineageEdge>> EdgesAsync(
        DbConnection connection, IReadOnlySet<(string Dataset, string Field)> outputs, IReadOnlySet<(string Dataset, string Field)> inputs,
        Dictionary<(string, string, string, string), ColumnLineageEdge> found, CancellationToken cancellationToken)
    {
        if (outputs.Count == 0 && inputs.Count == 0)
        {
            return [];
        }
        var intoIds = outputs.Select(f => f.Dataset).Distinct().ToList();
        var outOfIds = inputs.Select(f => f.Dataset).Distinct().ToList();
        var where = new List<string>();
        if (intoIds.Count > 0)
        {
            where.Add(database.Dialect.InList("output_dataset", "@intoIds"));
        }
        if (outOfIds.Count > 0)
        {
            where.Add(database.Dialect.InList("input_dataset", "@outOfIds"));
        }
        var edges = await connection.QueryAsync<ColumnLineageEdge>(new CommandDefinition(
            SelectEdges + $" WHERE output_field <> '' AND ({string.Join(" OR ", where)})",
            new { intoIds, outOfIds }, cancellationToken: cancellationToken));
        var added = new List<ColumnLineageEdge>();
        foreach (var e in edges)
        {
            if ((outputs.Contains((e.OutputDataset, e.OutputField)) || inputs.Contains((e.InputDataset, e.InputField)))
                && found.TryAdd((e.OutputDataset, e.OutputField, e.InputDataset, e.InputField), e))
            {
                added.Add(e);
            }
        }
        return added;
    }

    /// <summary>The fields a node id starts the walk from; 404 when the id names nothing known.</summary>
    private async Task<HashSet<(string Dataset, string Field)>> StartFieldsAsync(DbConnection connection, string nodeId, CancellationToken cancellationToken)
    {
        if (nodeId.StartsWith("job:", StringComparison.Ordinal))
        {
            var written = await connection.QueryAsync<(string, string)>(new CommandDefinition(
                "SELECT DISTINCT output_dataset, output_field FROM column_lineage WHERE job_id = @nodeId AND output_field <> ''",
                new { nodeId }, cancellationToken: cancellationToken));
            var fields = written.ToHashSet();
            return fields.Count > 0 ? fields : throw new NotFoundException($"Job '{nodeId}' wrote no field with column lineage.");
        }
        string? field = null;
        List<string> candidates;
        if (nodeId.StartsWith("datasetField:", StringComparison.Ordinal))
        {
            // Which colon ends the dataset's name is ambiguous when names hold colons: every split is tried, the last
            // colon first (field names rarely hold one), and the first that names a known dataset wins.
            var rest = nodeId["datasetField:".Length..];
            candidates = [];
            for (var i = rest.LastIndexOf(':'); i > 0; i = rest.LastIndexOf(':', i - 1))
            {
                candidates.Add("dataset:" + rest[..i] + "\n" + rest[(i + 1)..]);
            }
        }
        else if (nodeId.StartsWith("dataset:", StringComparison.Ordinal))
        {
            candidates = [nodeId + "\n"];
        }
        else
        {
            throw new InvalidParameterException($"'{nodeId}' is not a column-lineage node id: use datasetField:<namespace>:<name>:<field>, dataset:<namespace>:<name> or job:<namespace>:<name>.");
        }
        var ids = candidates.Select(c => c[..c.IndexOf('\n', StringComparison.Ordinal)]).Distinct().ToList();
        var known = (await connection.QueryAsync<(string Named, string Dataset, string? Schema)>(new CommandDefinition(
            $"""
            SELECT n.id, COALESCE(a.dataset_id, n.id), d.schema
            FROM (SELECT id FROM lineage_nodes WHERE kind = 'dataset' AND {database.Dialect.InList("id", "@ids")}
                  UNION SELECT id FROM dataset_aliases WHERE {database.Dialect.InList("id", "@ids")}) n
            LEFT JOIN dataset_aliases a ON a.id = n.id
            LEFT JOIN datasets d ON d.id = COALESCE(a.dataset_id, n.id)
            """, new { ids }, cancellationToken: cancellationToken))).ToDictionary(k => k.Named, StringComparer.Ordinal);
        foreach (var candidate in candidates)
        {
            var named = candidate[..candidate.IndexOf('\n', StringComparison.Ordinal)];
            if (!known.TryGetValue(named, out var dataset))
            {
                continue;
            }
            field = candidate[(named.Length + 1)..];
            var schema = dataset.Schema is null ? [] : JsonSerializer.Deserialize<List<DatasetField>>(dataset.Schema, CairnJson.Options) ?? [];
            var inLineage = (await connection.QueryAsync<string>(new CommandDefinition(
                "SELECT DISTINCT output_field FROM column_lineage WHERE output_dataset = @Dataset AND output_field <> '' UNION SELECT DISTINCT input_field FROM column_lineage WHERE input_dataset = @Dataset",
                new { dataset.Dataset }, cancellationToken: cancellationToken))).ToList();
            var fields = schema.Select(f => f.Name).Concat(inLineage).Where(f => field.Length == 0 || f == field).Select(f => (dataset.Dataset, f)).ToHashSet();
            if (fields.Count > 0)
            {
                return fields;
            }
        }
        throw new NotFoundException(field is null ? $"Dataset of '{nodeId}' does not exist." : $"'{nodeId}' names no field of a known dataset.");
    }

    /// <summary>Marquez's nodes: each output field with its inputs, each input-only field bare; edges both ways, all sorted.</summary>
    private async Task<ColumnLineageGraph> ToGraphAsync(DbConnection connection, IEnumerable<ColumnLineageEdge> edges, CancellationToken cancellationToken)
    {
        var all = edges.ToList();
        var datasetIds = all.Select(e => e.OutputDataset).Distinct().ToList();
        var schemas = datasetIds.Count == 0 ? [] : (await connection.QueryAsync<(string Id, string? Schema)>(new CommandDefinition(
            $"SELECT id, schema FROM datasets WHERE {database.Dialect.InList("id", "@datasetIds")}", new { datasetIds }, cancellationToken: cancellationToken)))
            .ToDictionary(r => r.Id, r => (r.Schema is null ? [] : JsonSerializer.Deserialize<List<DatasetField>>(r.Schema, CairnJson.Options) ?? [])
                .ToDictionary(f => f.Name, f => f.Type, StringComparer.Ordinal), StringComparer.Ordinal);
        static string Id(string ns, string name, string field) => $"datasetField:{ns}:{name}:{field}";
        var nodes = new SortedDictionary<string, (ColumnLineageNodeData Data, SortedSet<string> In, SortedSet<string> Out)>(StringComparer.Ordinal);
        foreach (var output in all.GroupBy(e => (e.OutputDataset, e.OutputNamespace, e.OutputName, e.OutputField)))
        {
            var inputs = output.OrderBy(e => e.InputNamespace, StringComparer.Ordinal).ThenBy(e => e.InputName, StringComparer.Ordinal).ThenBy(e => e.InputField, StringComparer.Ordinal)
                .Select(e => new ColumnLineageInputData(e.InputNamespace, e.InputName, null, e.InputField, e.TransformationDescription, e.TransformationType)).ToList();
            var type = schemas.TryGetValue(output.Key.OutputDataset, out var fields) ? fields.GetValueOrDefault(output.Key.OutputField) : null;
            nodes[Id(output.Key.OutputNamespace, output.Key.OutputName, output.Key.OutputField)] = (
                new ColumnLineageNodeData(output.Key.OutputNamespace, output.Key.OutputName, null, output.Key.OutputField, type,
                    inputs[0].TransformationDescription, inputs[0].TransformationType, inputs),
                new SortedSet<string>(StringComparer.Ordinal), new SortedSet<string>(StringComparer.Ordinal));
        }
        foreach (var e in all)
        {
            var input = Id(e.InputNamespace, e.InputName, e.InputField);
            if (!nodes.ContainsKey(input))
            {
                nodes[input] = (new ColumnLineageNodeData(e.InputNamespace, e.InputName, null, e.InputField, "", e.TransformationDescription, e.TransformationType, []),
                    new SortedSet<string>(StringComparer.Ordinal), new SortedSet<string>(StringComparer.Ordinal));
            }
        }
        foreach (var e in all)
        {
            var output = Id(e.OutputNamespace, e.OutputName, e.OutputField);
            var input = Id(e.InputNamespace, e.InputName, e.InputField);
            nodes[output].In.Add(input);
            nodes[input].Out.Add(output);
        }
        return new ColumnLineageGraph(nodes.Select(n => new ColumnLineageNode(n.Key, "DATASET_FIELD", n.Value.Data,
            n.Value.In.Select(i => new ColumnLineageLink(n.Key, i)).ToList(),
            n.Value.Out.Select(o => new ColumnLineageLink(n.Key, o)).ToList())).ToList());
    }
}
