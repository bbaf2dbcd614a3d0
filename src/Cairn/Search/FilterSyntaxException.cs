namespace Cairn.Search;

/// <summary>
/// A filter or order_by the registry cannot run: malformed, or naming a field or value the schema does not allow.
/// Always says where (<see cref="Position"/>, 1-based) and what would have been accepted (<see cref="Expected"/>).
/// </summary>
public sealed class FilterSyntaxException : InvalidParameterException
{
    internal FilterSyntaxException(string subject, int position, string expected, string problem)
        : base($"Invalid {subject} at character {position}: {problem}.")
    {
        Position = position;
        Expected = expected;
    }

    /// <summary>1-based index of the character where the problem starts.</summary>
    public int Position { get; }

    /// <summary>What would have been valid at <see cref="Position"/>, e.g. "a numeric literal".</summary>
    public string Expected { get; }

    internal static FilterSyntaxException Unexpected(string subject, int position, string expected, string found) =>
        new(subject, position, expected, $"expected {expected} but found {found}");
}
