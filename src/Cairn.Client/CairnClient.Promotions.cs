using System.Globalization;
using System.Net.Http.Json;
using System.Text;

namespace Cairn.Client;

/// <summary>Promotion policies and promotion requests.</summary>
public sealed partial class CairnClient
{
    // ---- Policies ----

    /// <summary>A namespace's own policy (not inherited). Needs reader on it.</summary>
    /// <param name="namespace">The namespace, such as <c>/risk</c>; <c>/</c> for the root.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The stored policy.</returns>
    public Task<PolicyDocument> GetNamespacePolicyAsync(string @namespace, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, PolicyPath(@namespace), null, Json.PolicyDocument, cancellationToken);

    /// <summary>Sets a namespace's policy. Needs admin on it.</summary>
    /// <param name="namespace">The namespace; <c>/</c> for the root.</param>
    /// <param name="policy">The policy.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The stored policy.</returns>
    public Task<PolicyDocument> SetNamespacePolicyAsync(string @namespace, Policy policy, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Put, PolicyPath(@namespace), Body(policy, Json.Policy), Json.PolicyDocument, cancellationToken);

    /// <summary>Sets a namespace's policy from its JSON document as written (the server checks every field, unknown ones too). Needs admin on it.</summary>
    /// <param name="namespace">The namespace; <c>/</c> for the root.</param>
    /// <param name="policyJson">The policy document: <c>{"protected_targets":[…]}</c>.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The stored policy.</returns>
    public Task<PolicyDocument> SetNamespacePolicyAsync(string @namespace, string policyJson, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Put, PolicyPath(@namespace), JsonText(policyJson), Json.PolicyDocument, cancellationToken);

    /// <summary>Removes a namespace's policy. Needs admin on it.</summary>
    /// <param name="namespace">The namespace; <c>/</c> for the root.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when it is removed.</returns>
    public Task DeleteNamespacePolicyAsync(string @namespace, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, PolicyPath(@namespace), null, cancellationToken);

    /// <summary>A model's own policy. Needs reader on its namespace.</summary>
    /// <param name="model">The model's full name.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The stored policy.</returns>
    public Task<PolicyDocument> GetModelPolicyAsync(string model, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"{ModelPath(model)}/policy", null, Json.PolicyDocument, cancellationToken);

    /// <summary>Sets a model's policy, over its namespaces' for the targets it names. Needs admin on its namespace.</summary>
    /// <param name="model">The model's full name.</param>
    /// <param name="policy">The policy.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The stored policy.</returns>
    public Task<PolicyDocument> SetModelPolicyAsync(string model, Policy policy, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Put, $"{ModelPath(model)}/policy", Body(policy, Json.Policy), Json.PolicyDocument, cancellationToken);

    /// <summary>Sets a model's policy from its JSON document as written. Needs admin on its namespace.</summary>
    /// <param name="model">The model's full name.</param>
    /// <param name="policyJson">The policy document.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The stored policy.</returns>
    public Task<PolicyDocument> SetModelPolicyAsync(string model, string policyJson, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Put, $"{ModelPath(model)}/policy", JsonText(policyJson), Json.PolicyDocument, cancellationToken);

    /// <summary>Removes a model's policy. Needs admin on its namespace.</summary>
    /// <param name="model">The model's full name.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when it is removed.</returns>
    public Task DeleteModelPolicyAsync(string model, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"{ModelPath(model)}/policy", null, cancellationToken);

    /// <summary>Each target's effective rule for a model and the policy it comes from.</summary>
    /// <param name="model">The model's full name.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The rules in effect.</returns>
    public Task<EffectivePolicy> GetEffectivePolicyAsync(string model, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"{ModelPath(model)}/policy/effective", null, Json.EffectivePolicy, cancellationToken);

    // ---- Promotion requests ----

    /// <summary>Asks for a protected stage or alias to move to a version. Needs writer.</summary>
    /// <param name="model">The model's full name.</param>
    /// <param name="version">The version to promote.</param>
    /// <param name="target">A stage (<c>Production</c>) or an alias (<c>champion</c>, <c>@name</c>).</param>
    /// <param name="comment">Why, for the reviewers.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The request: pending, applied at once (no approvals needed) or rejected by its gates.</returns>
    public Task<PromotionRequest> RequestPromotionAsync(string model, int version, string target, string? comment = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"{VersionPath(model, version)}/promotions",
            Body(new PromotionAsk(target, comment), Json.PromotionAsk), Json.PromotionRequest, cancellationToken);

