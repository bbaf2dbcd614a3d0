using System.CommandLine.Parsing;
using System.Globalization;
using Cairn.Client;

namespace Cairn.Cli;

/// <summary>
/// A VERSION argument: a number, <c>latest</c> for the highest registered version (as MLflow's <c>models:/name/latest</c>),
/// or <c>@alias</c> for the version an alias names right now.
/// </summary>
internal readonly record struct VersionRef(int? Number, string? Alias, bool Latest = false)
{
    public const string LatestWord = "latest";

    public static VersionRef Parse(ArgumentResult result)
    {
        var text = result.Tokens[0].Value;
        if (text is ['@', .. var alias] && alias.Length > 0)
        {
            return new VersionRef(null, alias);
        }
        if (text.Equals(LatestWord, StringComparison.OrdinalIgnoreCase))
        {
            return new VersionRef(null, null, Latest: true);
        }
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number > 0)
        {
            return new VersionRef(number, null);
        }
        result.AddError($"'{text}' is not a version: give a number (1, 2, 3 …), latest, or @alias (such as @champion).");
        return default;
    }

    public async Task<int> ResolveAsync(CairnClient client, string model, CancellationToken cancellationToken)
    {
        if (Number is { } number)
        {
            return number;
        }
        if (Latest)
        {
            return (await client.GetModelAsync(model, cancellationToken)).LatestVersion
                ?? throw new CairnException(ErrorCodes.ResourceDoesNotExist, 404, $"Model '{model}' has no versions yet, so 'latest' names none.");
        }
        return (await client.GetAliasAsync(model, Alias!, cancellationToken)).Version;
    }
}
