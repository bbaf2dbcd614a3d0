using System.Diagnostics;
using System.Security.Claims;
using Cairn.Governance;
using Cairn.Server.Ui.Pages.Models;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Endpoints;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Cairn.Server.Ui;

/// <summary>
/// Who is using the web UI. With <c>--auth none</c> everyone is the local admin (the layout says so). With
/// <c>--auth token</c> a sign-in form takes an API token and starts a cookie session: the cookie (encrypted by ASP.NET
/// Core's data protection, HttpOnly, SameSite=Lax, Secure on https, sliding expiry) carries the token, and every page
/// authenticates it again, so a revoked token ends its sessions at once and roles are always the token's current ones.
/// The API never reads the cookie: it takes only the Authorization header, so a page cannot be made to call it.
/// </summary>
public static class UiSession
{
    public const string Scheme = "cairn-ui";
    private const string SecretClaim = "cairn:token";

    internal static IServiceCollection AddCairnUi(this IServiceCollection services)
    {
        services.AddRazorComponents();
        services.AddAntiforgery(o => o.Cookie.Name = "cairn_antiforgery");
        services.AddSingleton<UiAssets>();
        services.AddAuthentication(Scheme).AddCookie(Scheme, o =>
        {
            o.Cookie.Name = "cairn_session";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.ExpireTimeSpan = TimeSpan.FromHours(8);
            o.SlidingExpiration = true;
            o.LoginPath = "/signin";
            o.ReturnUrlParameter = "return";
        });
        return services;
    }

    /// <summary>Between routing and the endpoints: the session, the caller of UI pages, anti-forgery.</summary>
    internal static IApplicationBuilder UseCairnUi(this IApplicationBuilder app)
    {
        app.UseAuthentication();
        app.UseMiddleware<UiCallerMiddleware>();
        app.UseAntiforgery();
        return app;
    }

    internal static void MapCairnUi(this WebApplication app)
    {
        app.MapGet("/ui/assets/{name}", (HttpContext context, string name, UiAssets assets) => assets.Serve(context, name)).ExcludeFromDescription();
        // Ahead of the sign-in page's own POST endpoint (a Razor component's), which binds no form parameter to tell them apart.
        app.MapPost("/signin", SignInAsync).WithMetadata(new UiEndpointAttribute(), new RequireAntiforgeryTokenAttribute())
            .WithOrder(-1).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/signin/oidc", SignInWithProvider).WithMetadata(new UiEndpointAttribute()).AllowAnonymous().ExcludeFromDescription();
        app.MapPost("/signout", (Delegate)SignOutAsync).WithMetadata(new UiEndpointAttribute()).ExcludeFromDescription();
        Pages.Runs.RunArtifactFiles.MapRunArtifactFiles(app);
        app.MapVersionFileDownloads();
        Pages.Cards.ModelCardDownloads.MapModelCardDownloads(app);
        Pages.Reports.ComplianceDownloads.MapComplianceDownloads(app);
        app.MapRazorComponents<App>();
    }

