using System.Diagnostics;
using System.Globalization;
using Cairn.Storage;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace Cairn.Bench;

/// <summary>
/// A generated lineage graph of the shape a busy ML platform records: many pipelines of 100 nodes each (raw datasets →
/// ingestion runs → feature datasets → training runs → model versions → evaluation reports, the runs under two jobs),
/// shared reference datasets ("hubs", one per thousand nodes) that ingestion and training runs of many pipelines read,
/// and cross-links from earlier pipelines to later ones (a model version that scores data for a later pipeline's ingestion,
/// a feature dataset that a later pipeline trains on). Cross-links only point from a pipeline to a later one and, inside a
/// pipeline, edges only point down the stages, so the graph has no cycle. Edges average three per node.
/// Generation is deterministic: the same node count always gives the same graph.
/// </summary>
internal sealed class LineageBenchGraph
{
    /// <summary>Bumped whenever the shape changes, so that a stored graph of an older shape is regenerated.</summary>
    public const string ShapeVersion = "v1";

    public const int NodesPerPipeline = 100;

    /// <summary>Edges every pipeline has, before cross-links: see <see cref="EdgesOf"/>.</summary>
    public const int StructuralEdgesPerPipeline = 263;

    private const int Raw = 10, Ingest = 20, Features = 30, Train = 18, Models = 18, Reports = 2;
    private const int RawAt = 2, IngestAt = RawAt + Raw, FeaturesAt = IngestAt + Ingest, TrainAt = FeaturesAt + Features,
        ModelsAt = TrainAt + Train, ReportsAt = ModelsAt + Models;

    /// <summary>How far back (in pipelines) a cross-link reaches.</summary>
    private const int CrossWindow = 200;

    private const int Seed = 20261123;

    public LineageBenchGraph(int nodes)
    {
        Hubs = Math.Max(1, nodes / 1000);
        Pipelines = Math.Max(2, (nodes - Hubs) / NodesPerPipeline);
        Nodes = Hubs + ((long)Pipelines * NodesPerPipeline);
        Edges = 3 * Nodes;
        CrossLinks = Edges - ((long)Pipelines * StructuralEdgesPerPipeline);
        if (CrossLinks < 0 || CrossLinks > (long)(Pipelines - 1) * 38)
        {
            throw new ArgumentOutOfRangeException(nameof(nodes), nodes, "This node count does not give three edges per node with this shape.");
        }
    }

    public int Hubs { get; }

    public int Pipelines { get; }

    public long Nodes { get; }

    public long Edges { get; }

    public long CrossLinks { get; }

    /// <summary>What the stored graph's marker says: shape version and size.</summary>
    public string Marker => string.Create(CultureInfo.InvariantCulture, $"{{\"cairn_bench_lineage\":\"{ShapeVersion} nodes={Nodes} edges={Edges}\"}}");

    /// <summary>The first hub carries <see cref="Marker"/> in its properties once the whole graph is written.</summary>
    public static string MarkerNode => HubId(0);

    public static string HubId(int hub) => string.Create(CultureInfo.InvariantCulture, $"dataset:bench.reference:hub{hub:D5}");

    /// <summary>The node at <paramref name="index"/> (hubs first, then pipeline after pipeline): id, kind, namespace, name.</summary>
    public (string Id, string Kind, string? Namespace, string Name) Node(long index)
    {
        if (index < Hubs)
        {
            return (HubId((int)index), "dataset", "bench.reference", string.Create(CultureInfo.InvariantCulture, $"hub{index:D5}"));
        }
        var pipeline = (int)((index - Hubs) / NodesPerPipeline);
        var local = (int)((index - Hubs) % NodesPerPipeline);
        return Local(pipeline, local);
    }

