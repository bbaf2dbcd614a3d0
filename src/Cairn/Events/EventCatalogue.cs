using System.Text.Json;
using Cairn.Catalog;
using Cairn.Governance;
using Cairn.Registry;
using Cairn.Tracking;

namespace Cairn.Events;

/// <summary>What an event is called, where it belongs and who may see it.</summary>
/// <param name="Type">The event type, <c>entity.action</c> (<c>model_version.created</c>).</param>
/// <param name="Namespace">The namespace of the resource it is about; roles there decide who may read it.</param>
/// <param name="ReadRole">The least role on <see cref="Namespace"/> that may see the event.</param>
public sealed record EventKind(string Type, string Namespace, Role ReadRole);

/// <summary>
/// The catalogue of event types. Every audit entry is one event, named from its audit action: where MLflow 3 has the
/// same event the name is MLflow's (<c>registered_model.created</c>, <c>model_version.created</c>,
/// <c>model_version_tag.set|deleted</c>, <c>model_version_alias.created|deleted</c>), so an MLflow webhook receiver
/// subscribes to the names it knows; every other action has its own name in the same <c>entity.action</c> form.
/// docs/events.md lists them.
/// </summary>
public static partial class EventCatalogue
{
    private static readonly Dictionary<string, string> Types = new(StringComparer.Ordinal)
    {
        ["model.create"] = "registered_model.created",
        ["model.update"] = "registered_model.updated",
        ["model.rename"] = "registered_model.renamed",
        ["model.delete"] = "registered_model.deleted",
        ["model.tag.set"] = "registered_model_tag.set",
        ["model.tag.delete"] = "registered_model_tag.deleted",
        ["version.create"] = "model_version.created",
        ["version.update"] = "model_version.updated",
        ["version.stage"] = "model_version.stage_transitioned",
        ["version.delete"] = "model_version.deleted",
        ["version.tag.set"] = "model_version_tag.set",
        ["version.tag.delete"] = "model_version_tag.deleted",
        ["version.file.put"] = "model_version_file.written",
        ["version.file.delete"] = "model_version_file.deleted",
        // MLflow calls every move of an alias "created"; a rollback is a move back.
        ["alias.set"] = "model_version_alias.created",
        ["alias.rollback"] = "model_version_alias.created",
        ["alias.delete"] = "model_version_alias.deleted",
        ["token.create"] = "token.created",
        ["token.revoke"] = "token.revoked",
        ["keys.rotate"] = "key_ring.rotated",
        ["role.grant"] = "role_binding.granted",
        ["role.revoke"] = "role_binding.revoked",
        ["webhook.create"] = "webhook.created",
        ["webhook.update"] = "webhook.updated",
        ["webhook.delete"] = "webhook.deleted",
        ["webhook.disable"] = "webhook.disabled",
        ["experiment.create"] = "experiment.created",
        ["experiment.rename"] = "experiment.renamed",
        ["experiment.delete"] = "experiment.deleted",
        ["experiment.restore"] = "experiment.restored",
        ["experiment.tag.set"] = "experiment_tag.set",
        ["experiment.tag.delete"] = "experiment_tag.deleted",
        ["run.create"] = "run.created",
        ["run.update"] = "run.updated",
        ["run.delete"] = "run.deleted",
        ["run.restore"] = "run.restored",
        ["run.tag.delete"] = "run_tag.deleted",
        ["run.log_batch"] = "run.logged",
        ["run.log_inputs"] = "run.inputs_logged",
        ["run.log_outputs"] = "run.outputs_logged",
        ["run.log_model"] = "run.model_logged",
        ["artifact.put"] = "run_artifact.written",
        ["artifact.delete"] = "run_artifact.deleted",
        ["logged_model.create"] = "logged_model.created",
        ["logged_model.finalize"] = "logged_model.finalized",
        ["logged_model.delete"] = "logged_model.deleted",
        ["logged_model.params.log"] = "logged_model.params_logged",
        ["logged_model.tag.set"] = "logged_model_tag.set",
        ["logged_model.tag.delete"] = "logged_model_tag.deleted",
        ["trace.start"] = "trace.started",
        ["trace.end"] = "trace.ended",
        ["trace.delete"] = "trace.deleted",
        ["trace.link"] = "trace.linked",
        ["trace.spans.log"] = "trace.spans_logged",
        ["trace.tag.set"] = "trace_tag.set",
        ["trace.tag.delete"] = "trace_tag.deleted",
        ["dataset.create"] = "dataset.created",
        ["dataset.update"] = "dataset.updated",
        ["feature.create"] = "feature.created",
        ["feature.update"] = "feature.updated",
        ["execution.create"] = "execution.created",
        ["execution.update"] = "execution.updated",
        ["metadata.artifact.create"] = "metadata_artifact.created",
        ["metadata.artifact.update"] = "metadata_artifact.updated",
        ["metadata.context.create"] = "metadata_context.created",
        ["metadata.context.update"] = "metadata_context.updated",
        ["metadata.context.association"] = "metadata_context.run_associated",
        ["metadata.context.attribution"] = "metadata_context.artifact_attributed",
        ["metadata.type.create"] = "metadata_type.created",
        ["metadata.type.update"] = "metadata_type.updated",
        ["metadata.schema.register"] = "metadata_schema.registered",
        ["metadata.event"] = "metadata_event.recorded",
        ["lineage.edge.add"] = "lineage_edge.added",
        ["openlineage.event"] = "openlineage_event.received",
        ["openlineage.batch"] = "openlineage_batch.received",
        ["import.mlflow"] = "mlflow_import.written",
        ["policy.set"] = "policy.updated",
        ["policy.delete"] = "policy.deleted",
        ["promotion.request"] = "promotion.requested",
        ["promotion.approve"] = "promotion.approved",
        ["promotion.reject"] = "promotion.rejected",
        ["promotion.cancel"] = "promotion.cancelled",
        ["promotion.expire"] = "promotion.expired",
        ["promotion.apply"] = "promotion.applied",
        ["card.set"] = "model_card.updated",
        ["card.submit"] = "model_card.submitted",
        ["card.approve"] = "model_card.approved",
        ["card.return"] = "model_card.returned",
        ["deployment.record"] = "deployment.recorded",
        ["deployment.update"] = "deployment.updated",
        ["deployment.traffic"] = "deployment.traffic_shifted",
        ["deployment.status"] = "deployment.status_changed",
        ["deployment.rollback"] = "deployment.rolled_back",
        ["deployment.delete"] = "deployment.deleted",
        ["environment.set"] = "environment.updated",
        ["environment.delete"] = "environment.deleted",
        ["monitoring.reference.set"] = "monitoring.reference_set",
        ["monitoring.settings.set"] = "monitoring.settings_updated",
        ["monitoring.window.report"] = "monitoring.window_reported",
        ["monitoring.predictions.log"] = "monitoring.predictions_logged",
        ["monitoring.ground_truth.log"] = "monitoring.ground_truth_logged",
        ["monitoring.metrics.report"] = "monitoring.metrics_reported",
        ["alert.rule.create"] = "monitoring.alert_rule_created",
        ["alert.rule.update"] = "monitoring.alert_rule_updated",
        ["alert.rule.delete"] = "monitoring.alert_rule_deleted",
        ["alert.raise"] = "monitoring.alert_raised",
        ["alert.acknowledge"] = "monitoring.alert_acknowledged",
        ["alert.resolve"] = "monitoring.alert_resolved",
    };