    private static async Task<IResult> SignInAsync(HttpContext context, ApiTokens tokens, IOptions<CairnOptions> options)
    {
        // The form is read here, after the anti-forgery check: reading a form whose token was refused throws (a 500).
        if (context.Features.Get<IAntiforgeryValidationFeature>() is { IsValid: false })
        {
            throw new InvalidParameterException("The sign-in form's anti-forgery token is missing or not valid: load the sign-in page again and resend it.");
        }
        if (!context.Request.HasFormContentType)
        {
            throw new CairnException(RequestErrors.UnsupportedMediaType, StatusCodes.Status415UnsupportedMediaType, "The sign-in form is sent as 'application/x-www-form-urlencoded' or 'multipart/form-data'.");
        }
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var token = (string?)form["token"];
        var back = LocalUrl(form["return"]);
        if (!options.Value.TokenAuth)
        {
            return Results.Redirect(back);
        }
        var caller = string.IsNullOrWhiteSpace(token) ? null : await tokens.AuthenticateAsync(token.Trim(), context.RequestAborted);
        if (caller is null)
        {
            // The token is never echoed back; the form says it was not accepted.
            return Results.Redirect($"/signin?error=invalid&return={Uri.EscapeDataString(back)}");
        }
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, caller.Name), new Claim(SecretClaim, token!.Trim())], Scheme);
        await context.SignInAsync(Scheme, new ClaimsPrincipal(identity), new AuthenticationProperties { IsPersistent = false });
        return Results.Redirect(back);
    }

    /// <summary>Starts the authorization code flow with the OpenID provider (Oidc/OidcAuthentication.cs).</summary>
    private static IResult SignInWithProvider([FromQuery(Name = "return")] string? returnUrl, IOptions<CairnOptions> options) =>
        options.Value.Oidc.Enabled
            ? Results.Challenge(new AuthenticationProperties { RedirectUri = LocalUrl(returnUrl) }, [Oidc.OidcAuthentication.UiScheme])
            : Results.Redirect("/signin");

    private static async Task<IResult> SignOutAsync(HttpContext context)
    {
        var atProvider = Oidc.OidcAuthentication.IsOidcSession(context);
        await context.SignOutAsync(Scheme);
        // A session from the provider ends there too, when it supports RP-initiated logout; that redirect is the answer.
        if (atProvider && await Oidc.OidcAuthentication.SignOutAtProviderAsync(context))
        {
            return Results.Empty;
        }
        return Results.Redirect("/signin?signedout=1");
    }

    /// <summary>A return address on this server only (an absolute or protocol-relative URL would be an open redirect).</summary>
    internal static string LocalUrl(string? url) =>
        !string.IsNullOrEmpty(url) && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\')) ? url : "/";

    /// <summary>The signed-in caller of a UI page (set by the session middleware before any page renders).</summary>
    public static Caller UiCaller(this HttpContext context) => CallerMiddleware.Of(context);

    /// <summary>Resolves the caller of UI endpoints; sends an unknown visitor to the sign-in page; times the page.</summary>
    private sealed class UiCallerMiddleware(RequestDelegate next, IOptions<CairnOptions> options, ApiTokens tokens, RoleBindings bindings)
    {
        public async Task InvokeAsync(HttpContext context)
        {
            var endpoint = context.GetEndpoint();
            if (endpoint?.Metadata.GetMetadata<ComponentTypeMetadata>() is null && endpoint?.Metadata.GetMetadata<UiEndpointAttribute>() is null)
            {
                await next(context);
                return;
            }
            // The page's own time on the server, for the bench (bench/) and a browser's network panel.
            var started = Stopwatch.GetTimestamp();
            context.Response.OnStarting(() =>
            {
                context.Response.Headers["Server-Timing"] = $"app;dur={Stopwatch.GetElapsedTime(started).TotalMilliseconds:0.0}";
                return Task.CompletedTask;
            });
            // Pages are per user and change with every write: never cached by the browser or a proxy.
            context.Response.Headers.CacheControl = "no-store";
            var caller = await ResolveAsync(context);
            if (caller is not null)
            {
                CallerMiddleware.Set(context, caller);
            }
            else if (endpoint.Metadata.GetMetadata<IAllowAnonymous>() is null)
            {
                var here = context.Request.Path + context.Request.QueryString;
                context.Response.Redirect($"/signin?return={Uri.EscapeDataString(here)}");
                return;
            }
            await next(context);
        }

        private async Task<Caller?> ResolveAsync(HttpContext context)
        {
            if (!options.Value.TokenAuth)
            {
                return Caller.Admin(options.Value.LocalUser);
            }
            if (context.User.FindFirst(SecretClaim)?.Value is not { Length: > 0 } secret)
            {
                // A session from the OpenID provider: its user's and groups' bindings, read afresh for every page.
                return await Oidc.OidcAuthentication.SessionCallerAsync(context, bindings);
            }
            var caller = await tokens.AuthenticateAsync(secret, context.RequestAborted);
            if (caller is null)
            {
                // Revoked since sign-in: the session ends here.
                await context.SignOutAsync(Scheme);
            }
            return caller;
        }
    }
}

/// <summary>Marks a non-component endpoint of the UI (sign-in, sign-out, form posts) for the session middleware.</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class UiEndpointAttribute : Attribute;
