using System.CommandLine;
using System.Globalization;
using Cairn.Server;
using Cairn.Server.Observability;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Cairn.Cli;

/// <summary><c>cairn serve</c>: hosts the server in this process until Ctrl+C or SIGTERM.</summary>
internal static class ServeCommand
{
    /// <summary>The exit code of a server that could not start because of a setting (1 is any other error).</summary>
    private const int StartupFailure = 2;

    public static Command Create()
    {
        var urls = new Option<string>("--urls")
        {
            Description = $"Where to listen, such as http://0.0.0.0:5000; several separated by ';' (default: $CAIRN_URLS, else {CairnServer.DefaultUrls})",
            HelpName = "urls",
        };
        var dataDir = new Option<string>("--data-dir")
        {
            Description = "The directory for metadata and files (default: $CAIRN_DATA_DIR, else ./.cairn)",
            HelpName = "dir",
        };
        var database = new Option<string>("--database")
        {
            Description = "The metadata database: a SQLite file, or a PostgreSQL connection string such as \"Host=db;Database=cairn;Username=cairn;Password=…\" (default: $CAIRN_DATABASE, else <data-dir>/cairn.db)",
            HelpName = "path",
        };
        var artifacts = new Option<string>("--artifacts")
        {
            Description = "Where version files are kept: a directory, s3://bucket/prefix (CAIRN_S3_* settings) or azure://container/prefix "
                + "(CAIRN_AZURE_CONNECTION_STRING) (default: $CAIRN_ARTIFACTS, else <data-dir>/artifacts)",
            HelpName = "dir|uri",
        };
        var auth = new Option<string>("--auth")
        {
            Description = "'none': every caller is the local admin; 'token': callers need an API token (default: $CAIRN_AUTH, else none)",
            HelpName = "none|token",
        };
        auth.AcceptOnlyFromAmong("none", "token");
        // MLflow's own server options, with MLflow's meanings, so that `mlflow server …` lines carry over.
        var backendStoreUri = new Option<string>("--backend-store-uri")
        {
            Description = "MLflow's option: the metadata database as sqlite:///path.db or postgresql://user:password@host:port/db (instead of --database)",
            HelpName = "uri",
        };
        var defaultArtifactRoot = new Option<string>("--default-artifact-root")
        {
            Description = "MLflow's option: the artifact root of new experiments: mlflow-artifacts:/ (the default) or http(s)://host:port/api/2.0/mlflow-artifacts/artifacts, i.e. through this server's proxy, or a directory",
            HelpName = "uri|dir",
        };
        var artifactsDestination = new Option<string>("--artifacts-destination")
        {
            Description = "MLflow's option: where the artifact proxy stores files: a directory, s3://bucket/prefix or azure://container/prefix "
                + "(default: <data-dir>/mlartifacts, or the .mlartifacts folder of an object-store --artifacts)",
            HelpName = "dir|uri",
        };

        var host = new Option<string>("--host")
        {
            Description = "MLflow's option: the address to listen on, with --port (default 127.0.0.1); instead of --urls",
            HelpName = "host",
        };
        var port = new Option<int?>("--port", "-p")
        {
            Description = "MLflow's option: the port to listen on, with --host (default 5000); instead of --urls",
            HelpName = "port",
        };
        var serveArtifacts = new Option<bool>("--serve-artifacts")
        {
            Description = "MLflow's option, accepted for mlflow server command lines: the artifact proxy is always on",
        };

        var logFormat = new Option<string>("--log-format")
        {
            Description = "The console log's format: 'text' for people, 'json' for log collectors, one object per line (default: $CAIRN_LOG_FORMAT, else text)",
            HelpName = "text|json",
        };
        logFormat.AcceptOnlyFromAmong("text", "json");

        var command = new Command("serve", "Start the Cairn server (API, health, OpenAPI) and run until Ctrl+C")
        {
            urls, dataDir, database, artifacts, auth, backendStoreUri, defaultArtifactRoot, artifactsDestination, host, port, serveArtifacts,
            logFormat,
        };
        var oidc = OidcServeOptions.Create();
        foreach (var option in oidc)
        {
            command.Options.Add(option);
        }
        command.Validators.Add(result =>
        {
            if (result.GetResult(urls) is not null && (result.GetResult(host) is not null || result.GetResult(port) is not null))
            {
                result.AddError("--urls cannot be combined with --host or --port (MLflow's way to say where to listen): use one or the other.");
            }
            if (result.GetValue(port) is < 0 or > 65535)
            {
                result.AddError($"--port {result.GetValue(port)} is not a port number (0-65535).");
            }
        });
        command.SetAction(async (result, cancellationToken) =>
        {
            // Only the flags actually given: the rest still comes from CAIRN_* variables and appsettings.json.
            var overrides = new Dictionary<string, string?>
            {
                // A start-up failure is reported below in one line; the host would log it first with a full stack trace.
                ["Logging:LogLevel:Microsoft.Extensions.Hosting.Internal.Host"] = "Critical",
            };
            Add("urls", urls);
            if (result.GetValue(host) is not null || result.GetValue(port) is not null)
            {
                // As mlflow server composes them: http://host:port, each defaulting to MLflow's own default.
                var address = result.GetValue(host) ?? "127.0.0.1";
                overrides["urls"] = string.Create(CultureInfo.InvariantCulture,
                    $"http://{(address.Contains(':', StringComparison.Ordinal) ? $"[{address}]" : address)}:{result.GetValue(port) ?? 5000}");
            }
            Add("Cairn:DataDir", dataDir);
            Add("Cairn:Database", database);
            Add("Cairn:Artifacts", artifacts);
            Add("Cairn:Auth", auth);
            Add("Cairn:BackendStoreUri", backendStoreUri);
            Add("Cairn:DefaultArtifactRoot", defaultArtifactRoot);
            Add("Cairn:ArtifactsDestination", artifactsDestination);
            Add(Telemetry.LogFormatKey, logFormat);
            OidcServeOptions.AddTo(overrides, result, oidc);
            try
            {
                await using var app = CairnServer.Build([], overrides, checkSettings: true);
                // The host extension, not WebApplication.RunAsync(url): it stops when System.CommandLine signals Ctrl+C or SIGTERM.
                await HostingAbstractionsHostExtensions.RunAsync(app, cancellationToken);
                return 0;
            }
            catch (StartupException e)
            {
                Output.Error(e.Message);
                return StartupFailure;
            }
            catch (OptionsValidationException e)
            {
                Output.Error("invalid server settings: " + string.Join(" ", e.Failures));
                return StartupFailure;
            }
            catch (IOException e)
            {
                // Kestrel reports an address in use (or not available) this way, before taking any request.
                Output.Error(e.Message);
                return StartupFailure;
            }
            // The stores are reached at start (migrations, the clean-up of unrecorded files): a setting that cannot work
            // stops the server here, in one line that names the store, not in a stack trace.
            catch (CairnException e)
            {
                return Stopped("invalid server settings", e);
            }
            catch (System.Data.Common.DbException e)
            {
                return Stopped("cannot use the metadata database (--database or CAIRN_DATABASE)", e);
            }
            catch (Exception e) when (e is Amazon.Runtime.AmazonClientException or Amazon.Runtime.AmazonServiceException)
            {
                return Stopped("cannot use the S3 artifact store", e);
            }
            catch (Azure.RequestFailedException e)
            {
                return Stopped("cannot use the Azure artifact store", e);
            }
            catch (HttpRequestException e)
            {
                return Stopped("cannot reach the artifact store", e);
            }
            catch (AggregateException e) when (e.InnerExceptions.All(inner => inner is HttpRequestException or Azure.RequestFailedException))
            {
                // The Azure SDK's retries give up with every attempt's failure.
                return Stopped($"cannot reach the artifact store after {e.InnerExceptions.Count} tries", e.InnerExceptions[^1]);
            }

            static int Stopped(string what, Exception e)
            {
                Output.Error($"{what}: {e.Message.Split('\n', 2)[0].Trim()}");
                return StartupFailure;
            }

            void Add(string key, Option<string> option)
            {
                if (result.GetValue(option) is { } value)
                {
                    overrides[key] = value;
                }
            }
        });
        return command;
    }
}
