using System.CommandLine;
using Cairn.Governance;
using Cairn.Storage;
using Cairn.Tracking;
using Spectre.Console;

namespace Cairn.Cli;

/// <summary><c>cairn import mlflow</c>: adopt an existing MLflow installation, offline, into a data directory.</summary>
internal static class ImportCommands
{
    public static Command Create() => new("import", "Bring records from another system into a Cairn data directory") { MlflowCommand() };

    private static Command MlflowCommand()
    {
        var from = new Option<string>("--from")
        {
            Description = "The MLflow database: sqlite:///path/mlflow.db (as given to mlflow server --backend-store-uri) or a file path",
            HelpName = "uri",
            Required = true,
        };
        var artifacts = new Option<string>("--artifacts")
        {
            Description = "MLflow's artifact root to copy (its --artifacts-destination, e.g. ./mlartifacts), at the same relative paths",
            HelpName = "dir",
        };
        var dataDir = new Option<string>("--data-dir")
        {
            Description = "The Cairn data directory to import into (default: $CAIRN_DATA_DIR, else ./.cairn)",
            HelpName = "dir",
        };
        var destination = new Option<string>("--artifacts-destination")
        {
            Description = "Where the server's artifact proxy keeps files, if not <data-dir>/mlartifacts: a directory, s3://bucket/prefix (CAIRN_S3_* settings) "
                + "or azure://container/prefix (CAIRN_AZURE_CONNECTION_STRING), as given to cairn serve --artifacts-destination",
            HelpName = "dir|uri",
        };
        var command = new Command("mlflow",
            "Import an MLflow tracking and registry database (experiments, runs, params, metrics, tags, datasets, models, versions, aliases, stages); running it again changes nothing")
        {
            from, artifacts, dataDir, destination,
        };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            var source = SqlitePath(result.GetRequiredValue(from));
            var directory = result.GetValue(dataDir) ?? Environment.GetEnvironmentVariable("CAIRN_DATA_DIR") ?? ".cairn";
            var target = Path.GetFullPath(Path.Combine(directory, "cairn.db"));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            using var database = CairnDatabase.Sqlite(target);
            await Migrator.MigrateAsync(database, TimeProvider.System, cancellationToken);
            var proxyArtifacts = ArtifactLocations.Open(result.GetValue(destination) ?? Path.Combine(directory, "mlartifacts"), Path.Combine(directory, ".staging", "mlflow-artifacts"));
            var importer = new MlflowImporter(database, new AuditChain(database, TimeProvider.System), TimeProvider.System, new TrackingArtifacts("mlflow-artifacts:/"), proxyArtifacts);
            var caller = Caller.Admin(Environment.UserName);

            var summary = await StepProgress.RunAsync(output.Json, progress => importer.ImportAsync(caller, source, result.GetValue(artifacts),
                progress is null ? null : new Reporter<ImportProgress>(p => progress.Report((p.Step, p.Done, p.Total))), cancellationToken));
            output.Write(summary, s =>
            {
                Output.Line($"Imported {source} (MLflow schema {s.MlflowSchemaVersion ?? "unknown"}) into {target}.");
                var table = Output.Table("RECORDS", "IN MLFLOW", "IMPORTED NOW", "LEFT OUT");
                foreach (var count in s.Counts)
                {
                    table.AddRow(count.Kind, count.Found.ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
                        count.Imported.ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
                        count.Skipped.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
                }
                output.Render(table);
                foreach (var warning in s.Warnings)
                {
                    Output.Note("warning: " + warning);
                }
            });
        });
        return command;
    }

    /// <summary>The file of a <c>sqlite:///path</c> URI (three slashes, then a relative path, or a fourth for an absolute one), or a plain path.</summary>
    private static string SqlitePath(string from) =>
        CairnDatabase.SqliteUriPath(from) is { } path ? path
        : from.Contains("://", StringComparison.Ordinal) ? throw new InvalidParameterException($"--from '{from}': only sqlite:///path MLflow databases can be imported.")
        : from;
}
