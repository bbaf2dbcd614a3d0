using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using Cairn.Client;

namespace Cairn.Cli;

/// <summary><c>cairn events tail</c>: the event feed, printed as it commits.</summary>
internal static class EventCommands
{
    // How long one long poll waits on the server before asking again (the server allows up to 60 s).
    private static readonly TimeSpan PollWait = TimeSpan.FromSeconds(30);

    // One compact JSON object per line under --json, so that a script reads the stream line by line.
    private static readonly JsonSerializerOptions LineJson = new(CairnJson.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create() => new("events", "Follow the registry's events (docs/events.md)")
    {
        TailCommand(),
    };

    private static Command TailCommand()
    {
        var after = new Option<string>("--after") { Description = "Start after this cursor (a cursor printed earlier, or an event's seq); default: the first event", HelpName = "cursor" };
        var types = new Option<string[]>("--types")
        {
            Description = "Only these event types, comma-separated or repeated; '*' matches any characters (model_version.*)",
            HelpName = "types",
            AllowMultipleArgumentsPerToken = true,
        };
        var ns = new Option<string>("--namespace") { Description = "Only events of this namespace and those below it, such as /abc_corp", HelpName = "namespace" };
        var follow = new Option<bool>("--follow") { Description = "Keep waiting for new events until Ctrl-C (the default)" };
        var noFollow = new Option<bool>("--no-follow") { Description = "Stop at the newest event instead of waiting for more" };
        var command = new Command("tail", "Print events in commit order and wait for new ones; the cursor printed on stderr resumes with --after")
        {
            after, types, ns, follow, noFollow,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(follow) && result.GetValue(noFollow))
            {
                result.AddError("--follow and --no-follow cannot be used together.");
            }
        });
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var patterns = (result.GetValue(types) ?? []).SelectMany(t => t.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
            var keepFollowing = !result.GetValue(noFollow);
            var cursor = result.GetValue(after);
            try
            {
                while (true)
                {
                    var page = await client.ReadEventsAsync(cursor, patterns, result.GetValue(ns), wait: keepFollowing ? PollWait : null, cancellationToken: cancellationToken);
                    foreach (var e in page.Events)
                    {
                        Console.Out.WriteLine(output.Json
                            ? JsonSerializer.Serialize(e, LineJson)
                            : $"{e.Cursor}  {Output.Time(e.Time)}  {e.Type,-34}  {e.Resource}  by {e.Actor}");
                    }
                    await Console.Out.FlushAsync(cancellationToken);
                    var moved = page.NextCursor != cursor;
                    cursor = page.NextCursor;
                    if (!keepFollowing && (page.Events.Count == 0 || !moved))
                    {
                        break;
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ctrl-C: a clean stop; the cursor below is where to resume.
            }
            Output.Note($"cursor: {cursor ?? "0"} (resume with --after {cursor ?? "0"})");
        });
        return command;
    }
}
