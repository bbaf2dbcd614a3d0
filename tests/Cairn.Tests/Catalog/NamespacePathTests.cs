using Cairn.Catalog;
using Cairn.Governance;

namespace Cairn.Tests.Catalog;

[Trait("Store", "none")]
public sealed class NamespacePathTests
{
    [Theory]
    [InlineData("/abc_corp/claim", "doc_classification", "abc_corp.claim.doc_classification")]
    [InlineData("/", "m", "m")]
    [InlineData("/a", "m", "a.m")]
    public void Full_names_join_namespace_segments_and_name_with_dots(string ns, string name, string full)
    {
        Assert.Equal(full, NamespacePath.FullName(ns, name));
        Assert.Equal((ns, name), NamespacePath.Split(full));
    }

    [Theory]
    [InlineData(null, "/")]
    [InlineData("", "/")]
    [InlineData("/a/b/", "/a/b")]
    public void Namespaces_are_normalised(string? input, string expected) => Assert.Equal(expected, NamespacePath.Normalize(input));

    [Theory]
    [InlineData("a/b")]
    [InlineData("/a//b")]
    [InlineData("/a/../b")]
    [InlineData("/a b")]
    public void Malformed_namespaces_are_rejected(string input) => Assert.Throws<InvalidParameterException>(() => NamespacePath.Normalize(input));

    [Fact]
    public void A_grant_covers_its_namespace_and_descendants_only()
    {
        var caller = new Caller("c", [new RoleGrant("/acme", Role.Approver)]);
        Assert.True(caller.Has(Role.Writer, "/acme"));
        Assert.True(caller.Has(Role.Approver, "/acme/claims/deep"));
        Assert.False(caller.Has(Role.Admin, "/acme"));
        Assert.False(caller.Has(Role.Reader, "/acmex"));
        Assert.False(caller.Has(Role.Reader, "/"));
        Assert.Equal(["/acme"], caller.ReadableNamespaces());
        Assert.Null(Caller.Admin("root").ReadableNamespaces());
    }

    [Theory]
    [InlineData("password", true)]
    [InlineData("AWS_SECRET_ACCESS_KEY", true)]
    [InlineData("api_key", true)]
    [InlineData("auth_token", true)]
    [InlineData("user", false)]
    [InlineData("account", false)]
    public void Secret_looking_connection_keys_are_recognised(string key, bool secret) => Assert.Equal(secret, Secrets.IsSecretKey(key));
}
