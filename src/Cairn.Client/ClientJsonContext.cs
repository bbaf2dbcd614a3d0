using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cairn.Client;

// Request and response bodies that the API wraps but the client unwraps for its callers.
internal sealed record TagValue(string? Value);

internal sealed record AliasAssignment(int Version);

internal sealed record AliasHistory(IReadOnlyList<AliasChange> Changes);

internal sealed record StageChange(Stage Stage, bool ArchiveExisting, string? Comment);

internal sealed record StageHistory(IReadOnlyList<StageTransition> Transitions);

internal sealed record CreateTokenRequest(string Name, Role Role, string? Namespace);

internal sealed record TokenList(IReadOnlyList<ApiToken> Tokens);

internal sealed record GrantRoleRequest(PrincipalKind PrincipalKind, string Principal, string? Namespace, Role Role);

internal sealed record RoleBindingList(IReadOnlyList<RoleBinding> RoleBindings);

internal sealed record WebhookTestRequest(string? Event);

internal sealed record RedeliverRequest(long EventSeq);

internal sealed record FileList(IReadOnlyList<VersionFile> Files);

internal sealed record PromotionAsk(string Target, string? Comment);

internal sealed record PromotionVerdict(string? Comment);

internal sealed record ShiftTrafficBody(IReadOnlyList<TrafficShare> Traffic, string? Status, string? Message);

internal sealed record StatusBody(string Status, string? Message);

internal sealed record RollbackBody(string? Message);

internal sealed record EnvironmentList(IReadOnlyList<DeploymentEnvironment> Environments);

internal sealed record ReferenceDatasetRequest(string? Dataset, string? DatasetVersion);

internal sealed record ReferenceProfileRequest(System.Text.Json.Nodes.JsonObject Profile);

internal sealed record WindowProfileRequest(int Version, DateTimeOffset StartsAt, DateTimeOffset EndsAt, System.Text.Json.Nodes.JsonObject Profile);

/// <summary>
/// Cairn's wire format (snake_case, enums as strings), source-generated so that the client works trimmed and
/// under native AOT. Nulls are left out of requests: to the API an absent field and a null one mean the same.
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Model))]
[JsonSerializable(typeof(CreateExperimentBody))]
[JsonSerializable(typeof(CreatedExperiment))]
[JsonSerializable(typeof(ExperimentEnvelope))]
[JsonSerializable(typeof(ExperimentPage))]
[JsonSerializable(typeof(RunEnvelope))]
[JsonSerializable(typeof(RunPage))]
[JsonSerializable(typeof(SearchExperimentsBody))]
[JsonSerializable(typeof(SearchRunsBody))]
[JsonSerializable(typeof(ReferenceProfile))]
[JsonSerializable(typeof(ReferenceDatasetRequest))]
[JsonSerializable(typeof(ReferenceProfileRequest))]
[JsonSerializable(typeof(WindowProfileRequest))]
[JsonSerializable(typeof(DriftSettings))]
[JsonSerializable(typeof(ModelMonitoringSettings))]
[JsonSerializable(typeof(MonitoringWindow))]
[JsonSerializable(typeof(WindowDriftPage))]
[JsonSerializable(typeof(DriftReport))]
[JsonSerializable(typeof(PerformanceSeries))]
[JsonSerializable(typeof(IngestResult))]
[JsonSerializable(typeof(IReadOnlyList<PredictionInput>))]
[JsonSerializable(typeof(IReadOnlyList<GroundTruthInput>))]
[JsonSerializable(typeof(IReadOnlyList<ReportedMetricInput>))]
[JsonSerializable(typeof(LineageGraph))]
[JsonSerializable(typeof(VersionFile))]
[JsonSerializable(typeof(FileList))]
[JsonSerializable(typeof(ModelPage))]
[JsonSerializable(typeof(CreateModelRequest))]
[JsonSerializable(typeof(UpdateModelRequest))]
[JsonSerializable(typeof(ModelVersion))]
[JsonSerializable(typeof(VersionPage))]
[JsonSerializable(typeof(CreateVersionRequest))]
[JsonSerializable(typeof(UpdateVersionRequest))]
[JsonSerializable(typeof(TagValue))]
[JsonSerializable(typeof(AliasAssignment))]
[JsonSerializable(typeof(AliasTarget))]
[JsonSerializable(typeof(AliasHistory))]
[JsonSerializable(typeof(StageChange))]
[JsonSerializable(typeof(StageHistory))]
[JsonSerializable(typeof(AuditPage))]
[JsonSerializable(typeof(AuditVerification))]
[JsonSerializable(typeof(ComplianceReport))]
[JsonSerializable(typeof(CreateTokenRequest))]
[JsonSerializable(typeof(CreatedApiToken))]
[JsonSerializable(typeof(TokenList))]
[JsonSerializable(typeof(GrantRoleRequest))]
[JsonSerializable(typeof(RoleBindingList))]
[JsonSerializable(typeof(RoleBinding))]
[JsonSerializable(typeof(KeyRingKey))]
[JsonSerializable(typeof(KeyRingKeyList))]
[JsonSerializable(typeof(RotateKeyBody))]
[JsonSerializable(typeof(Webhook))]
[JsonSerializable(typeof(WebhookRequest))]
[JsonSerializable(typeof(WebhookPage))]
[JsonSerializable(typeof(WebhookTestRequest))]
[JsonSerializable(typeof(WebhookTestResult))]
[JsonSerializable(typeof(WebhookDelivery))]
[JsonSerializable(typeof(WebhookDeliveryPage))]
[JsonSerializable(typeof(RedeliverRequest))]
[JsonSerializable(typeof(ApiToken))]
[JsonSerializable(typeof(HealthStatus))]
[JsonSerializable(typeof(LoggedModel))]
[JsonSerializable(typeof(LoggedModelPage))]
[JsonSerializable(typeof(FeedPage))]
[JsonSerializable(typeof(Policy))]
[JsonSerializable(typeof(PolicyDocument))]
[JsonSerializable(typeof(EffectivePolicy))]
[JsonSerializable(typeof(PromotionAsk))]
[JsonSerializable(typeof(PromotionVerdict))]
[JsonSerializable(typeof(PromotionRequest))]
[JsonSerializable(typeof(PromotionPage))]
[JsonSerializable(typeof(ModelCard))]
[JsonSerializable(typeof(PutModelCardRequest))]
[JsonSerializable(typeof(CardStepRequest))]
[JsonSerializable(typeof(Deployment))]
[JsonSerializable(typeof(DeploymentPage))]
[JsonSerializable(typeof(RecordDeploymentRequest))]
[JsonSerializable(typeof(UpdateDeploymentRequest))]
[JsonSerializable(typeof(ShiftTrafficBody))]
[JsonSerializable(typeof(StatusBody))]
[JsonSerializable(typeof(RollbackBody))]
[JsonSerializable(typeof(DeploymentStatusHistory))]
[JsonSerializable(typeof(DeploymentRevisions))]
[JsonSerializable(typeof(DeploymentEnvironment))]
[JsonSerializable(typeof(EnvironmentList))]
[JsonSerializable(typeof(SetEnvironmentRequest))]
internal sealed partial class ClientJsonContext : JsonSerializerContext;
