using System.ComponentModel.DataAnnotations;
using Cairn.Server;

namespace Cairn.Tests.Governance;

/// <summary>The OIDC settings (docs/auth.md): what turns authentication on, and the settings refused at start.</summary>
[Trait("Store", "none")]
public sealed class OidcSettingsTests
{
    private static List<string> Problems(CairnOptions options) =>
        [.. options.Validate(new ValidationContext(options)).Select(r => r.ErrorMessage!)];

    [Fact]
    public void An_authority_turns_authentication_on_and_the_audience_defaults_to_the_client_id()
    {
        var options = new CairnOptions { Auth = "none", Oidc = { Authority = "https://sso.example.com/realms/acme", ClientId = "cairn" } };
        Assert.True(options.TokenAuth);
        Assert.Equal("cairn", options.Oidc.EffectiveAudience);
        Assert.Empty(Problems(options));
        Assert.False(new CairnOptions { Auth = "none" }.TokenAuth);
    }

    [Theory]
    [InlineData("http://sso.example.com/realms/acme", "must use https")]
    [InlineData("sso.example.com", "is not an http(s) URL")]
    [InlineData("ftp://sso.example.com", "is not an http(s) URL")]
    public void An_authority_that_is_not_https_is_refused_naming_the_setting(string authority, string reason)
    {
        var problem = Assert.Single(Problems(new CairnOptions { Oidc = { Authority = authority, ClientId = "cairn" } }));
        Assert.Contains("Cairn:Oidc:Authority", problem, StringComparison.Ordinal);
        Assert.Contains(reason, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Plain_http_is_allowed_on_loopback_for_tests()
    {
        Assert.Empty(Problems(new CairnOptions { Oidc = { Authority = "http://127.0.0.1:8080", Audience = "api://cairn" } }));
    }

    [Fact]
    public void Without_an_audience_or_client_id_the_start_is_refused()
    {
        var problem = Assert.Single(Problems(new CairnOptions { Oidc = { Authority = "https://sso.example.com" } }));
        Assert.Contains("Cairn:Oidc:Audience", problem, StringComparison.Ordinal);
    }
}
