using System.Globalization;
using Cairn.Server.Ui.Graphics;
using Cairn.Tracking;

namespace Cairn.Server.Ui.Pages.Runs;

/// <summary>A column of the runs table or an axis of the compare scatter: <c>metrics.auc</c>, <c>params.lr</c>, <c>tags.team</c>.</summary>
public sealed record RunColumn(string Kind, string Key)
{
    /// <summary>As the URL and MLflow's order_by write it, the key in backticks when it is not a plain name.</summary>
    public string Spec => $"{Kind}.{(IsPlain(Key) ? Key : "`" + Key.Replace("`", "``", StringComparison.Ordinal) + "`")}";

    public string Label => Key;

    /// <summary>The run's value of this column as text, or null when the run has none.</summary>
    public string? Text(Run run) => Kind switch
    {
        "metrics" => run.Data.Metrics.FirstOrDefault(m => m.Key == Key) is { } metric ? ChartMath.Format(metric.Value) : null,
        "params" => run.Data.Params.FirstOrDefault(p => p.Key == Key)?.Value,
        _ => run.Data.Tags.FirstOrDefault(t => t.Key == Key)?.Value,
    };

    /// <summary>The run's value as a number (a param that parses as one), or null.</summary>
    public double? Number(Run run) => Kind switch
    {
        "metrics" => run.Data.Metrics.FirstOrDefault(m => m.Key == Key)?.Value,
        _ => double.TryParse(Text(run), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : null,
    };

    /// <summary>
    /// Parses one column spec (<c>metrics.auc</c>, <c>metric.auc</c>, <c>params.`odd key`</c>); null when it is not one,
    /// so a hand-edited URL loses a column rather than the page.
    /// </summary>
    public static RunColumn? Parse(string? spec)
    {
        var text = spec?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || dot == text.Length - 1)
        {
            return null;
        }
        var kind = text[..dot].ToLowerInvariant() switch
        {
            "metric" or "metrics" => "metrics",
            "param" or "params" => "params",
            "tag" or "tags" => "tags",
            _ => null,
        };
        var key = text[(dot + 1)..];
        if (key.Length >= 2 && key[0] is '`' or '"' && key[^1] == key[0])
        {
            key = key[1..^1].Replace(new string(key[0], 2), key[0].ToString(), StringComparison.Ordinal);
        }
        return kind is null || key.Length == 0 ? null : new RunColumn(kind, key);
    }

    /// <summary>The columns of a <c>cols</c> query (values comma-separated, the parameter possibly repeated), distinct.</summary>
    public static IReadOnlyList<RunColumn> ParseList(IEnumerable<string>? values) =>
        (values ?? []).SelectMany(SplitSpecs).Select(Parse).OfType<RunColumn>().Distinct().ToList();

    public static string Join(IEnumerable<RunColumn> columns) => string.Join(',', columns.Select(c => c.Spec));

    /// <summary>Splits on commas outside backticks and double quotes (a key may contain a comma).</summary>
    public static IEnumerable<string> SplitSpecs(string value)
    {
        var start = 0;
        char? quote = null;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (quote is null && c is '`' or '"')
            {
                quote = c;
            }
            else if (c == quote)
            {
                quote = null;
            }
            else if (quote is null && c == ',')
            {
                yield return value[start..i];
                start = i + 1;
            }
        }
        yield return value[start..];
    }

    private static bool IsPlain(string key) => key.Length > 0 && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or '/');
}

/// <summary>How the run pages show a run's fields.</summary>
public static class RunViews
{
    public const string SourceNameTag = "mlflow.source.name";
    public const string SourceTypeTag = "mlflow.source.type";
    public const string GitCommitTag = "mlflow.source.git.commit";
    public const string UserTag = "mlflow.user";
    public const string NoteTag = "mlflow.note.content";

    public static DateTimeOffset? Time(long? milliseconds) =>
        milliseconds is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    /// <summary>A run's duration: "running" while it runs without an end, else the span, shortest readable form.</summary>
    public static string Duration(RunInfo info)
    {
        if (info.StartTime is not { } start)
        {
            return "—";
        }
        if (info.EndTime is not { } end)
        {
            return info.Status == RunStatus.Running ? "running" : "—";
        }
        var span = TimeSpan.FromMilliseconds(Math.Max(0, end - start));
        return span.TotalSeconds < 1 ? $"{span.TotalMilliseconds:0}ms".Replace(',', '.')
            : span.TotalMinutes < 1 ? span.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + "s"
            : span.TotalHours < 1 ? $"{span.Minutes}m {span.Seconds}s"
            : span.TotalDays < 1 ? $"{(int)span.TotalHours}h {span.Minutes}m"
            : $"{(int)span.TotalDays}d {span.Hours}h";
    }

    public static string? Tag(Run run, string key) => run.Data.Tags.FirstOrDefault(t => t.Key == key)?.Value;

    public static string? User(Run run) => string.IsNullOrEmpty(run.Info.UserId) ? Tag(run, UserTag) : run.Info.UserId;

    /// <summary>The source as MLflow's UI shows it: the script or notebook's file name, the commit shortened.</summary>
    public static string? Source(Run run)
    {
        var name = Tag(run, SourceNameTag);
        if (string.IsNullOrEmpty(name))
        {
            return null;
        }
        var file = name.TrimEnd('/');
        file = file[(file.LastIndexOfAny(['/', '\\']) + 1)..];
        return Tag(run, GitCommitTag) is { Length: >= 7 } commit ? $"{file} @ {commit[..7]}" : file;
    }

    /// <summary>The name a run is shown by: its name, else its id.</summary>
    public static string Name(Run run) => string.IsNullOrEmpty(run.Info.RunName) ? run.Info.RunId : run.Info.RunName;

    public static string StatusClass(string status) => status.ToLowerInvariant();

    /// <summary>The system tags (mlflow.*) apart from the user's, which the run page shows first.</summary>
    public static bool IsSystemTag(string key) => key.StartsWith("mlflow.", StringComparison.Ordinal);

    /// <summary>A size as the version page writes it (one unit system across the UI); empty for a directory.</summary>
    public static string Size(long? bytes) => bytes is { } b ? Models.ModelText.Size(b) : "";

    /// <summary>An MLflow filter string literal: single quotes, a quote doubled, a backslash escaped.</summary>
    public static string Quote(string text) => "'" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>The TRACKING URI a Python user sets to log into this server.</summary>
    public static string TrackingUri(Microsoft.AspNetCore.Http.HttpRequest request) => $"{request.Scheme}://{request.Host}";
}
