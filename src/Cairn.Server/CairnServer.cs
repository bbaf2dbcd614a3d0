using Cairn.Artifacts;
using Cairn.Catalog;
using Cairn.Events;
using Cairn.Governance;
using Cairn.Registry;
using Cairn.Server.Api;
using Cairn.Server.Mlflow;
using Cairn.Server.Observability;
using Cairn.Server.Oidc;
using Cairn.Server.OpenLineage;
using Cairn.Server.Ui;
using Cairn.Storage;
using Cairn.Tracking;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using Scalar.AspNetCore;

namespace Cairn.Server;

/// <summary>Builds the Cairn web application; the <c>cairn serve</c> command and <c>Program</c> both start it.</summary>
public static class CairnServer
{
    public const string DefaultUrls = "http://127.0.0.1:5000";

    /// <summary>Environment variables and the configuration keys they set.</summary>
    public static IReadOnlyDictionary<string, string> EnvironmentVariables { get; } = new Dictionary<string, string>
    {
        ["CAIRN_URLS"] = "urls",
        ["CAIRN_DATA_DIR"] = "Cairn:DataDir",
        ["CAIRN_DATABASE"] = "Cairn:Database",
        ["CAIRN_AUTH"] = "Cairn:Auth",
        ["CAIRN_ARTIFACTS"] = "Cairn:Artifacts",
        ["CAIRN_MAX_FILE_BYTES"] = "Cairn:MaxFileBytes",
        ["CAIRN_BACKEND_STORE_URI"] = "Cairn:BackendStoreUri",
        ["CAIRN_AZURE_CONNECTION_STRING"] = "Cairn:AzureConnectionString",
        ["CAIRN_S3_ENDPOINT"] = "Cairn:S3:Endpoint",
        ["CAIRN_S3_REGION"] = "Cairn:S3:Region",
        ["CAIRN_S3_ACCESS_KEY_ID"] = "Cairn:S3:AccessKeyId",
        ["CAIRN_S3_SECRET_ACCESS_KEY"] = "Cairn:S3:SecretAccessKey",
        ["CAIRN_S3_FORCE_PATH_STYLE"] = "Cairn:S3:ForcePathStyle",
        ["CAIRN_DEFAULT_ARTIFACT_ROOT"] = "Cairn:DefaultArtifactRoot",
        ["CAIRN_ARTIFACTS_DESTINATION"] = "Cairn:ArtifactsDestination",
        ["CAIRN_WEBHOOK_ALLOWED_SCHEMES"] = "Cairn:WebhookAllowedSchemes",
        ["CAIRN_WEBHOOK_ALLOWED_NETWORKS"] = "Cairn:WebhookAllowedNetworks",
        ["CAIRN_KEY_ENCRYPTION_CERTIFICATE"] = "Cairn:KeyEncryptionCertificate",
        ["CAIRN_KEY_ENCRYPTION_CERTIFICATE_PASSWORD"] = "Cairn:KeyEncryptionCertificatePassword",
        ["CAIRN_LOG_FORMAT"] = Telemetry.LogFormatKey,
        ["CAIRN_REQUEST_LOG"] = Telemetry.RequestLogKey,
        ["CAIRN_KEY_RING_DIRECTORY"] = "Cairn:KeyRingDirectory",
        ["CAIRN_KEY_LIFETIME_DAYS"] = "Cairn:KeyLifetimeDays",
        ["CAIRN_ENCRYPT_FILES"] = "Cairn:EncryptFiles",
        ["CAIRN_AZURE_ENCRYPTION_SCOPE"] = "Cairn:AzureEncryptionScope",
        ["CAIRN_S3_SERVER_SIDE_ENCRYPTION"] = "Cairn:S3:ServerSideEncryption",
        ["CAIRN_S3_KMS_KEY_ID"] = "Cairn:S3:KmsKeyId",
        ["CAIRN_OIDC_AUTHORITY"] = "Cairn:Oidc:Authority",
        ["CAIRN_OIDC_CLIENT_ID"] = "Cairn:Oidc:ClientId",
        ["CAIRN_OIDC_CLIENT_SECRET"] = "Cairn:Oidc:ClientSecret",
        ["CAIRN_OIDC_AUDIENCE"] = "Cairn:Oidc:Audience",
        ["CAIRN_OIDC_USER_CLAIM"] = "Cairn:Oidc:UserClaim",
        ["CAIRN_OIDC_GROUPS_CLAIM"] = "Cairn:Oidc:GroupsClaim",
        ["CAIRN_OIDC_SCOPES"] = "Cairn:Oidc:Scopes",
        ["CAIRN_OIDC_PROVIDER_NAME"] = "Cairn:Oidc:ProviderName",
    };