    // The moments a pipeline waits for, told apart from the updates that carry them: a version whose files became usable
    // (or could not be), a run that ended. Each is still the one event of its audit entry, named by the change it made.
    private const string VersionReady = "model_version.ready";
    private const string VersionFailed = "model_version.failed";
    private const string RunFinished = "run.finished";

    /// <summary>The audit actions the catalogue names (anything else gets a derived type), for tests and documentation.</summary>
    public static IReadOnlyCollection<string> KnownActions => Types.Keys;

    /// <summary>Every event type the catalogue names, for documentation and for checking subscriptions.</summary>
    public static IReadOnlyCollection<string> AllTypes { get; } =
        [.. Types.Values.Append(VersionReady).Append(VersionFailed).Append(RunFinished).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    /// <summary>
    /// The event of an audit entry with <paramref name="action"/> on <paramref name="resource"/>, whose state went from
    /// <paramref name="beforeJson"/> to <paramref name="afterJson"/> (the entry's JSON). An action the table does not name
    /// (a new one) still gets an event: its segments but the last become the entity, the last its action.
    /// </summary>
    public static EventKind Describe(string action, string resource, string? beforeJson = null, string? afterJson = null)
    {
        var type = action switch
        {
            "version.update" => StatusMove(beforeJson, afterJson) switch
            {
                (not VersionStatus.Ready, VersionStatus.Ready) => VersionReady,
                (not VersionStatus.FailedRegistration, VersionStatus.FailedRegistration) => VersionFailed,
                _ => Types[action],
            },
            "run.update" => StatusMove(beforeJson, afterJson) switch
            {
                var (from, to) when from != to && to is RunStatus.Finished or RunStatus.Failed or RunStatus.Killed => RunFinished,
                _ => Types[action],
            },
            _ => Types.TryGetValue(action, out var known) ? known : Derive(action),
        };
        // Tokens, role bindings and webhooks carry who may do what and where events go, key rotations how secrets are
        // kept: only the root's admins see them, as only they may list them all.
        if (resource.StartsWith("tokens/", StringComparison.Ordinal) || resource.StartsWith("webhooks/", StringComparison.Ordinal)
            || resource.StartsWith("keys/", StringComparison.Ordinal) || resource.StartsWith("role-bindings/", StringComparison.Ordinal))
        {
            return new EventKind(type, NamespacePath.Root, Role.Admin);
        }
        return new EventKind(type, NamespaceOf(resource), Role.Reader);
    }

    // The "status" both states hold, when they do (a version's, a run's).
    private static (string? From, string? To) StatusMove(string? beforeJson, string? afterJson) => (Status(beforeJson), Status(afterJson));

    private static string? Status(string? json)
    {
        if (json is null)
        {
            return null;
        }
        using var document = JsonDocument.Parse(json);
        return document.RootElement.ValueKind == JsonValueKind.Object
            && document.RootElement.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.String
            ? status.GetString()
            : null;
    }

    /// <summary>
    /// The namespace governing <paramref name="resource"/>: for <c>models/&lt;full name&gt;</c> and what hangs under it
    /// (<c>/versions/&lt;n&gt;</c>, <c>/versions/&lt;n&gt;/files/&lt;path&gt;</c>, <c>…/promotions/&lt;id&gt;</c>, <c>…/card</c>,
    /// <c>/aliases/&lt;alias&gt;</c>, <c>/policy</c>, <c>/deployments/&lt;id&gt;</c>, monitoring's <c>/versions/&lt;n&gt;/monitoring/reference</c>,
    /// <c>/monitoring/settings</c>, <c>/deployments/&lt;id&gt;/windows/&lt;id&gt;</c>, <c>…/predictions</c>, <c>…/ground_truth</c> and
    /// <c>…/metrics</c>; alerting's <c>/alert-rules/&lt;id&gt;</c> and <c>/alerts/&lt;id&gt;</c>) the model's namespace; for <c>policies/&lt;namespace&gt;</c> that namespace; tracking, lineage and metadata are governed at the root, and so is everything else.
    /// </summary>
    internal static string NamespaceOf(string resource)
    {
        // A namespace's policy: policies/<namespace without its leading '/'>.
        const string Policies = "policies/";
        if (resource.StartsWith(Policies, StringComparison.Ordinal))
        {
            return NamespacePath.Root + resource[Policies.Length..];
        }
        const string Models = "models/";
        if (!resource.StartsWith(Models, StringComparison.Ordinal))
        {
            return NamespacePath.Root;
        }
        var rest = resource[Models.Length..];
        var end = rest.IndexOf('/', StringComparison.Ordinal);
        var fullName = end < 0 ? rest : rest[..end];
        // A name with a '/' is a root model's (only the root takes names that are not dotted segments): when what follows
        // the first '/' is not one of the shapes above, the '/' belongs to the name and the model lives at the root.
        if (end >= 0 && !ModelPart().IsMatch(rest[(end + 1)..]))
        {
            return NamespacePath.Root;
        }
        try
        {
            return NamespacePath.Split(fullName).Namespace;
        }
        catch (CairnException)
        {
            return NamespacePath.Root;
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\A(?:versions/[0-9]+(?:/files/.+|/promotions/[^/]+|/card|/monitoring/reference)?|aliases/[^/]+|policy|monitoring/settings|deployments/[^/]+(?:/predictions|/ground_truth|/metrics|/windows/[^/]+)?|alert-rules/[^/]+|alerts/[^/]+)\z", System.Text.RegularExpressions.RegexOptions.Singleline)]
    private static partial System.Text.RegularExpressions.Regex ModelPart();

    /// <summary>
    /// Whether <paramref name="type"/> matches <paramref name="pattern"/>: an event type, or one with <c>*</c> standing
    /// for any run of characters (<c>model_version.*</c>, <c>*.created</c>, <c>*</c>).
    /// </summary>
    public static bool Matches(string pattern, string type)
    {
        var star = pattern.IndexOf('*', StringComparison.Ordinal);
        if (star < 0)
        {
            return string.Equals(pattern, type, StringComparison.Ordinal);
        }
        if (!type.StartsWith(pattern[..star], StringComparison.Ordinal))
        {
            return false;
        }
        var rest = pattern[(star + 1)..];
        for (var at = star; at <= type.Length; at++)
        {
            if (Matches(rest, type[at..]))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Refuses a subscription pattern that matches no event type of the catalogue (a typo would wait forever).</summary>
    public static void CheckPattern(string pattern, string field)
    {
        if (!AllTypes.Any(type => Matches(pattern, type)))
        {
            throw new InvalidParameterException(
                $"'{field}' holds '{pattern}', which matches no event type; types are entity.action (model_version.created), "
                + "and '*' stands for any characters (model_version.*). docs/events.md lists them.");
        }
    }

    private static string Derive(string action)
    {
        var last = action.LastIndexOf('.');
        return last < 0 ? action + ".changed" : action[..last].Replace('.', '_') + "." + action[(last + 1)..];
    }
}
