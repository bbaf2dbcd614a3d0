using System.Security.Claims;
using Cairn.Governance;
using Cairn.Server.Ui;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Cairn.Server.Oidc;

/// <summary>
/// Sign-in with the organisation's OpenID provider (<c>Cairn:Oidc:*</c>, docs/auth.md). Unset <see cref="Authority"/>
/// leaves OIDC off. Set, it turns authentication on (as <c>--auth token</c>: API tokens keep working beside it).
/// </summary>
public sealed class OidcSettings
{
    /// <summary>The provider's issuer URL; its metadata is read from <c>{Authority}/.well-known/openid-configuration</c>.</summary>
    public string? Authority { get; set; }

    /// <summary>The client id Cairn's web UI signs in with (authorization code + PKCE).</summary>
    public string? ClientId { get; set; }

    /// <summary>The client's secret, for a confidential client; unset for a public client (PKCE alone).</summary>
    public string? ClientSecret { get; set; }

    /// <summary>The audience bearer tokens must be issued for (<c>aud</c>); unset means <see cref="ClientId"/>.</summary>
    public string? Audience { get; set; }

    /// <summary>
    /// The claim whose value names a user in role bindings and the audit log. Default <c>preferred_username</c>
    /// (readable, what Keycloak and Okta fill in); a token without it falls back to <c>sub</c>.
    /// </summary>
    public string UserClaim { get; set; } = "preferred_username";

    /// <summary>The claim holding the user's groups (a JSON array or repeated claim); default <c>groups</c>.</summary>
    public string GroupsClaim { get; set; } = "groups";

    /// <summary>The scopes the web UI asks for, space-separated; default <c>openid profile</c>.</summary>
    public string Scopes { get; set; } = "openid profile";

    /// <summary>The provider's name on the sign-in button ("Sign in with …"); default "your identity provider".</summary>
    public string? ProviderName { get; set; }

    /// <summary>True when an authority is set.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(Authority);

    /// <summary>The audience bearer tokens must carry.</summary>
    public string? EffectiveAudience => string.IsNullOrWhiteSpace(Audience) ? ClientId : Audience;

    /// <summary>What <see cref="CairnOptions"/> reports when the settings cannot work.</summary>
    internal IEnumerable<string> Problems()
    {
        if (!Enabled)
        {
            yield break;
        }
        if (!Uri.TryCreate(Authority, UriKind.Absolute, out var authority) || authority.Scheme is not ("https" or "http"))
        {
            yield return $"Cairn:Oidc:Authority '{Authority}' is not an http(s) URL (the provider's issuer, such as https://login.example.com/realms/acme).";
        }
        else if (authority.Scheme == "http" && !authority.IsLoopback)
        {
            yield return $"Cairn:Oidc:Authority '{Authority}' must use https: tokens and keys read over plain http could be forged on the way (http is allowed on loopback only, for tests).";
        }
        if (string.IsNullOrWhiteSpace(EffectiveAudience))
        {
            yield return "Cairn:Oidc:Audience (or Cairn:Oidc:ClientId) is required with Cairn:Oidc:Authority: Cairn accepts only tokens issued for it.";
        }
    }
}

/// <summary>Registers the OIDC schemes and resolves callers from the provider's tokens.</summary>
public static class OidcAuthentication
{
    /// <summary>Validates the provider's JWT access tokens presented as bearer tokens (or as the Basic password).</summary>
    public const string BearerScheme = "cairn-oidc-bearer";

    /// <summary>Signs users in to the web UI with the authorization code flow and PKCE.</summary>
    public const string UiScheme = "cairn-oidc";

    /// <summary>Marks a UI session started through the provider; its value is the user.</summary>
    internal const string UserClaim = "cairn:oidc-user";

    /// <summary>One per group of a UI session started through the provider.</summary>
    internal const string GroupClaim = "cairn:oidc-group";

    private const string TokenItem = "cairn.oidc.token";

    /// <summary>The prefix of Cairn's own API tokens: anything else with a JWT's shape goes to the provider's validator.</summary>
    internal const string ApiTokenPrefix = "cairn_";

