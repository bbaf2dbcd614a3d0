using System.CommandLine;
using Cairn.Client;
using Spectre.Console;

namespace Cairn.Cli;

/// <summary><c>cairn version create | list | show | update | delete | files | download</c>: the registry's versions.</summary>
internal static class VersionCommands
{
    private static readonly string[] Columns = ["VERSION", "STAGE", "SEMVER", "ALIASES", "STATUS", "CREATED", "BY", "DESCRIPTION"];

    public static Command Create() => new("version", "Register, list and inspect model versions; upload and download their files")
    {
        CreateCommand(),
        ListCommand(),
        ShowCommand(),
        UpdateCommand(),
        DeleteCommand(),
        FilesCommand(),
        DownloadCommand(),
    };

    private static Command CreateCommand()
    {
        var model = Arguments.Model();
        var description = new Option<string>("--description") { Description = "What changed in this version", HelpName = "text" };
        var source = new Option<string>("--source") { Description = "Where the version's files come from, such as s3://bucket/model", HelpName = "uri" };
        var runId = new Option<string>("--run-id") { Description = "The training run that produced it", HelpName = "id" };
        var framework = new Option<string>("--framework") { Description = "The framework it was built with, such as onnx", HelpName = "name" };
        var semver = new Option<string>("--semver") { Description = "A semantic-version label, such as 1.2.0", HelpName = "version" };
        var parent = new Option<int?>("--parent") { Description = "The version it derives from", HelpName = "n" };
        var metrics = Arguments.NumberPairs("--metric", "An evaluation metric, such as auc=0.92");
        var parameters = Arguments.Pairs("--param", "A training parameter, such as lr=0.001");
        var tags = Arguments.Pairs("--tag", "A tag to set");
        var files = new Option<string[]>("--file") { Description = "A file to upload into the version (stored under its name); repeatable", HelpName = "path", AllowMultipleArgumentsPerToken = true };
        var directory = new Option<string>("--dir") { Description = "A directory whose files are uploaded (stored under their paths below it)", HelpName = "dir" };

        var command = new Command("create", "Register a new version of a model; the server numbers it 1, 2, 3 … With --file/--dir, its files are uploaded and the version becomes READY when all are stored")
        {
            model, description, source, runId, framework, semver, parent, metrics, parameters, tags, files, directory,
        };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var uploads = FileTransfer.Collect(result.GetValue(files) ?? [], result.GetValue(directory));
            var version = await client.CreateVersionAsync(result.GetRequiredValue(model), new CreateVersionRequest(
                Description: result.GetValue(description),
                Source: result.GetValue(source),
                RunId: result.GetValue(runId),
                Framework: result.GetValue(framework),
                Semver: result.GetValue(semver),
                ParentVersion: result.GetValue(parent),
                Metrics: result.GetValue(metrics),
                Params: result.GetValue(parameters),
                Tags: result.GetValue(tags),
                // A version that will receive files stays open for them until they are all stored.
                Status: uploads.Count > 0 ? "PENDING_REGISTRATION" : null), cancellationToken);
            if (uploads.Count > 0)
            {
                await FileTransfer.UploadAsync(client, version.Model, version.Version, uploads, output.Json, cancellationToken);
                version = await client.UpdateVersionAsync(version.Model, version.Version, new UpdateVersionRequest(Status: "READY"), cancellationToken);
            }
            output.Write(version, v => Output.Line($"Registered {v.Model} version {v.Version}" + (uploads.Count > 0 ? $" with {uploads.Count} file(s)." : ".")));
        });
        return command;
    }

    private static Command ListCommand()
    {
        var model = new Argument<string?>("model")
        {
            Description = "The model's full name; leave it out to list versions across all models",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var filter = Arguments.Filter();
        var orderBy = Arguments.OrderBy();
        orderBy.Description = "How to order versions: attributes, metrics.<key>, params.<key> or tags.<key>, each ASC or DESC, such as \"metrics.accuracy DESC\"";
        var max = Arguments.Max("versions");
        var command = new Command("list", "List the versions of a model (or of all models), optionally filtered") { model, filter, orderBy, max };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var name = result.GetValue(model);
            var limit = result.GetValue(max);
            // One more than asked for, in one request, tells whether there are more.
            var pageSize = Math.Min(limit + 1, 1000);
            var source = name is null
                ? client.SearchVersionsAsync(result.GetValue(filter), result.GetValue(orderBy), pageSize, cancellationToken)
                : client.ListVersionsAsync(name, result.GetValue(filter), result.GetValue(orderBy), pageSize, cancellationToken);
            var versions = await Output.CollectAsync(source, limit, "versions", cancellationToken);
            output.Write(new { versions }, _ =>
            {
                var table = Output.Table(name is null ? ["MODEL", .. Columns] : Columns);
                foreach (var v in versions)
                {
                    var cells = new[]
                    {
                        Output.Cell(Output.Invariant(v.Version)), Output.Cell(v.Stage.ToString()), Output.Cell(v.Semver),
                        Output.Cell(string.Join(", ", v.Aliases)), Output.Cell(v.Status), Output.Cell(Output.Time(v.CreatedAt)),
                        Output.Cell(v.CreatedBy), Output.Cell(v.Description),
                    };
                    table.AddRow(name is null ? [Output.Cell(v.Model), .. cells] : cells);
                }
                output.Render(table, "No versions match.");
            });
        });
        return command;
    }

    private static Command ShowCommand()
    {
        var model = Arguments.Model();
        var version = Arguments.Version();
        var command = new Command("show", "Show one version: its metadata, stage, aliases, metrics, params and tags") { model, version };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var name = result.GetRequiredValue(model);
            var number = await result.GetRequiredValue(version).ResolveAsync(client, name, cancellationToken);
            output.Write(await client.GetVersionAsync(name, number, cancellationToken), v => Show(output, v));
        });
        return command;
    }

    private static Command UpdateCommand()
    {
        var model = Arguments.Model();
        var version = Arguments.Version();
        var description = new Option<string>("--description") { Description = "A new description", HelpName = "text" };
        var semver = new Option<string>("--semver") { Description = "A new semantic-version label, such as 1.2.1", HelpName = "version" };
        var framework = new Option<string>("--framework") { Description = "The framework it was built with, such as onnx", HelpName = "name" };
        var status = new Option<string>("--status") { Description = "READY, once a PENDING_REGISTRATION version has all its files; or FAILED_REGISTRATION", HelpName = "status" };
        var command = new Command("update", "Change a version's description, semver label, framework or status (the fields given)")
        {
            model, version, description, semver, framework, status,
        };
        command.Validators.Add(result =>
        {
            if (new Option[] { description, semver, framework, status }.All(o => result.GetResult(o) is null))
            {
                result.AddError("Give at least one of --description, --semver, --framework or --status.");
            }
        });
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var name = result.GetRequiredValue(model);
            var number = await result.GetRequiredValue(version).ResolveAsync(client, name, cancellationToken);
            var updated = await client.UpdateVersionAsync(name, number, new UpdateVersionRequest(
                result.GetValue(description), result.GetValue(semver), result.GetValue(framework), result.GetValue(status)), cancellationToken);
            output.Write(updated, v => Output.Line($"Updated {v.Model} version {v.Version}."));
        });
        return command;
    }

    private static Command DeleteCommand()
    {
        var model = Arguments.Model();
        var version = Arguments.Version();
        var command = new Command("delete", "Delete a version and its files; the number is not given again") { model, version };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var name = result.GetRequiredValue(model);
            var number = await result.GetRequiredValue(version).ResolveAsync(client, name, cancellationToken);
            await client.DeleteVersionAsync(name, number, cancellationToken);
            output.Write(new { model = name, version = number, deleted = true }, _ => Output.Line($"Deleted {name} version {number}."));
        });
        return command;
    }

    private static Command FilesCommand()
    {
        var model = Arguments.Model();
        var version = Arguments.Version();
        var command = new Command("files", "List a version's files with their size, format and SHA-256") { model, version };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var name = result.GetRequiredValue(model);
            var number = await result.GetRequiredValue(version).ResolveAsync(client, name, cancellationToken);
            var files = await client.ListFilesAsync(name, number, cancellationToken);
            output.Write(new { files }, _ =>
            {
                var table = Output.Table("PATH", "SIZE", "FORMAT", "SHA256", "CREATED");
                foreach (var f in files)
                {
                    table.AddRow(Output.Cell(f.Path), Output.Cell(Output.Invariant(f.Size)), Output.Cell(f.Format), Output.Cell(f.Sha256), Output.Cell(Output.Time(f.CreatedAt)));
                }
                output.Render(table, $"{name} version {number} has no files.");
            });
        });
        return command;
    }

    private static Command DownloadCommand()
    {
        var model = Arguments.Model();
        var version = Arguments.Version();
        var directory = new Option<string>("--out") { Description = "The directory to write the files into (created if missing)", HelpName = "dir", Required = true };
        var command = new Command("download", "Download every file of a version, verifying each SHA-256") { model, version, directory };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var name = result.GetRequiredValue(model);
            var number = await result.GetRequiredValue(version).ResolveAsync(client, name, cancellationToken);
            var files = await FileTransfer.DownloadAsync(client, name, number, result.GetRequiredValue(directory), output.Json, cancellationToken);
            output.Write(new { files }, _ => Output.Line($"Downloaded {files.Count} file(s) of {name} version {number} into {Path.GetFullPath(result.GetRequiredValue(directory))}; checksums verified."));
        });
        return command;
    }

    private static string? Signature(ModelSignature? signature) =>
        signature is null ? null : $"{Tensors(signature.Inputs)} -> {Tensors(signature.Outputs)}";

    private static string Tensors(IReadOnlyList<TensorSpec> tensors) =>
        "(" + string.Join(", ", tensors.Select(t => t.Shape is null
            ? $"{t.Name}: {t.ElementType}"
            : $"{t.Name}: {t.ElementType}[{string.Join(",", t.Shape.Select(d => d is null ? "?" : Output.Invariant(d.Value)))}]")) + ")";

    private static void Show(Output output, ModelVersion version)
    {
        Output.Details(
            ("Model", version.Model),
            ("Version", Output.Invariant(version.Version)),
            ("Semver", version.Semver),
            ("Stage", version.Stage.ToString()),
            ("Status", version.Status),
            ("Aliases", string.Join(", ", version.Aliases)),
            ("Description", version.Description),
            ("Source", version.Source),
            ("Run id", version.RunId),
            ("Framework", version.Framework),
            ("Format", version.Format),
            ("Signature", Signature(version.Signature)),
            ("Format details", version.FormatProperties is { Count: > 0 } p ? Output.Pairs(p) : null),
            ("Introspection", version.IntrospectionError),
            ("Parent version", Output.Invariant(version.ParentVersion)),
            ("Created", $"{Output.Time(version.CreatedAt)} by {version.CreatedBy}"),
            ("Updated", $"{Output.Time(version.UpdatedAt)} by {version.UpdatedBy}"));
        output.Section("Metrics", version.Metrics, value => Output.Invariant(value));
        output.Section("Params", version.Params, value => value);
        output.Section("Tags", version.Tags, value => value);
    }
}
