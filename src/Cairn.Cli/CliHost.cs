namespace Cairn.Cli;

/// <summary>
/// Where commands write and how their client reaches the server: the process's console and network, or, for one async
/// flow, writers and an HTTP handler given in its place (tests run commands in-process against an in-memory server).
/// </summary>
internal static class CliHost
{
    private static readonly AsyncLocal<Redirection?> Current = new();

    public static TextWriter Out => Current.Value?.Out ?? Console.Out;

    public static TextWriter Error => Current.Value?.Error ?? Console.Error;

    /// <summary>The handler the client sends through instead of the network, if any.</summary>
    public static HttpMessageHandler? Handler => Current.Value?.Handler;

    /// <summary>Sends this flow's output to <paramref name="output"/> and <paramref name="error"/> and its requests through <paramref name="handler"/>.</summary>
    public static void Redirect(TextWriter output, TextWriter error, HttpMessageHandler? handler) => Current.Value = new Redirection(output, error, handler);

    private sealed record Redirection(TextWriter Out, TextWriter Error, HttpMessageHandler? Handler);
}