    private static (string Id, string Kind, string? Namespace, string Name) Local(int p, int local)
    {
        var c = CultureInfo.InvariantCulture;
        string ns, name;
        switch (local)
        {
            case < RawAt:
                ns = string.Create(c, $"bench.p{p:D5}");
                name = local == 0 ? "ingest" : "train";
                return ($"job:{ns}:{name}", "job", ns, name);
            case < IngestAt:
                ns = string.Create(c, $"bench.p{p:D5}.raw");
                name = string.Create(c, $"t{local - RawAt:D2}");
                return ($"dataset:{ns}:{name}", "dataset", ns, name);
            case < FeaturesAt:
                name = string.Create(c, $"bench-p{p:D5}-ingest-{local - IngestAt:D2}");
                return ($"run:{name}", "run", null, name);
            case < TrainAt:
                ns = string.Create(c, $"bench.p{p:D5}.features");
                name = string.Create(c, $"f{local - FeaturesAt:D2}");
                return ($"dataset:{ns}:{name}", "dataset", ns, name);
            case < ModelsAt:
                name = string.Create(c, $"bench-p{p:D5}-train-{local - TrainAt:D2}");
                return ($"run:{name}", "run", null, name);
            case < ReportsAt:
                // Three models of six versions each.
                ns = string.Create(c, $"bench.p{p:D5}.model{(local - ModelsAt) / 6}");
                name = string.Create(c, $"{((local - ModelsAt) % 6) + 1}");
                return ($"model:{ns}:{name}", "model", ns, name);
            default:
                ns = string.Create(c, $"bench.p{p:D5}.eval");
                name = string.Create(c, $"report{local - ReportsAt}");
                return ($"dataset:{ns}:{name}", "dataset", ns, name);
        }
    }

    private static string Id(int pipeline, int local) => Local(pipeline, local).Id;

    /// <summary>Cross-links into pipeline <paramref name="p"/>: spread evenly, none into the first pipeline.</summary>
    private int CrossLinksOf(int p)
    {
        if (p == 0)
        {
            return 0;
        }
        var each = CrossLinks / (Pipelines - 1);
        return (int)(each + (p <= CrossLinks % (Pipelines - 1) ? 1 : 0));
    }

    /// <summary>
    /// Pipeline <paramref name="p"/>'s edges: its 263 structural ones and its cross-links from earlier pipelines.
    /// Structural, per pipeline: ingest job → 20 ingestion runs, train job → 18 training runs (parent); each ingestion
    /// run reads 2 raw datasets and 1 hub (input); ingestion runs write 30 feature datasets (output); each training run
    /// reads 5 feature datasets (input), every other one a hub too; each training run outputs one model version, and
    /// every version feeds one of 2 evaluation reports.
    /// </summary>
    public IEnumerable<(string Source, string Target, string Kind)> EdgesOf(int p)
    {
        var random = new Random(Seed + p);
        var ingestJob = Id(p, 0);
        var trainJob = Id(p, 1);
        for (var i = 0; i < Ingest; i++)
        {
            var run = Id(p, IngestAt + i);
            yield return (ingestJob, run, "parent");
            var first = i / 2;
            yield return (Id(p, RawAt + first), run, "input");
            yield return (Id(p, RawAt + ((first + 1 + random.Next(Raw - 1)) % Raw)), run, "input");
            yield return (HubId(random.Next(Hubs)), run, "input");
        }
        for (var f = 0; f < Features; f++)
        {
            yield return (Id(p, IngestAt + (f % Ingest)), Id(p, FeaturesAt + f), "output");
        }
        var picks = new int[Features];
        for (var t = 0; t < Train; t++)
        {
            var run = Id(p, TrainAt + t);
            yield return (trainJob, run, "parent");
            for (var f = 0; f < Features; f++)
            {
                picks[f] = f;
            }
            for (var k = 0; k < 5; k++)
            {
                var j = k + random.Next(Features - k);
                (picks[k], picks[j]) = (picks[j], picks[k]);
                yield return (Id(p, FeaturesAt + picks[k]), run, "input");
            }
            if (t % 2 == 0)
            {
                yield return (HubId(random.Next(Hubs)), run, "input");
            }
            var model = Id(p, ModelsAt + t);
            yield return (run, model, "output");
            yield return (model, Id(p, ReportsAt + (t % Reports)), "input");
        }
        var cross = CrossLinksOf(p);
        var scoring = Math.Min(Ingest, cross / 2);
        for (var i = 0; i < scoring; i++)
        {
            yield return (Id(Earlier(p, random), ModelsAt + random.Next(Models)), Id(p, IngestAt + i), "input");
        }
        var seen = new HashSet<(string, string)>();
        for (var k = 0; k < cross - scoring; k++)
        {
            var target = Id(p, TrainAt + (k % Train));
            string source;
            do
            {
                source = Id(Earlier(p, random), FeaturesAt + random.Next(Features));
            }
            while (!seen.Add((source, target)));
            yield return (source, target, "input");
        }
    }