    /// <summary>Adds the bearer and UI schemes when <c>Cairn:Oidc:Authority</c> is set.</summary>
    /// <param name="services">The server's services.</param>
    /// <param name="configuration">Read once, to know whether OIDC is on.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddCairnOidc(this IServiceCollection services, IConfiguration configuration)
    {
        var settings = configuration.GetSection(CairnOptions.Section + ":Oidc").Get<OidcSettings>() ?? new OidcSettings();
        if (!settings.Enabled || settings.Problems().Any())
        {
            // Problems stop the start in CairnOptions' validation, with their reasons.
            return services;
        }
        var loopback = Uri.TryCreate(settings.Authority, UriKind.Absolute, out var authority) && authority.IsLoopback;
        services.AddAuthentication()
            .AddJwtBearer(BearerScheme, o =>
            {
                o.Authority = settings.Authority;
                o.Audience = settings.EffectiveAudience;
                o.RequireHttpsMetadata = !loopback;
                // Claims keep the names the provider gave them (sub, groups), which the settings name.
                o.MapInboundClaims = false;
                // An unknown key id makes the configuration manager fetch the provider's keys again (at most once per
                // RefreshInterval, 5 minutes by default), so a provider's key rotation needs no restart.
                o.RefreshOnIssuerKeyNotFound = true;
                o.TokenValidationParameters.NameClaimType = settings.UserClaim;
                o.Events = new JwtBearerEvents
                {
                    // The token CallerResolver found (Bearer header or Basic password), not only the Bearer header.
                    OnMessageReceived = context =>
                    {
                        context.Token = context.HttpContext.Items[TokenItem] as string;
                        return Task.CompletedTask;
                    },
                };
            })
            .AddOpenIdConnect(UiScheme, o =>
            {
                o.Authority = settings.Authority;
                o.ClientId = settings.ClientId;
                o.ClientSecret = string.IsNullOrWhiteSpace(settings.ClientSecret) ? null : settings.ClientSecret;
                o.RequireHttpsMetadata = !loopback;
                o.ResponseType = OpenIdConnectResponseType.Code;
                o.UsePkce = true;
                // The code comes back in the query of a top-level redirect, so the correlation and nonce cookies can
                // be SameSite=Lax (form_post would need SameSite=None, which browsers refuse without https).
                o.ResponseMode = OpenIdConnectResponseMode.Query;
                o.CorrelationCookie.SameSite = SameSiteMode.Lax;
                o.NonceCookie.SameSite = SameSiteMode.Lax;
                // Secure on https, as the session cookie is (UiSession.cs); on plain http a Secure cookie would be dropped.
                o.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.SignInScheme = UiSession.Scheme;
                o.SignOutScheme = UiSession.Scheme;
                o.MapInboundClaims = false;
                // The id token is kept in the session for RP-initiated logout (its id_token_hint).
                o.SaveTokens = true;
                o.Scope.Clear();
                foreach (var scope in settings.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    o.Scope.Add(scope);
                }
                o.Events = new OpenIdConnectEvents
                {
                    // The session keeps only who the user is and its groups; roles are read from the bindings per page.
                    OnTokenValidated = context =>
                    {
                        var (user, groups) = Identify(context.Principal!, settings);
                        if (user is null)
                        {
                            context.Fail($"The identity provider's token carries neither a '{settings.UserClaim}' nor a 'sub' claim.");
                            return Task.CompletedTask;
                        }
                        var identity = new ClaimsIdentity(
                            [new Claim(ClaimTypes.Name, user), new Claim(UserClaim, user), .. groups.Select(g => new Claim(GroupClaim, g))],
                            UiSession.Scheme);
                        context.Principal = new ClaimsPrincipal(identity);
                        return Task.CompletedTask;
                    },
                    OnRemoteFailure = context =>
                    {
                        context.HandleResponse();
                        context.Response.Redirect("/signin?error=oidc");
                        return Task.CompletedTask;
                    },
                };
            });
        return services;
    }

