using Cairn.Governance;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Cairn.Server.Api;

/// <summary>
/// Promotion policies: <c>/api/v1/policies/{namespace}</c> (the namespace's segments as path segments; the root is
/// <c>/api/v1/policies/-</c> or <c>/api/v1/policies/</c>) and <c>/api/v1/models/{full_name}/policy</c>.
/// </summary>
public static class PoliciesApi
{
    /// <summary>How the root namespace is written in a policy path.</summary>
    public const string RootSegment = "-";

    public static RouteGroupBuilder MapPoliciesApi(this RouteGroupBuilder api)
    {
        var namespaces = api.MapGroup("/policies").WithTags("Policies");
        namespaces.MapGet("/{**namespace}", GetNamespaceAsync).WithSummary("A namespace's own policy ('-' or nothing for the root)");
        namespaces.MapPut("/{**namespace}", SetNamespaceAsync).WithSummary("Set a namespace's policy (admin on it)");
        namespaces.MapDelete("/{**namespace}", DeleteNamespaceAsync).WithSummary("Remove a namespace's policy (admin on it)");
        var models = api.MapGroup("/models/{fullName}/policy").WithTags("Policies");
        models.MapGet("/", GetModelAsync).WithSummary("A model's own policy");
        models.MapPut("/", SetModelAsync).WithSummary("Set a model's policy, over its namespaces' (admin on its namespace)");
        models.MapDelete("/", DeleteModelAsync).WithSummary("Remove a model's policy");
        models.MapGet("/effective", EffectiveAsync).WithSummary("Each target's effective rule and the policy it comes from");
        return api;
    }

    public static async Task<Ok<PolicyDocument>> GetNamespaceAsync(string? @namespace, HttpContext http, PromotionPolicies policies, CancellationToken cancellationToken) =>
        TypedResults.Ok(await policies.GetNamespaceAsync(http.Caller(), Namespace(@namespace), cancellationToken));

    public static async Task<Ok<PolicyDocument>> SetNamespaceAsync(string? @namespace, Policy policy, HttpContext http, PromotionPolicies policies, CancellationToken cancellationToken) =>
        TypedResults.Ok(await policies.SetNamespaceAsync(http.Caller(), Namespace(@namespace), policy, cancellationToken));

    public static async Task<NoContent> DeleteNamespaceAsync(string? @namespace, HttpContext http, PromotionPolicies policies, CancellationToken cancellationToken)
    {
        await policies.DeleteNamespaceAsync(http.Caller(), Namespace(@namespace), cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<PolicyDocument>> GetModelAsync(string fullName, HttpContext http, PromotionPolicies policies, CancellationToken cancellationToken) =>
        TypedResults.Ok(await policies.GetModelAsync(http.Caller(), fullName, cancellationToken));

    public static async Task<Ok<PolicyDocument>> SetModelAsync(string fullName, Policy policy, HttpContext http, PromotionPolicies policies, CancellationToken cancellationToken) =>
        TypedResults.Ok(await policies.SetModelAsync(http.Caller(), fullName, policy, cancellationToken));

    public static async Task<NoContent> DeleteModelAsync(string fullName, HttpContext http, PromotionPolicies policies, CancellationToken cancellationToken)
    {
        await policies.DeleteModelAsync(http.Caller(), fullName, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<EffectivePolicy>> EffectiveAsync(string fullName, HttpContext http, PromotionPolicies policies, CancellationToken cancellationToken) =>
        TypedResults.Ok(await policies.EffectiveAsync(http.Caller(), fullName, cancellationToken));

    /// <summary>The namespace a policy path names: its segments after <c>/policies/</c>; nothing or '-' is the root.</summary>
    internal static string Namespace(string? path) =>
        string.IsNullOrEmpty(path) || path.Trim('/') is "" or RootSegment ? Catalog.NamespacePath.Root : "/" + path.Trim('/');
}
