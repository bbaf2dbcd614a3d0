namespace Cairn;

/// <summary>
/// What no name, key or alias may be, whatever else its own rules allow: a dot segment (<c>.</c> or <c>..</c>), which
/// a URL or a file path would resolve to its parent, or text with a control character, which no header, log line or
/// terminal carries intact.
/// </summary>
public static class NameRules
{
    /// <summary>Returns <paramref name="name"/>, or throws naming <paramref name="parameter"/> and why.</summary>
    /// <exception cref="InvalidParameterException">The name is a dot segment or holds a control character.</exception>
    public static string Check(string name, string parameter)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name is "." or "..")
        {
            throw new InvalidParameterException($"'{parameter}' cannot be '{name}': a path would resolve it to its parent.");
        }
        var control = name.AsSpan().IndexOfAnyInRange('\0', '\u001f');
        if (control < 0)
        {
            control = name.AsSpan().IndexOfAnyInRange('\u007f', '\u009f');
        }
        return control < 0 ? name : throw new InvalidParameterException(
            $"'{parameter}' has a control character (U+{(int)name[control]:X4}) at position {control}; names hold printable characters only.");
    }
}