    /// <summary>Whether <paramref name="secret"/> is for the provider's validator: not an API token, and shaped as a JWT.</summary>
    internal static bool IsJwt(string secret) =>
        !secret.StartsWith(ApiTokenPrefix, StringComparison.Ordinal) && secret.Count(c => c == '.') == 2;

    /// <summary>The caller a provider's JWT stands for, with the roles its user and groups are bound to.</summary>
    internal static async Task<Caller> AuthenticateAsync(HttpContext context, string token, OidcSettings settings, RoleBindings bindings)
    {
        context.Items[TokenItem] = token;
        var result = await context.AuthenticateAsync(BearerScheme);
        if (!result.Succeeded)
        {
            throw new UnauthenticatedException(Reason(result.Failure));
        }
        var (user, groups) = Identify(result.Principal, settings);
        if (user is null)
        {
            throw new UnauthenticatedException($"The identity provider's token carries neither a '{settings.UserClaim}' nor a 'sub' claim: Cairn cannot tell who it is.");
        }
        return await bindings.UserCallerAsync(user, groups, context.RequestAborted);
    }

    /// <summary>The caller of a UI session started through the provider, or null when the session is not one.</summary>
    internal static async Task<Caller?> SessionCallerAsync(HttpContext context, RoleBindings bindings)
    {
        if (context.User.FindFirst(UserClaim)?.Value is not { Length: > 0 } user)
        {
            return null;
        }
        var groups = context.User.FindAll(GroupClaim).Select(c => c.Value).ToList();
        return await bindings.UserCallerAsync(user, groups, context.RequestAborted);
    }

    /// <summary>Whether the UI session was started through the provider.</summary>
    internal static bool IsOidcSession(HttpContext context) => context.User.FindFirst(UserClaim) is not null;

    /// <summary>
    /// Ends a session started through the provider at the provider too (RP-initiated logout) when its metadata names an
    /// end_session_endpoint; true when the response is that redirect.
    /// </summary>
    internal static async Task<bool> SignOutAtProviderAsync(HttpContext context)
    {
        var monitor = context.RequestServices.GetRequiredService<IOptionsMonitor<OpenIdConnectOptions>>();
        var options = monitor.Get(UiScheme);
        if (options.ConfigurationManager is null)
        {
            return false;
        }
        OpenIdConnectConfiguration configuration;
        try
        {
            configuration = await options.ConfigurationManager.GetConfigurationAsync(context.RequestAborted);
        }
        catch (InvalidOperationException)
        {
            // The provider is unreachable: the local session still ends.
            return false;
        }
        if (string.IsNullOrEmpty(configuration.EndSessionEndpoint))
        {
            return false;
        }
        await context.SignOutAsync(UiScheme, new AuthenticationProperties { RedirectUri = "/signin?signedout=1" });
        return true;
    }

    private static (string? User, IReadOnlyList<string> Groups) Identify(ClaimsPrincipal principal, OidcSettings settings)
    {
        var user = principal.FindFirst(settings.UserClaim)?.Value is { Length: > 0 } named ? named : principal.FindFirst("sub")?.Value;
        var groups = principal.FindAll(settings.GroupsClaim).Select(c => c.Value).Where(v => v.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        return (string.IsNullOrEmpty(user) ? null : user, groups);
    }

    // Why the token was refused, without echoing it.
    private static string Reason(Exception? failure) => failure switch
    {
        SecurityTokenExpiredException => "The identity provider's token has expired: get a new one.",
        SecurityTokenNotYetValidException => "The identity provider's token is not valid yet.",
        SecurityTokenInvalidAudienceException => "The identity provider's token was issued for another audience than this server's.",
        SecurityTokenInvalidIssuerException => "The token was issued by another issuer than the configured identity provider.",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException =>
            "The token is not signed by a key of the configured identity provider.",
        InvalidOperationException => "The token could not be checked: the identity provider's metadata could not be read.",
        _ => "The bearer token is neither a Cairn API token nor a valid token of the configured identity provider.",
    };
}
