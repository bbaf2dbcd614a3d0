using System.CommandLine;

namespace Cairn.Cli;

/// <summary><c>cairn serve</c>'s options for sign-in with an OpenID provider (Cairn:Oidc:*, docs/auth.md).</summary>
internal static class OidcServeOptions
{
    private static readonly (string Flag, string Key, string HelpName, string Description)[] Flags =
    [
        ("--oidc-authority", "Cairn:Oidc:Authority", "url", "The OpenID provider's issuer URL; set, callers must authenticate (as --auth token) and may use its tokens ($CAIRN_OIDC_AUTHORITY)"),
        ("--oidc-client-id", "Cairn:Oidc:ClientId", "id", "The client id the web UI signs in with, code flow + PKCE ($CAIRN_OIDC_CLIENT_ID)"),
        ("--oidc-client-secret", "Cairn:Oidc:ClientSecret", "secret", "The client secret, for a confidential client ($CAIRN_OIDC_CLIENT_SECRET; prefer the variable)"),
        ("--oidc-audience", "Cairn:Oidc:Audience", "aud", "The audience bearer tokens must carry (default: the client id) ($CAIRN_OIDC_AUDIENCE)"),
        ("--oidc-user-claim", "Cairn:Oidc:UserClaim", "claim", "The claim naming users in role bindings (default preferred_username, else sub)"),
        ("--oidc-groups-claim", "Cairn:Oidc:GroupsClaim", "claim", "The claim listing a user's groups (default groups)"),
        ("--oidc-scopes", "Cairn:Oidc:Scopes", "scopes", "The scopes the web UI asks for, space-separated (default \"openid profile\")"),
        ("--oidc-provider-name", "Cairn:Oidc:ProviderName", "name", "The provider's name on the sign-in button"),
    ];

    /// <summary>The options, to add to the serve command.</summary>
    public static IReadOnlyList<Option<string>> Create() =>
        [.. Flags.Select(f => new Option<string>(f.Flag) { Description = f.Description, HelpName = f.HelpName })];

    /// <summary>The given options as configuration keys.</summary>
    public static void AddTo(IDictionary<string, string?> overrides, ParseResult result, IReadOnlyList<Option<string>> options)
    {
        for (var i = 0; i < Flags.Length; i++)
        {
            if (result.GetValue(options[i]) is { } value)
            {
                overrides[Flags[i].Key] = value;
            }
        }
    }
}
