namespace Cairn.IntegrationTests.Readme;

/// <summary>A fenced code block of the README: its language, the section (## heading) it is under, and its text.</summary>
public sealed record ReadmeBlock(string Language, string Section, string Text);

/// <summary>Reads the fenced code blocks of the repository's README.md, so that the tests run exactly what it says.</summary>
public static class ReadmeBlocks
{
    public static IReadOnlyList<ReadmeBlock> All { get; } = Parse(File.ReadAllLines(Path.Combine(Repository.Root, "README.md")));

    /// <summary>The blocks of <paramref name="language"/> under the section titled <paramref name="section"/>.</summary>
    public static IReadOnlyList<ReadmeBlock> In(string section, string language) =>
        [.. All.Where(b => b.Section == section && b.Language == language)];

    /// <summary>The one block of <paramref name="language"/> under <paramref name="section"/>; fails if there is not exactly one.</summary>
    public static string Only(string section, string language) =>
        In(section, language) is [var block] ? block.Text
            : throw new InvalidOperationException($"README.md should have exactly one '{language}' block under '## {section}'.");

    public static IReadOnlyList<ReadmeBlock> Parse(IEnumerable<string> lines)
    {
        var blocks = new List<ReadmeBlock>();
        var section = "";
        string? language = null;
        var text = new List<string>();
        foreach (var line in lines)
        {
            if (language is null)
            {
                if (line.StartsWith("## ", StringComparison.Ordinal))
                {
                    section = line[3..].Trim();
                }
                else if (line.StartsWith("```", StringComparison.Ordinal))
                {
                    language = line[3..].Trim();
                    text.Clear();
                }
            }
            else if (line.StartsWith("```", StringComparison.Ordinal))
            {
                blocks.Add(new ReadmeBlock(language, section, string.Join('\n', text) + "\n"));
                language = null;
            }
            else
            {
                text.Add(line);
            }
        }
        return language is null ? blocks : throw new InvalidOperationException("README.md has an unclosed code block.");
    }
}
