using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Cairn.Cli;

/// <summary>Arguments and options that several commands share, so they read and behave the same everywhere.</summary>
internal static partial class Arguments
{
    private const int DefaultMax = 100;

    [GeneratedRegex(@"\A([0-9]+)([smhdw])\z")]
    private static partial Regex AgePattern();

    public static Argument<string> Model() => new("model")
    {
        Description = "The model's full name: namespace segments and name joined with dots, such as abc_corp.claim.doc_classification, "
            + "or any other MLflow registered model name (quoted if it has spaces), which lives in the root namespace",
    };

    public static Argument<VersionRef> Version() => new("version")
    {
        Description = "A version number, latest for the highest one, or @alias for the version that alias names (such as @champion)",
        CustomParser = VersionRef.Parse,
    };

    public static Argument<string> Alias() => new("alias") { Description = "The alias, such as champion" };

    public static Option<string> Filter() => new("--filter")
    {
        Description = "A filter expression, such as \"name LIKE 'fraud%' AND tags.team = 'risk'\"",
        HelpName = "expression",
    };

    public static Option<string> OrderBy() => new("--order-by")
    {
        Description = "How to order results, such as \"updated_at DESC\"",
        HelpName = "order",
    };

    public static Option<int> Max(string what)
    {
        var option = new Option<int>("--max")
        {
            Description = $"Show at most this many {what}",
            HelpName = "n",
            DefaultValueFactory = _ => DefaultMax,
        };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError("--max must be at least 1.");
            }
        });
        return option;
    }

    /// <summary>
    /// An enum by name, in any case. Enum.TryParse would also take numbers and comma lists, and System.CommandLine's
    /// own error names the CLR type; this one lists the names a user can type.
    /// </summary>
    public static T ParseEnum<T>(ArgumentResult result) where T : struct, Enum
    {
        var text = result.Tokens[0].Value;
        var name = Enum.GetNames<T>().FirstOrDefault(n => n.Equals(text, StringComparison.OrdinalIgnoreCase));
        if (name is null)
        {
            result.AddError($"'{text}' is not one of {string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}.");
            return default;
        }
        return Enum.Parse<T>(name);
    }

    /// <summary>A repeatable <c>--name key=value</c> option, gathered into a dictionary.</summary>
    public static Option<Dictionary<string, string>> Pairs(string name, string description) => Pairs(name, description, value => value);

    /// <summary>A repeatable <c>--name key=number</c> option (metrics).</summary>
    public static Option<Dictionary<string, double>> NumberPairs(string name, string description) => Pairs(name, description, value =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
            ? number
            : throw new FormatException($"'{value}' is not a number (use a dot for decimals, such as 0.92)"));

    /// <summary>A point in time: ISO-8601 (UTC unless it says otherwise), or an age such as 30m, 12h, 7d, 2w.</summary>
    public static Option<DateTimeOffset?> Time(string name, string description) => new(name)
    {
        Description = description + " (an ISO-8601 time such as 2026-01-31 or 2026-01-31T12:00:00Z, or an age such as 30m, 12h, 7d)",
        HelpName = "time",
        CustomParser = result =>
        {
            var text = result.Tokens[0].Value;
            if (AgePattern().Match(text) is { Success: true } age)
            {
                var amount = int.Parse(age.Groups[1].Value, CultureInfo.InvariantCulture);
                var span = age.Groups[2].Value switch
                {
                    "s" => TimeSpan.FromSeconds(amount),
                    "m" => TimeSpan.FromMinutes(amount),
                    "h" => TimeSpan.FromHours(amount),
                    "d" => TimeSpan.FromDays(amount),
                    _ => TimeSpan.FromDays(7 * amount),
                };
                return DateTimeOffset.UtcNow - span;
            }
            if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
            {
                return time;
            }
            result.AddError($"{name} must be an ISO-8601 time such as 2026-01-31T12:00:00Z, or an age such as 12h or 7d; got '{text}'.");
            return null;
        },
    };

    private static Option<Dictionary<string, T>> Pairs<T>(string name, string description, Func<string, T> convert) => new(name)
    {
        Description = description + " (repeatable)",
        HelpName = "key=value",
        Arity = ArgumentArity.OneOrMore,
        CustomParser = result =>
        {
            var pairs = new Dictionary<string, T>(StringComparer.Ordinal);
            foreach (var token in result.Tokens)
            {
                var equals = token.Value.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                {
                    result.AddError($"{name} expects key=value; got '{token.Value}'.");
                    continue;
                }
                try
                {
                    pairs[token.Value[..equals]] = convert(token.Value[(equals + 1)..]);
                }
                catch (FormatException e)
                {
                    result.AddError($"{name} {token.Value}: {e.Message}.");
                }
            }
            return pairs;
        },
    };
}
