using System.CommandLine;
using System.Globalization;
using Cairn.Artifacts;
using Cairn.Storage;
using Spectre.Console;

namespace Cairn.Cli;

/// <summary><c>cairn migrate</c>: move an installation from a SQLite data directory to PostgreSQL, verified.</summary>
internal static class MigrateCommand
{
    public static Command Create()
    {
        var from = new Option<string>("--from") { Description = "The data directory to copy from (its cairn.db and artifacts/)", HelpName = "dir", Required = true };
        var to = new Option<string>("--to")
        {
            Description = "The PostgreSQL database to copy into: \"Host=…;Database=…;Username=…;Password=…\" or postgresql://user:password@host/db",
            HelpName = "connection",
            Required = true,
        };
        var artifactsTo = new Option<string>("--artifacts-to")
        {
            Description = "Copy the version files to this store too: a directory, s3://bucket/prefix (CAIRN_S3_* settings) or azure://container/prefix "
                + "(CAIRN_AZURE_CONNECTION_STRING); default: they stay in <from>/artifacts, and the server's --artifacts points there",
            HelpName = "dir|uri",
        };
        var mlflowArtifactsFrom = new Option<string>("--mlflow-artifacts-from")
        {
            Description = "Where the installation's MLflow artifact proxy kept files (its --artifacts-destination); default: <from>/mlartifacts",
            HelpName = "dir",
        };
        var mlflowArtifactsTo = new Option<string>("--mlflow-artifacts-to")
        {
            Description = "Copy MLflow's proxied artifacts to this store too (a directory, s3:// or azure://); default: <artifacts-to>/.mlartifacts when "
                + "--artifacts-to is an object store (where `cairn serve --artifacts` on it looks), else they stay where they are",
            HelpName = "dir|uri",
        };
        var command = new Command("migrate",
            "Copy everything from a SQLite data directory into PostgreSQL, then verify row counts, file checksums and the audit chain; safe to run again")
        {
            from, to, artifactsTo, mlflowArtifactsFrom, mlflowArtifactsTo,
        };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            var directory = result.GetRequiredValue(from);
            var databasePath = Path.GetFullPath(Path.Combine(directory, "cairn.db"));
            if (!File.Exists(databasePath))
            {
                throw new NotFoundException($"There is no Cairn database at {databasePath}: check --from.");
            }
            var connection = result.GetRequiredValue(to);
            if (!CairnDatabase.IsPostgres(connection))
            {
                throw new InvalidParameterException("--to must be a PostgreSQL connection string (Host=…;Database=…) or a postgresql:// URI.");
            }
            using var source = CairnDatabase.Sqlite(databasePath);
            using var target = CairnDatabase.Postgres(connection);
            var copy = new StoreCopy(source, target, TimeProvider.System);
            var staging = Path.Combine(directory, ".staging");
            var sourceFiles = new FileSystemArtifactStore(Path.Combine(directory, "artifacts"));
            var filesTo = result.GetValue(artifactsTo);
            var targetFiles = filesTo is null ? null : ArtifactLocations.Open(filesTo, staging);
            var mlflowTo = result.GetValue(mlflowArtifactsTo)
                ?? (filesTo is not null && filesTo.Contains("://", StringComparison.Ordinal) ? filesTo.TrimEnd('/') + "/.mlartifacts" : null);
            var mlflowFiles = mlflowTo is null ? ((IArtifactStore, IArtifactStore)?)null
                : (new FileSystemArtifactStore(result.GetValue(mlflowArtifactsFrom) ?? Path.Combine(directory, "mlartifacts")), ArtifactLocations.Open(mlflowTo, staging));
            var report = await StepProgress.RunAsync(output.Json, progress => copy.CopyAsync(sourceFiles, targetFiles, mlflowFiles, progress, cancellationToken));

            output.Write(report, r =>
            {
                var table = Output.Table("TABLE", "SOURCE ROWS", "TARGET ROWS", "COPIED NOW");
                foreach (var t in r.Tables)
                {
                    table.AddRow(t.Table, N(t.Source), N(t.Target), N(t.Copied));
                }
                output.Render(table);
                Output.Line($"Files: {N(r.FilesChecked)} checked against their SHA-256, {N(r.FilesCopied)} copied now. Audit chain: {N(r.AuditChain.Checked)} entries, {(r.AuditChain.Valid ? "valid" : "BROKEN")}.");
                if (mlflowTo is not null)
                {
                    Output.Line($"MLflow artifacts: {N(r.MlflowArtifactsChecked)} checked in {mlflowTo}, {N(r.MlflowArtifactsCopied)} copied now.");
                }
                foreach (var problem in r.Problems)
                {
                    Output.Error(problem);
                }
                Output.Line(r.Verified ? "Verified: the target holds the same installation." : "NOT verified: see the problems above.");
            });
            return report.Verified ? 0 : 1;
        });
        return command;
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
