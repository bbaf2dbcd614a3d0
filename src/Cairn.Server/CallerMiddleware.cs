using System.Net.Http.Headers;
using System.Text;
using Cairn.Governance;
using Microsoft.Extensions.Options;

namespace Cairn.Server;

/// <summary>
/// Finds out who is calling: the local admin when auth is off, else the owner of the presented API token, or the user of
/// the OpenID provider's JWT (with the roles its user and groups are bound to) when OIDC is configured.
/// </summary>
internal sealed class CallerResolver(IOptions<CairnOptions> options, ApiTokens tokens, RoleBindings bindings)
{
    public async Task<Caller> ResolveAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!options.Value.TokenAuth)
        {
            return Caller.Admin(options.Value.LocalUser);
        }
        var secret = Secret(request.Headers.Authorization.ToString())
            ?? throw new UnauthenticatedException("This server requires an API token: send 'Authorization: Bearer <token>' (or the token as the HTTP Basic password).");
        if (options.Value.Oidc.Enabled && Oidc.OidcAuthentication.IsJwt(secret))
        {
            return await Oidc.OidcAuthentication.AuthenticateAsync(request.HttpContext, secret, options.Value.Oidc, bindings);
        }
        return await tokens.AuthenticateAsync(secret, cancellationToken)
            ?? throw new UnauthenticatedException("The API token is unknown or has been revoked.");
    }

    /// <summary>The token from a Bearer header, or the password of a Basic header (how MLflow clients send it).</summary>
    private static string? Secret(string header)
    {
        if (!AuthenticationHeaderValue.TryParse(header, out var value) || string.IsNullOrEmpty(value.Parameter))
        {
            return null;
        }
        if (value.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            return value.Parameter;
        }
        if (value.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var pair = Encoding.UTF8.GetString(Convert.FromBase64String(value.Parameter));
                var colon = pair.IndexOf(':', StringComparison.Ordinal);
                return colon >= 0 && colon < pair.Length - 1 ? pair[(colon + 1)..] : null;
            }
            catch (FormatException)
            {
                return null;
            }
        }
        return null;
    }
}

/// <summary>Resolves the caller for every API request before its endpoint runs.</summary>
internal sealed class CallerMiddleware(RequestDelegate next, CallerResolver resolver)
{
    private const string Key = "cairn.caller";

    public async Task InvokeAsync(HttpContext context)
    {
        // MLflow's web UI calls the same handlers under /ajax-api and downloads from MLflow's root routes (/get-artifact);
        // OTLP exporters post spans to /v1/traces.
        if (context.Request.Path.StartsWithSegments("/api") || context.Request.Path.StartsWithSegments("/ajax-api")
            || Mlflow.MlflowApi.IsMlflowPath(context.Request.Path) || context.Request.Path.StartsWithSegments(Mlflow.MlflowOtlpApi.Path))
        {
            context.Items[Key] = await resolver.ResolveAsync(context.Request, context.RequestAborted);
        }
        await next(context);
    }

    /// <summary>Sets the caller of a request resolved another way (the web UI's session).</summary>
    public static void Set(HttpContext context, Caller caller) => context.Items[Key] = caller;

    /// <summary>The caller of a request, if one was resolved (the request log reads it once the request is done).</summary>
    public static Caller? Find(HttpContext context) => context.Items[Key] as Caller;

    public static Caller Of(HttpContext context) =>
        context.Items[Key] as Caller ?? throw new InvalidOperationException("No caller: the request did not pass CallerMiddleware.");
}

internal static class CallerExtensions
{
    public static Caller Caller(this HttpContext context) => CallerMiddleware.Of(context);
}
