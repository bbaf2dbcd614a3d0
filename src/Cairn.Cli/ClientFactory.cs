using System.CommandLine;
using System.CommandLine.Parsing;
using Cairn.Client;
using Cairn.Server;

namespace Cairn.Cli;

/// <summary>The global <c>--server</c> and <c>--token</c> options and the client they configure.</summary>
internal static class ClientFactory
{
    public static Option<Uri> ServerOption { get; } = new("--server")
    {
        Description = "The Cairn server's URL; $CAIRN_SERVER sets the default",
        HelpName = "url",
        Recursive = true,
        CustomParser = result => Parse(result.Tokens[0].Value, "--server", result),
        DefaultValueFactory = result => Environment.GetEnvironmentVariable("CAIRN_SERVER") is { Length: > 0 } fromEnvironment
            ? Parse(fromEnvironment, "CAIRN_SERVER", result)
            : new Uri(CairnServer.DefaultUrls),
    };

    // No DefaultValueFactory: help prints default values, and this one is a secret.
    public static Option<string> TokenOption { get; } = new("--token")
    {
        Description = "The API token to send, for servers started with '--auth token' (default: $CAIRN_TOKEN)",
        HelpName = "token",
        Recursive = true,
    };

    public static Uri Server(ParseResult result) => result.GetRequiredValue(ServerOption);

    public static CairnClient Create(ParseResult result)
    {
        var token = result.GetValue(TokenOption) ?? Environment.GetEnvironmentVariable("CAIRN_TOKEN");
        token = string.IsNullOrEmpty(token) ? null : token;
        // HttpClient(handler, disposeHandler: false): the handler belongs to whoever redirected this flow.
        return CliHost.Handler is { } handler
            ? new CairnClient(new HttpClient(handler, disposeHandler: false) { BaseAddress = Server(result) }, token)
            : new CairnClient(Server(result), token);
    }

    private static Uri Parse(string text, string source, ArgumentResult result)
    {
        if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
        {
            return uri;
        }
        result.AddError($"{source} must be an http:// or https:// URL such as {CairnServer.DefaultUrls}; got '{text}'.");
        return null!;
    }
}
