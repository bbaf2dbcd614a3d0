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
    private const string ConnectionFailed = "CONNECTION_FAILED";

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
                return output.Fail($"HTTP {(int)e.StatusCode} from {ClientFactory.Server(result)}: {OneLine(e.Detail)} (is --server a Cairn server?)",
                    "UNEXPECTED_RESPONSE", (int)e.StatusCode, "Not a Cairn answer");
            }
            catch (CairnApiException e)
            {
                var exitCode = output.Fail($"{e.Detail} ({e.ErrorCode}, HTTP {(int)e.StatusCode})", e.ErrorCode!, (int)e.StatusCode, e.Title, e.Detail);
                if (e.StatusCode == HttpStatusCode.Unauthorized && !output.Json)
                {
                    Output.Note("hint: pass --token or set CAIRN_TOKEN; 'cairn token create --data-dir DIR [--init]' makes the first admin token offline.");
                }
                return exitCode;
            }
            catch (CairnException e)
            {
                // Offline commands (--data-dir) call the library directly: same codes as the API, no HTTP status.
                return output.Fail($"{e.Message} ({e.ErrorCode})", e.ErrorCode, e.StatusCode, null, e.Message);
            }
            catch (HttpRequestException e) when (e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError)
            {
                return output.Fail($"cannot connect to the Cairn server at {ClientFactory.Server(result)} ({e.Message}). "
                    + "Is it running? Start one with 'cairn serve', or point --server (or CAIRN_SERVER) at it.", ConnectionFailed, null, "Cannot connect");
            }
            catch (HttpRequestException e)
            {
                return output.Fail($"the request to the Cairn server at {ClientFactory.Server(result)} failed: {e.Message}", ConnectionFailed, null, "Request failed");
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return output.Fail($"the Cairn server at {ClientFactory.Server(result)} did not answer in time.", "TIMEOUT", null, "No answer in time");
            }
            catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or UnauthorizedAccessException)
            {
                // Local files: a missing --file, an unreadable directory, a download whose checksum did not match.
                return output.Fail(e.Message, "LOCAL_FILE_ERROR", null, "Local file error");
            }
            catch (JsonException e)
            {
                return output.Fail($"the server at {ClientFactory.Server(result)} did not answer as a Cairn server does: {e.Message}", "UNEXPECTED_RESPONSE", null, "Not a Cairn answer");
            }
            catch (DbException e)
            {
                return output.Fail($"the database could not be used: {e.Message}", "DATABASE_ERROR", null, "Database error");
            }
        });

    private static string OneLine(string text)
    {
        var line = MarkupAndSpace().Replace(text, " ").Trim();
        return line.Length > MaxForeignDetail ? line[..MaxForeignDetail] + "…" : line;
    }
}
