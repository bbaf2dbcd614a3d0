using System.Globalization;
using Cairn.Monitoring.Alerts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace Cairn.Server.Api;

/// <summary>The (optional) body of POST /api/v1/monitoring/alerts/{id}/acknowledge|resolve.</summary>
/// <param name="Comment">What was done, or why.</param>
public sealed record AlertComment(string? Comment = null);

/// <summary>
/// Alert rules (<c>/api/v1/monitoring/alert-rules</c>) and the alerts they raise (<c>/api/v1/monitoring/alerts</c>,
/// acknowledged and resolved at <c>…/{id}/acknowledge</c> and <c>…/{id}/resolve</c>).
/// </summary>
public static class AlertsApi
{
    public static RouteGroupBuilder MapAlertsApi(this RouteGroupBuilder api)
    {
        var rules = api.MapGroup("/monitoring/alert-rules").WithTags("Alerts");
        rules.MapGet("/", ListRulesAsync).WithSummary("Alert rules, newest first (model=, deployment=)");
        rules.MapPost("/", CreateRuleAsync).WithSummary("Create an alert rule (writer on the model's namespace)");
        rules.MapGet("/{id}", GetRuleAsync).WithSummary("One alert rule");
        rules.MapPut("/{id}", UpdateRuleAsync).WithSummary("Replace an alert rule (writer)");
        rules.MapDelete("/{id}", DeleteRuleAsync).WithSummary("Delete an alert rule (writer); its alerts stay");
        var alerts = api.MapGroup("/monitoring/alerts").WithTags("Alerts");
        alerts.MapGet("/", ListAlertsAsync).WithSummary("Alerts, newest first (model=, deployment=, status=, from=, to=)");
        alerts.MapGet("/{id}", GetAlertAsync).WithSummary("One alert with its evidence");
        alerts.MapPost("/{id}/acknowledge", AcknowledgeAsync).WithSummary("Acknowledge an open alert (writer)");
        alerts.MapPost("/{id}/resolve", ResolveAsync).WithSummary("Resolve an alert (writer); final");
        return api;
    }

    public static async Task<Ok<AlertRulePage>> ListRulesAsync(
        HttpContext http, AlertRules rules, CancellationToken cancellationToken,
        string? model = null,
        string? deployment = null,
        [FromQuery(Name = "max_results")] int? maxResults = null,
        [FromQuery(Name = "page_token")] string? pageToken = null) =>
        TypedResults.Ok(await rules.ListAsync(http.Caller(), new AlertRuleQuery(model, deployment, maxResults, pageToken), cancellationToken));

    public static async Task<Created<AlertRule>> CreateRuleAsync(AlertRuleSpec body, HttpContext http, AlertRules rules, CancellationToken cancellationToken)
    {
        var created = await rules.CreateAsync(http.Caller(), body, cancellationToken);
        return TypedResults.Created(ApiPaths.Of("api/v1/monitoring/alert-rules", created.Id), created);
    }

    public static async Task<Ok<AlertRule>> GetRuleAsync(string id, HttpContext http, AlertRules rules, CancellationToken cancellationToken) =>
        TypedResults.Ok(await rules.GetAsync(http.Caller(), id, cancellationToken));

    public static async Task<Ok<AlertRule>> UpdateRuleAsync(string id, AlertRuleSpec body, HttpContext http, AlertRules rules, CancellationToken cancellationToken) =>
        TypedResults.Ok(await rules.UpdateAsync(http.Caller(), id, body, cancellationToken));

    public static async Task<NoContent> DeleteRuleAsync(string id, HttpContext http, AlertRules rules, CancellationToken cancellationToken)
    {
        await rules.DeleteAsync(http.Caller(), id, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<AlertPage>> ListAlertsAsync(
        HttpContext http, Alerts alerts, CancellationToken cancellationToken,
        string? model = null,
        string? deployment = null,
        string? status = null,
        string? from = null,
        string? to = null,
        [FromQuery(Name = "max_results")] int? maxResults = null,
        [FromQuery(Name = "page_token")] string? pageToken = null) =>
        TypedResults.Ok(await alerts.ListAsync(http.Caller(),
            new AlertQuery(model, deployment, status, Time(from, "from"), Time(to, "to"), maxResults, pageToken), cancellationToken));

    public static async Task<Ok<Alert>> GetAlertAsync(string id, HttpContext http, Alerts alerts, CancellationToken cancellationToken) =>
        TypedResults.Ok(await alerts.GetAsync(http.Caller(), id, cancellationToken));

    public static async Task<Ok<Alert>> AcknowledgeAsync(
        string id, [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] AlertComment? body, HttpContext http, Alerts alerts, CancellationToken cancellationToken) =>
        TypedResults.Ok(await alerts.AcknowledgeAsync(http.Caller(), id, body?.Comment, cancellationToken));

    public static async Task<Ok<Alert>> ResolveAsync(
        string id, [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] AlertComment? body, HttpContext http, Alerts alerts, CancellationToken cancellationToken) =>
        TypedResults.Ok(await alerts.ResolveAsync(http.Caller(), id, body?.Comment, cancellationToken));

    private static DateTimeOffset? Time(string? value, string name) =>
        value is null ? null
        : DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time
        : throw new InvalidParameterException($"'{name}' must be an ISO-8601 time such as 2026-01-31 or 2026-01-31T12:00:00Z; got '{value}'.");
}