    private static int Earlier(int p, Random random) => p - 1 - random.Next(Math.Min(p, CrossWindow));

    /// <summary>Whether the store already holds this graph (its marker is written last, in the last transaction).</summary>
    public async Task<bool> IsStoredAsync(string database, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(database, cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT properties FROM lineage_nodes WHERE id = @id";
        var parameter = command.CreateParameter();
        parameter.ParameterName = "id";
        parameter.Value = MarkerNode;
        command.Parameters.Add(parameter);
        return await command.ExecuteScalarAsync(cancellationToken) is string properties && properties == Marker;
    }

    /// <summary>
    /// Writes the graph into the store's lineage tables, replacing a partial or different bench graph; refuses to touch
    /// a store whose lineage tables hold anything else.
    /// </summary>
    public async Task GenerateAsync(string database, TextWriter progress, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        if (CairnDatabase.IsPostgres(database))
        {
            await GeneratePostgresAsync(database, progress, cancellationToken);
        }
        else
        {
            await GenerateSqliteAsync(database, progress, cancellationToken);
        }
        progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"lineage graph: {Nodes:N0} nodes, {Edges:N0} edges written in {watch.Elapsed.TotalSeconds:F0} s"));
    }

    private static async Task<System.Data.Common.DbConnection> OpenAsync(string database, CancellationToken cancellationToken)
    {
        System.Data.Common.DbConnection connection = CairnDatabase.IsPostgres(database)
            ? new NpgsqlConnection(PostgresConnectionString(database))
            : new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Pooling = false }.ToString());
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    private static string PostgresConnectionString(string database) =>
        // CairnDatabase turns a postgresql:// URI into a connection string; a plain one is taken as it is.
        database.Contains("://", StringComparison.Ordinal)
            ? throw new ArgumentException("Give the bench's --database as an Npgsql connection string (Host=…;Database=…).")
            : new NpgsqlConnectionStringBuilder(database) { CommandTimeout = 0 }.ConnectionString;

    private static async Task ClearAsync(System.Data.Common.DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandTimeout = 0;
        command.CommandText = "SELECT COUNT(*) FROM (SELECT 1 FROM lineage_nodes WHERE id NOT LIKE '%bench%' LIMIT 1) AS foreign_nodes";
        if (Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) > 0)
        {
            throw new InvalidOperationException(
                "The store's lineage tables hold nodes that are not the bench's: give lineage-traversal a store of its own (--data-dir or --database).");
        }
        command.CommandText = "DELETE FROM lineage_edges; DELETE FROM lineage_nodes;";
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task GenerateSqliteAsync(string path, TextWriter progress, CancellationToken cancellationToken)
    {
        await using var connection = (SqliteConnection)await OpenAsync(path, cancellationToken);
        await using (var pragma = connection.CreateCommand())
        {
            // A bulk load of a throwaway graph: no fsync per commit, no foreign-key probe per edge (the generator only
            // links nodes it writes), a large page cache.
            pragma.CommandText = "PRAGMA synchronous = OFF; PRAGMA foreign_keys = OFF; PRAGMA cache_size = -1000000;";
            await pragma.ExecuteNonQueryAsync(cancellationToken);
        }
        await ClearAsync(connection, cancellationToken);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var transaction = connection.BeginTransaction();
        await using var nodeInsert = connection.CreateCommand();
        nodeInsert.CommandText = "INSERT INTO lineage_nodes (id, kind, namespace, name, created_at, updated_at) VALUES ($id, $kind, $ns, $name, $now, $now)";
        var nId = nodeInsert.Parameters.Add("$id", SqliteType.Text);
        var nKind = nodeInsert.Parameters.Add("$kind", SqliteType.Text);
        var nNs = nodeInsert.Parameters.Add("$ns", SqliteType.Text);
        var nName = nodeInsert.Parameters.Add("$name", SqliteType.Text);
        nodeInsert.Parameters.AddWithValue("$now", now);
        await using var edgeInsert = connection.CreateCommand();
        edgeInsert.CommandText = "INSERT INTO lineage_edges (source, target, kind, created_at) VALUES ($source, $target, $kind, $now)";
        var eSource = edgeInsert.Parameters.Add("$source", SqliteType.Text);
        var eTarget = edgeInsert.Parameters.Add("$target", SqliteType.Text);
        var eKind = edgeInsert.Parameters.Add("$kind", SqliteType.Text);
        edgeInsert.Parameters.AddWithValue("$now", now);
        nodeInsert.Transaction = transaction;
        edgeInsert.Transaction = transaction;
        nodeInsert.Prepare();
        edgeInsert.Prepare();

        var rows = 0L;
        var total = Nodes + Edges;
        var nextReport = total / 20;
        void Written()
        {
            if (++rows >= nextReport)
            {
                progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"lineage graph (SQLite): {rows * 100 / total}% ({rows:N0} rows)"));
                nextReport += total / 20;
            }
        }
        void InsertNode(long index)
        {
            var node = Node(index);
            nId.Value = node.Id;
            nKind.Value = node.Kind;
            nNs.Value = (object?)node.Namespace ?? DBNull.Value;
            nName.Value = node.Name;
            nodeInsert.ExecuteNonQuery();
            Written();
        }
        for (var hub = 0; hub < Hubs; hub++)
        {
            InsertNode(hub);
        }
        for (var p = 0; p < Pipelines; p++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            for (var local = 0; local < NodesPerPipeline; local++)
            {
                InsertNode(Hubs + ((long)p * NodesPerPipeline) + local);
            }
            foreach (var (source, target, kind) in EdgesOf(p))
            {
                eSource.Value = source;
                eTarget.Value = target;
                eKind.Value = kind;
                edgeInsert.ExecuteNonQuery();
                Written();
            }
            // Commits of about 200,000 rows: big enough to amortise the commit, small enough to keep the WAL modest.
            if (p % 500 == 499)
            {
                transaction.Commit();
                transaction.Dispose();
                transaction = connection.BeginTransaction();
                nodeInsert.Transaction = transaction;
                edgeInsert.Transaction = transaction;
            }
        }
        await using (var mark = connection.CreateCommand())
        {
            mark.Transaction = transaction;
            mark.CommandText = "UPDATE lineage_nodes SET properties = $marker WHERE id = $id";
            mark.Parameters.AddWithValue("$marker", Marker);
            mark.Parameters.AddWithValue("$id", MarkerNode);
            mark.ExecuteNonQuery();
        }
        transaction.Commit();
        transaction.Dispose();
        await using var checkpoint = connection.CreateCommand();
        checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
        await checkpoint.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task GeneratePostgresAsync(string database, TextWriter progress, CancellationToken cancellationToken)
    {
        await using var connection = (NpgsqlConnection)await OpenAsync(database, cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ClearAsync(connection, cancellationToken);
        await using (var replica = connection.CreateCommand())
        {
            // As a superuser, skip the per-row foreign-key triggers for this load (the generator only links nodes it
            // writes); other roles keep them, which is slower but the same result.
            replica.CommandText = "SELECT rolsuper FROM pg_roles WHERE rolname = current_user";
            if (await replica.ExecuteScalarAsync(cancellationToken) is true)
            {
                replica.CommandText = "SET LOCAL session_replication_role = replica";
                await replica.ExecuteNonQueryAsync(cancellationToken);
            }
        }
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var watch = Stopwatch.StartNew();
        await using (var nodes = await connection.BeginBinaryImportAsync(
            "COPY lineage_nodes (id, kind, namespace, name, created_at, updated_at) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            for (var index = 0L; index < Nodes; index++)
            {
                var node = Node(index);
                await nodes.StartRowAsync(cancellationToken);
                await nodes.WriteAsync(node.Id, NpgsqlDbType.Text, cancellationToken);
                await nodes.WriteAsync(node.Kind, NpgsqlDbType.Text, cancellationToken);
                if (node.Namespace is null)
                {
                    await nodes.WriteNullAsync(cancellationToken);
                }
                else
                {
                    await nodes.WriteAsync(node.Namespace, NpgsqlDbType.Text, cancellationToken);
                }
                await nodes.WriteAsync(node.Name, NpgsqlDbType.Text, cancellationToken);
                await nodes.WriteAsync(now, NpgsqlDbType.Bigint, cancellationToken);
                await nodes.WriteAsync(now, NpgsqlDbType.Bigint, cancellationToken);
                if (index % 200_000 == 199_999)
                {
                    progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"lineage graph (PostgreSQL): {index + 1:N0} of {Nodes:N0} nodes copied ({watch.Elapsed.TotalSeconds:F0} s)"));
                }
            }
            await nodes.CompleteAsync(cancellationToken);
        }
        var edgesWritten = 0L;
        await using (var edges = await connection.BeginBinaryImportAsync(
            "COPY lineage_edges (source, target, kind, created_at) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            for (var p = 0; p < Pipelines; p++)
            {
                foreach (var (source, target, kind) in EdgesOf(p))
                {
                    await edges.StartRowAsync(cancellationToken);
                    await edges.WriteAsync(source, NpgsqlDbType.Text, cancellationToken);
                    await edges.WriteAsync(target, NpgsqlDbType.Text, cancellationToken);
                    await edges.WriteAsync(kind, NpgsqlDbType.Text, cancellationToken);
                    await edges.WriteAsync(now, NpgsqlDbType.Bigint, cancellationToken);
                    if (++edgesWritten % 500_000 == 0)
                    {
                        progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"lineage graph (PostgreSQL): {edgesWritten:N0} of {Edges:N0} edges copied ({watch.Elapsed.TotalSeconds:F0} s)"));
                    }
                }
            }
            await edges.CompleteAsync(cancellationToken);
        }
        progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"lineage graph (PostgreSQL): copy done ({watch.Elapsed.TotalSeconds:F0} s), committing"));
        await using (var mark = connection.CreateCommand())
        {
            mark.CommandText = "UPDATE lineage_nodes SET properties = @marker WHERE id = @id";
            mark.Parameters.AddWithValue("marker", Marker);
            mark.Parameters.AddWithValue("id", MarkerNode);
            await mark.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        await using var analyze = connection.CreateCommand();
        // What autovacuum would do shortly after such a load anyway; measuring before it would measure its absence.
        analyze.CommandText = "ANALYZE lineage_nodes; ANALYZE lineage_edges;";
        await analyze.ExecuteNonQueryAsync(cancellationToken);
        progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"lineage graph (PostgreSQL): committed and analysed ({watch.Elapsed.TotalSeconds:F0} s)"));
    }
}