    /// <summary>
    /// Configuration comes, later winning: appsettings.json in the working directory, ASPNETCORE_* variables,
    /// CAIRN_* variables, command-line arguments, then <paramref name="overrides"/> (the CLI's flags).
    /// </summary>
    /// <param name="args">Command-line arguments (configuration keys).</param>
    /// <param name="overrides">Settings that beat every other source (the CLI's flags).</param>
    /// <param name="configureServices">A host's own services, added after the server's.</param>
    /// <param name="checkSettings">
    /// Check where to listen and the directories to write before anything else (<see cref="StartupChecks"/>), as
    /// <c>cairn serve</c> does; in-process test hosts never listen on their URLs and leave it off.
    /// </param>
    public static WebApplication Build(
        string[] args, IReadOnlyDictionary<string, string?>? overrides = null, Action<IServiceCollection>? configureServices = null, bool checkSettings = false)
    {
        // Settings are read once, at start. Reloading appsettings.json on change watches the working directory and
        // everything under it, the default data directory (./.cairn) included: every SQLite page write woke the watcher,
        // 7 % of the server's CPU while it ingested OpenLineage events (BENCHMARKS.md, 2026-12-06).
        var builder = WebApplication.CreateBuilder([.. args, "--hostBuilder:reloadConfigOnChange=false"]);
        builder.Configuration.AddInMemoryCollection(EnvironmentVariables
            .Where(e => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(e.Key)))
            .Select(e => KeyValuePair.Create(e.Value, Environment.GetEnvironmentVariable(e.Key))));
        // Command-line arguments still beat the CAIRN_* variables added after them.
        builder.Configuration.AddCommandLine(args);
        if (overrides is not null)
        {
            builder.Configuration.AddInMemoryCollection(overrides);
        }
        if (string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            builder.Configuration["urls"] = DefaultUrls;
        }
        if (checkSettings)
        {
            StartupChecks.Check(builder.Configuration);
        }
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        ConfigureKeyEncryption(builder.Services, builder.Configuration);
        ConfigureServices(builder.Services);
        builder.AddCairnTelemetry();
        builder.Services.AddCairnOidc(builder.Configuration);
        // A host's own services (a test's), after the server's: TryAdd there fills only what is still missing.
        configureServices?.Invoke(builder.Services);

