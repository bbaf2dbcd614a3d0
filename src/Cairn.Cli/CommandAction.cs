using System.CommandLine;
using System.Data.Common;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Cairn.Client;

namespace Cairn.Cli;

/// <summary>
/// Runs a command's action and turns failures into one line on stderr and an exit code: 1 for anything the
/// server or the store refused or could not do (2, bad usage, is set in Program).
/// </summary>
internal static partial class CommandAction
{
    private const int MaxForeignDetail = 200;

    [GeneratedRegex(@"(?:<[^>]*>|\s)+")]
    private static partial Regex MarkupAndSpace();

    public static void SetCairnAction(this Command command, Func<ParseResult, Output, CancellationToken, Task> action) =>
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            await action(result, output, cancellationToken);
            return 0;
        });

    public static void SetCairnAction(this Command command, Func<ParseResult, Output, CancellationToken, Task<int>> action) =>
        command.SetAction(async (result, cancellationToken) =>
        {
            var output = Output.For(result);
            try
            {
                return await action(result, output, cancellationToken);
            }
            catch (CairnApiException e) when (e.ErrorCode is null)
            {
                // No Cairn problem details: a proxy's or some other server's page, of which one line is enough.
                Output.Error($"HTTP {(int)e.StatusCode} from {ClientFactory.Server(result)}: {OneLine(e.Detail)} (is --server a Cairn server?)");
                return 1;
            }
            catch (CairnApiException e)
            {
                Output.Error($"{e.Detail} ({e.ErrorCode}, HTTP {(int)e.StatusCode})");
                if (e.StatusCode == HttpStatusCode.Unauthorized)
                {
                    Output.Note("hint: pass --token or set CAIRN_TOKEN; 'cairn token create --data-dir DIR' makes the first admin token offline.");
                }
                return 1;
            }
            catch (CairnException e)
            {
                // Offline commands (--data-dir) call the library directly: same codes as the API, no HTTP status.
                Output.Error($"{e.Message} ({e.ErrorCode})");
                return 1;
            }
            catch (HttpRequestException e) when (e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError)
            {
                Output.Error($"cannot connect to the Cairn server at {ClientFactory.Server(result)} ({e.Message}). "
                    + "Is it running? Start one with 'cairn serve', or point --server (or CAIRN_SERVER) at it.");
                return 1;
            }
            catch (HttpRequestException e)
            {
                Output.Error($"the request to the Cairn server at {ClientFactory.Server(result)} failed: {e.Message}");
                return 1;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                Output.Error($"the Cairn server at {ClientFactory.Server(result)} did not answer in time.");
                return 1;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or UnauthorizedAccessException)
            {
                // Local files: a missing --file, an unreadable directory, a download whose checksum did not match.
                Output.Error(e.Message);
                return 1;
            }
            catch (JsonException e)
            {
                Output.Error($"the server at {ClientFactory.Server(result)} did not answer as a Cairn server does: {e.Message}");
                return 1;
            }
            catch (DbException e)
            {
                Output.Error($"the database could not be used: {e.Message}");
                return 1;
            }
        });

    private static string OneLine(string text)
    {
        var line = MarkupAndSpace().Replace(text, " ").Trim();
        return line.Length > MaxForeignDetail ? line[..MaxForeignDetail] + "…" : line;
    }
}
