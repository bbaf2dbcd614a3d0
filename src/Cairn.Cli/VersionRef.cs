using System.CommandLine.Parsing;
using System.Globalization;
using Cairn.Client;

namespace Cairn.Cli;

/// <summary>A VERSION argument: a number, or <c>@alias</c> for the version an alias names right now.</summary>
internal readonly record struct VersionRef(int? Number, string? Alias)
{
    public static VersionRef Parse(ArgumentResult result)
    {
        var text = result.Tokens[0].Value;
        if (text is ['@', .. var alias] && alias.Length > 0)
        {
            return new VersionRef(null, alias);
        }
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number > 0)
        {
            return new VersionRef(number, null);
        }
        result.AddError($"'{text}' is not a version: give a number (1, 2, 3 …) or @alias (such as @champion).");
        return default;
    }

    public async Task<int> ResolveAsync(CairnClient client, string model, CancellationToken cancellationToken) =>
        Number ?? (await client.GetAliasAsync(model, Alias!, cancellationToken)).Version;
}