        var app = builder.Build();
        Configure(app);
        return app;
    }

    private static void ConfigureServices(IServiceCollection services)
    {
        services.AddOptions<CairnOptions>().BindConfiguration(CairnOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<LimitsOptions>().BindConfiguration(LimitsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<LimitsOptions>>().Value);
        // Kestrel holds every body to the limit; the upload routes and OpenLineage ingest lift it for their own request.
        services.AddOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>()
            .Configure<IOptions<LimitsOptions>>((kestrel, limits) => kestrel.Limits.MaxRequestBodySize = limits.Value.MaxRequestBodyBytes);
        services.ConfigureHttpJsonOptions(o =>
        {
            CairnJson.Configure(o.SerializerOptions);
            // A misspelt field ("descripton") is an error naming it, not silently dropped. Only the server refuses them:
            // the client keeps reading responses that gained fields. The MLflow API has its own options and, like
            // MLflow's protobuf parsing, ignores unknown fields; OpenLineage events are parsed on their own too.
            o.SerializerOptions.UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow;
            o.SerializerOptions.Converters.Add(new RequestErrors.NoNulStringConverter());
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, CairnJsonContext.Default);
        });
        // Binding failures reach CairnExceptionHandler as exceptions, so that they get problem details naming the field.
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddProblemDetails(o => o.CustomizeProblemDetails = RequestErrors.Complete);
        services.AddExceptionHandler<CairnExceptionHandler>();
        services.AddOutputCache();
        services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Cairn API";
            document.Info.Version = CairnVersion.SemVer;
            document.Info.Description = "Model registry and ML metadata store: catalog, versions, aliases, stages, audit.";
            return Task.CompletedTask;
        }));

        services.AddSingleton<Microsoft.AspNetCore.Connections.IMemoryPoolFactory<byte>, LargeBlockMemoryPoolFactory>();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => CairnDatabase.Open(sp.GetRequiredService<IOptions<CairnOptions>>().Value.DatabasePath, sp.GetRequiredService<ILogger<CairnDatabase>>()));
        // One key ring for every replica, in the metadata database: UI session and anti-forgery cookies and webhook
        // secrets protected by one replica are read by the others and survive restarts.
        services.AddDataProtection().SetApplicationName("Cairn").PersistKeysToCairnDatabase();
        services.AddCairnEncryption();
        services.AddSingleton<ISecretProtector, DataProtectionSecretProtector>();
        services.AddSingleton<AuditChain>();
        services.AddSingleton<Cairn.Events.EventFeed>();
        services.AddSingleton<ApiTokens>();
        services.AddSingleton<RoleBindings>();
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<CairnOptions>>().Value;
            return OpenStore(sp, o, o.ArtifactsPath, "versions");
        });
        services.AddSingleton(sp => new ArtifactLimits(sp.GetRequiredService<IOptions<CairnOptions>>().Value.MaxFileBytes));
        services.AddSingleton<VersionFiles>();
        services.AddSingleton<ModelCatalog>();
        services.AddSingleton<ModelRegistry>();
        services.AddSingleton<ModelAliases>();
        services.AddSingleton<QualityGates>();
        services.AddSingleton<PromotionPolicies>();
        services.AddSingleton<PromotionRequests>();
        services.AddSingleton<Cairn.Monitoring.Alerts.AlertRules>();
        services.AddSingleton<Cairn.Monitoring.Alerts.Alerts>();
        services.AddSingleton<Cairn.Monitoring.Alerts.AlertEvaluator>();
        services.AddSingleton<Cairn.Governance.Cards.ModelCards>();
        services.AddSingleton<Cairn.Monitoring.ReferenceProfiles>();
        services.AddSingleton<Cairn.Monitoring.DriftSettingsStore>();
        services.AddSingleton<Cairn.Monitoring.MonitoringWindows>();
        services.AddSingleton<Cairn.Monitoring.Performance.PredictionStore>();
        services.AddSingleton<Cairn.Deployments.DeploymentEnvironments>();
        services.AddSingleton<Cairn.Deployments.DeploymentRegistry>();
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<CairnOptions>>().Value;
            return new TrackingArtifacts(o.DefaultArtifactRootUri);
        });
        services.AddSingleton<TrackingStore>();
        services.AddSingleton<Cairn.Tracking.Traces.TraceStore>();
        services.AddSingleton<Cairn.Tracking.Traces.TraceDataFiles>();
        services.AddSingleton<PromptlabRuns>();
        services.AddSingleton<Cairn.Tracking.LoggedModels.LoggedModelStore>();
        services.AddSingleton<Cairn.Lineage.LineageGraph>();
        services.AddSingleton<Cairn.Lineage.Marquez.MarquezLineageView>();
        services.AddSingleton<Cairn.Lineage.MetadataStore>();
        services.AddSingleton<Cairn.Lineage.MlmdStore>();
        services.AddSingleton<Cairn.Lineage.OpenLineage.OpenLineageIngest>();
        services.AddSingleton<Cairn.Lineage.ColumnLineage>();
        services.AddSingleton<Cairn.Lineage.MetadataSchemas>();
        services.AddSingleton<Cairn.Governance.Compliance.ComplianceReports>();
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<CairnOptions>>().Value;
            var destination = OpenStore(sp, o, o.ArtifactsDestinationLocation, "mlflow-artifacts");
            return new RunArtifacts(destination, sp.GetRequiredService<CairnDatabase>(), sp.GetRequiredService<AuditChain>(), sp.GetRequiredService<ArtifactLimits>());
        });
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<CairnOptions>>().Value;
            var w = o.Webhooks;
            return new WebhookOptions
            {
                AllowedSchemes = o.WebhookAllowedSchemes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                Timeout = w.Timeout,
                PollInterval = w.PollInterval,
                RetryBaseDelay = w.RetryBaseDelay,
                RetryMaxDelay = w.RetryMaxDelay,
                Horizon = w.Horizon,
                LeaseTime = w.LeaseTime,
                SecretGrace = w.SecretGrace,
                MaxParallelWebhooks = w.MaxParallelWebhooks,
                CloudEventsSource = w.CloudEventsSource,
                CreatorsAreTokens = o.TokenAuth,
            };
        });
        services.AddSingleton(sp => WebhookNetworks.Parse(sp.GetRequiredService<IOptions<CairnOptions>>().Value.WebhookAllowedNetworks));
        // Deliveries connect only to addresses checked after DNS, never follow redirects and use no proxy
        // (SafeWebhookHandler.cs). Its request logging is removed: a webhook's URL may carry a credential.
        services.AddHttpClient(WebhookSender.HttpClientName)
            .RemoveAllLoggers()
            .ConfigurePrimaryHttpMessageHandler(sp => WebhookTargets.CreateHandler(sp.GetRequiredService<WebhookNetworks>()));
        services.AddSingleton(sp => new WebhookSender(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(WebhookSender.HttpClientName), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<Webhooks>();
        services.AddSingleton<WebhookDispatcher>();
        services.AddSingleton<WebhookDeliveries>();
        services.AddSingleton<CallerResolver>();
        services.AddCairnUi();
        // The first hosted service of all, ahead of Data Protection's (which reads the key ring from the database): a
        // database that cannot be used is reported once, by the migrations, and the tables exist before anyone reads them.
        services.Insert(0, ServiceDescriptor.Singleton<IHostedService, MigrationService>());
        // After the migrations: it reads the webhook tables they create.
        services.AddHostedService<WebhookDeliveryService>();
        services.AddHostedService<PromotionExpiryService>();
    }

    /// <summary>
    /// With Cairn:KeyEncryptionCertificate set, Data Protection's keys are encrypted with it before they are stored and
    /// decrypted with it when read (on every replica, none of which needs it in a certificate store). A certificate that
    /// cannot be read is left to the options' validation, which stops the start with its reason.
    /// </summary>
    private static void ConfigureKeyEncryption(IServiceCollection services, ConfigurationManager configuration)
    {
        var options = configuration.GetSection(CairnOptions.Section).Get<CairnOptions>() ?? new CairnOptions();
        if (string.IsNullOrWhiteSpace(options.KeyEncryptionCertificate) || options.Validate(new(options)).Any(r => r.MemberNames.Contains(nameof(CairnOptions.KeyEncryptionCertificate))))
        {
            return;
        }
        var certificate = options.LoadKeyEncryptionCertificate()!;
        services.AddDataProtection().ProtectKeysWithCertificate(certificate).UnprotectKeysWithAnyCertificate(certificate);
    }

    /// <summary>A store at <paramref name="location"/>, with its local staging (for object stores) in its own folder of the data directory.</summary>
    private static IArtifactStore OpenStore(IServiceProvider services, CairnOptions o, string location, string staging) =>
        EncryptionAtRest.OpenStore(services, o, location, Path.Combine(o.DataDir, ".staging", staging));

    private static void Configure(WebApplication app)
    {
        app.UseCairnRequestLog();
        // First, so that what is refused before routing is answered in the one error shape too.
        app.UseExceptionHandler();
        app.UseDotSegmentRefusal();
        // Before routing (made explicit here, where it ran implicitly first): MLflow paths with doubled slashes are merged.
        app.UseMlflowSlashMerging();
        app.UseRouting();
        app.UseStatusCodePages();
        app.UseRequestCharsetCheck();
        app.UseMiddleware<CallerMiddleware>();
        app.UseCairnUi();
        app.UseMiddleware<RequestBodyLimit>();
        app.UseFullNameRouteValues();
        app.UseKnownQueryParameters();
        app.UseOutputCache();

        // The document describes endpoints fixed at start-up; generating it costs about a second, so it is built once.
        app.MapOpenApi().CacheOutput(policy => policy.Expire(TimeSpan.FromDays(365)));
        // No fonts from Scalar's CDN: the reference works offline and tells no third party who reads it.
        app.MapScalarApiReference("/docs", o => o.DisableDefaultFonts());
        app.MapHealthApi();
        app.MapCairnMetrics();
        var v1 = app.MapGroup("/api/v1")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        v1.MapModelsApi();
        v1.MapVersionsApi();
        v1.MapAliasesApi();
        v1.MapAuditApi();
        v1.MapReportsApi();
        v1.MapFilesApi();
        v1.MapTokensApi();
        v1.MapRoleBindingsApi();
        v1.MapWebhooksApi();
        v1.MapLineageApi();
        v1.MapLoggedModelsApi();
        v1.MapMetadataApi();
        v1.MapMlmdApi();
        v1.MapOpenLineageApi();
        v1.MapColumnLineageApi();
        v1.MapMetadataSchemasApi();
        v1.MapTracesApi();
        v1.MapEventsApi();
        v1.MapPoliciesApi();
        v1.MapPromotionsApi();
        v1.MapAlertsApi();
        v1.MapModelCardsApi();
        v1.MapMonitoringApi();
        v1.MapDeploymentsApi();
        v1.MapKeysApi();
        app.MapMlflowApi();
        app.MapCairnUi();
    }

    /// <summary>
    /// Applies pending migrations before the server takes requests, makes MLflow's Default experiment, then removes what a killed process
    /// left in the artifact store: staged uploads and files whose recording never committed.
    /// </summary>
    private sealed class MigrationService(
        CairnDatabase database, VersionFiles files, TrackingStore tracking, RunArtifacts runArtifacts, IOptions<CairnOptions> options, TimeProvider clock,
        ILogger<MigrationService> logger) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            var o = options.Value;
            // Where everything is, first: a platform engineer reading the log of a replica wants to see it shares the right stores.
            Log.Stores(logger, database.Description, Secrets.MaskUri(o.ArtifactsPath), Secrets.MaskUri(o.ArtifactsDestinationLocation));
            var applied = await Migrator.MigrateAsync(database, clock, cancellationToken);
            if (applied.Count > 0)
            {
                Log.MigrationsApplied(logger, string.Join(", ", applied));
            }
            await tracking.EnsureDefaultExperimentAsync(cancellationToken);
            var removed = await files.RemoveOrphansAsync(cancellationToken) + await runArtifacts.RemoveAbandonedStagingAsync(cancellationToken);
            if (removed > 0)
            {
                Log.OrphansRemoved(logger, removed);
            }
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