    /// <summary>One promotion request with its reviews and gate evidence.</summary>
    /// <param name="id">The request's id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The request.</returns>
    public Task<PromotionRequest> GetPromotionAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"api/v1/promotions/{Escape(id)}", null, Json.PromotionRequest, cancellationToken);

    /// <summary>Lists promotion requests, newest first, following page tokens.</summary>
    /// <param name="query">Which requests; null for all the caller may read.</param>
    /// <param name="pageSize">Requests fetched per request; null for the server's default.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The matching requests.</returns>
    public IAsyncEnumerable<PromotionRequest> ListPromotionsAsync(PromotionQuery? query = null, int? pageSize = null, CancellationToken cancellationToken = default) =>
        AllAsync(token => ListPromotionsPageAsync(query, pageSize, token, cancellationToken), p => p.Requests, p => p.NextPageToken, cancellationToken);

    /// <summary>One page of promotion requests, newest first.</summary>
    /// <param name="query">Which requests; null for all the caller may read.</param>
    /// <param name="maxResults">The page size; null for the server's default.</param>
    /// <param name="pageToken">The previous page's token; null for the first.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>One page.</returns>
    public Task<PromotionPage> ListPromotionsPageAsync(PromotionQuery? query = null, int? maxResults = null, string? pageToken = null, CancellationToken cancellationToken = default)
    {
        var status = query?.Status?.ToString().ToUpperInvariant();
        var path = query is { Model: { } model, Version: { } version }
            ? $"{VersionPath(model, version)}/promotions" + Query(("status", status), ("max_results", Number(maxResults)), ("page_token", pageToken))
            : "api/v1/promotions" + Query(
                ("model", query?.Model), ("namespace", query?.Namespace), ("status", status), ("actionable", query is { Actionable: true } ? "true" : null),
                ("max_results", Number(maxResults)), ("page_token", pageToken));
        return SendAsync(HttpMethod.Get, path, null, Json.PromotionPage, cancellationToken);
    }

    /// <summary>Approves a request: the rule's approver role, not its requester or the version's creator under four-eyes.</summary>
    /// <param name="id">The request's id.</param>
    /// <param name="comment">Why.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The request, applied if this approval completed it.</returns>
    public Task<PromotionRequest> ApprovePromotionAsync(string id, string? comment = null, CancellationToken cancellationToken = default) =>
        DecideAsync(id, "approve", comment, cancellationToken);

    /// <summary>Rejects a request (the rule's approver role).</summary>
    /// <param name="id">The request's id.</param>
    /// <param name="comment">Why.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The rejected request.</returns>
    public Task<PromotionRequest> RejectPromotionAsync(string id, string? comment = null, CancellationToken cancellationToken = default) =>
        DecideAsync(id, "reject", comment, cancellationToken);

    /// <summary>Withdraws a request (its requester or an admin).</summary>
    /// <param name="id">The request's id.</param>
    /// <param name="comment">Why.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The cancelled request.</returns>
    public Task<PromotionRequest> CancelPromotionAsync(string id, string? comment = null, CancellationToken cancellationToken = default) =>
        DecideAsync(id, "cancel", comment, cancellationToken);

    private Task<PromotionRequest> DecideAsync(string id, string verdict, string? comment, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, $"api/v1/promotions/{Escape(id)}/{verdict}",
            Body(new PromotionVerdict(comment), Json.PromotionVerdict), Json.PromotionRequest, cancellationToken);

    /// <summary><c>api/v1/policies/&lt;segments&gt;</c>, the root as <c>-</c>.</summary>
    private static string PolicyPath(string @namespace)
    {
        var segments = @namespace.Trim('/');
        return segments.Length == 0 ? "api/v1/policies/-" : "api/v1/policies/" + string.Join('/', segments.Split('/').Select(Escape));
    }

    private static StringContent JsonText(string json) => new(json, Encoding.UTF8, "application/json");
}
