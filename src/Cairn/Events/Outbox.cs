using System.Data.Common;
using System.Globalization;
using System.Text.Json.Nodes;
using Dapper;

namespace Cairn.Events;

/// <summary>
/// The outbox: a registry mutation records its event here inside its own transaction, so an event exists exactly when
/// its change committed. <see cref="WebhookDispatcher"/> hands the events to webhooks afterwards. The payloads are
/// MLflow 3.5's webhook payloads for the same events.
/// </summary>
public static class Outbox
{
    /// <summary>A model was created: its full name, tags and description.</summary>
    public static Task ModelCreatedAsync(
        DbTransaction transaction, TimeProvider clock, string name, IReadOnlyDictionary<string, string> tags, string? description, CancellationToken cancellationToken) =>
        AppendAsync(transaction, clock, new WebhookEvent("registered_model", "created"), new JsonObject
        {
            ["name"] = name,
            ["tags"] = Tags(tags),
            ["description"] = description ?? "",
        }, cancellationToken);

    /// <summary>A version was registered.</summary>
    public static Task VersionCreatedAsync(
        DbTransaction transaction, TimeProvider clock, string name, long version, string? source, string? runId,
        IReadOnlyDictionary<string, string> tags, string? description, CancellationToken cancellationToken) =>
        AppendAsync(transaction, clock, new WebhookEvent("model_version", "created"), new JsonObject
        {
            ["name"] = name,
            ["version"] = Text(version),
            ["source"] = source ?? "",
            ["run_id"] = string.IsNullOrEmpty(runId) ? null : runId,
            ["tags"] = Tags(tags),
            ["description"] = string.IsNullOrEmpty(description) ? null : description,
        }, cancellationToken);

    /// <summary>A version's tag was set (<paramref name="value"/>) or deleted (null).</summary>
    public static Task VersionTagChangedAsync(
        DbTransaction transaction, TimeProvider clock, string name, int version, string key, string? value, CancellationToken cancellationToken)
    {
        var payload = new JsonObject { ["name"] = name, ["version"] = Text(version), ["key"] = key };
        if (value is not null)
        {
            payload["value"] = value;
        }
        return AppendAsync(transaction, clock, new WebhookEvent("model_version_tag", value is null ? "deleted" : "set"), payload, cancellationToken);
    }

    /// <summary>An alias was pointed at <paramref name="version"/>, or removed (null).</summary>
    public static Task AliasChangedAsync(
        DbTransaction transaction, TimeProvider clock, string name, string alias, int? version, CancellationToken cancellationToken)
    {
        var payload = new JsonObject { ["name"] = name, ["alias"] = alias };
        if (version is { } target)
        {
            payload["version"] = Text(target);
        }
        return AppendAsync(transaction, clock, new WebhookEvent("model_version_alias", version is null ? "deleted" : "created"), payload, cancellationToken);
    }

    private static async Task AppendAsync(DbTransaction transaction, TimeProvider clock, WebhookEvent @event, JsonObject payload, CancellationToken cancellationToken) =>
        await transaction.Connection!.ExecuteAsync(new CommandDefinition(
            "INSERT INTO outbox (at, entity, action, payload) VALUES (@at, @entity, @action, @payload)",
            new { at = clock.GetUtcNow().ToUnixTimeMilliseconds(), entity = @event.Entity, action = @event.Action, payload = payload.ToJsonString() },
            transaction, cancellationToken: cancellationToken));

    private static JsonObject Tags(IReadOnlyDictionary<string, string> tags)
    {
        var json = new JsonObject();
        foreach (var (key, value) in tags)
        {
            json[key] = value;
        }
        return json;
    }

    private static string Text(long number) => number.ToString(CultureInfo.InvariantCulture);
}
