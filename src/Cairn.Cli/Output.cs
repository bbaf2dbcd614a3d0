using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Cairn.Cli;

/// <summary>
/// What a command prints: with <c>--json</c>, the API's JSON and nothing else on stdout; otherwise lines and tables
/// for people. Errors and notes go to stderr either way, so that scripts can read stdout as it is.
/// </summary>
internal sealed class Output
{
    // Wide enough that tables never wrap when stdout is a file or a CI log; tables size to their content, not to this.
    private const int RedirectedWidth = 400;

    public static JsonSerializerOptions JsonOptions { get; } = new(CairnJson.Options)
    {
        WriteIndented = true,
        // Printed to a terminal or a pipe, never embedded in HTML: keep '+', '<', 'é' readable.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly IAnsiConsole _console;

    private Output(bool json)
    {
        Json = json;
        _console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(CliHost.Out) });
        if (Console.IsOutputRedirected)
        {
            _console.Profile.Width = RedirectedWidth;
        }
    }

    public static Option<bool> JsonOption { get; } = new("--json")
    {
        Description = "Print the API's JSON (snake_case, indented) and nothing else on stdout",
        Recursive = true,
    };

    public bool Json { get; }

    public static Output For(ParseResult result) => new(result.GetValue(JsonOption));

    /// <summary>Prints <paramref name="value"/> as JSON under <c>--json</c>, else runs <paramref name="render"/>.</summary>
    public void Write<T>(T value, Action<T> render)
    {
        if (Json)
        {
            CliHost.Out.WriteLine(JsonSerializer.Serialize(value, JsonOptions));
        }
        else
        {
            render(value);
        }
    }

    /// <summary>A line for people; written as is (Spectre would wrap it at the console width, splitting tokens and URLs).</summary>
    public static void Line(string text) => CliHost.Out.WriteLine(text);

    public static void Error(string message) => CliHost.Error.WriteLine("error: " + message);

    /// <summary>
    /// Reports a failed command and returns exit code 1: one line for people, or under <c>--json</c> a problem-details
    /// document (RFC 9457: <c>title</c>, <c>status</c>, <c>detail</c>, <c>error_code</c>) on stderr, as the API's own errors look.
    /// </summary>
    /// <param name="line">The one line for people.</param>
    /// <param name="errorCode">The server's error code, or the CLI's own for failures that never reached one.</param>
    /// <param name="status">The HTTP status (or the library's equivalent); null when there was no answer.</param>
    /// <param name="title">A short summary of the kind of error.</param>
    /// <param name="detail">The detail for the JSON document; the line when null.</param>
    public int Fail(string line, string errorCode, int? status, string? title, string? detail = null)
    {
        if (Json)
        {
            WriteProblem(new Problem(title, status, detail ?? line, errorCode));
        }
        else
        {
            Error(line);
        }
        return 1;
    }

    /// <summary>Problem details on stderr, one line, for scripts that read errors under <c>--json</c>.</summary>
    public static void WriteProblem(Problem problem) =>
        CliHost.Error.WriteLine(JsonSerializer.Serialize(problem, ProblemOptions));

    private static readonly JsonSerializerOptions ProblemOptions = new(JsonOptions)
    {
        WriteIndented = false,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>An error as problem details (RFC 9457) with Cairn's <c>error_code</c>.</summary>
    internal sealed record Problem(
        string? Title, int? Status, string Detail, string ErrorCode,
        [property: System.Text.Json.Serialization.JsonPropertyOrder(-1)] string Type = "about:blank");

    public static void Note(string message) => CliHost.Error.WriteLine(message);

    public void Render(IRenderable renderable) => _console.Write(renderable);

    /// <summary>Renders a listing, or says there is nothing to list (an empty table reads like a rendering fault).</summary>
    public void Render(Table table, string whenEmpty)
    {
        if (table.Rows.Count == 0)
        {
            Line(whenEmpty);
        }
        else
        {
            Render(table);
        }
    }

    /// <summary>A titled key/value section (tags, params, metrics); nothing when empty.</summary>
    public void Section<TValue>(string title, IReadOnlyDictionary<string, TValue> pairs, Func<TValue, string> format)
    {
        if (pairs.Count == 0)
        {
            return;
        }
        Line("");
        Line(title + ":");
        var table = Table("KEY", "VALUE");
        foreach (var (key, value) in pairs.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            table.AddRow(Cell(key), Cell(format(value)));
        }
        Render(table);
    }

    /// <summary>Takes at most <paramref name="max"/> items; says on stderr when there were more.</summary>
    public static async Task<List<T>> CollectAsync<T>(IAsyncEnumerable<T> source, int max, string what, CancellationToken cancellationToken)
    {
        var items = new List<T>();
        await foreach (var item in source.WithCancellation(cancellationToken))
        {
            if (items.Count == max)
            {
                Note($"Showing the first {max} {what}; there are more (raise --max, or narrow the query).");
                break;
            }
            items.Add(item);
        }
        return items;
    }

    /// <summary>
    /// A table with plain ASCII rules when stdout is not a terminal (CI logs, files), rounded ones otherwise.
    /// Cells hold server data, so they are <see cref="Text"/>, never markup.
    /// </summary>
    public static Table Table(params string[] headers)
    {
        var table = new Table { Border = Console.IsOutputRedirected ? TableBorder.Ascii : TableBorder.Rounded };
        foreach (var header in headers)
        {
            table.AddColumn(new TableColumn(new Text(header, new Style(decoration: Decoration.Bold))));
        }
        return table;
    }

    /// <summary>Field names and values, aligned: the "show" commands' header block. Plain lines, so no trailing padding.</summary>
    public static void Details(params (string Field, string? Value)[] rows)
    {
        var width = rows.Max(r => r.Field.Length) + 3;
        foreach (var (field, value) in rows)
        {
            Line((field + ":").PadRight(width) + (string.IsNullOrEmpty(value) ? "-" : value));
        }
    }

    public static Text Cell(string? text) => new(string.IsNullOrEmpty(text) ? "-" : text);

    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("u", CultureInfo.InvariantCulture);

    public static string Time(DateTimeOffset? time) => time is { } value ? Time(value) : "";

    public static string Pairs<TValue>(IReadOnlyDictionary<string, TValue> pairs) =>
        string.Join(", ", pairs.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={Invariant(p.Value)}"));

    public static string Invariant<TValue>(TValue value) => value switch
    {
        double number => number.ToString("R", CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value?.ToString() ?? "",
    };
}
