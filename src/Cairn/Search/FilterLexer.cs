using System.Text;

namespace Cairn.Search;

internal enum FilterTokenKind
{
    Name,
    String,
    Number,
    Operator,
    LeftParen,
    RightParen,
    Comma,
    Unknown,
    End,
}

/// <summary>
/// One token. <see cref="Value"/> is the identifier (with <see cref="Key"/> for <c>prefix.key</c>), the string with
/// its escapes resolved, the number or operator as written, or the unrecognised character.
/// </summary>
internal readonly record struct FilterToken(FilterTokenKind Kind, int Position, string Value, string? Key = null)
{
    private const int MaxShown = 40;

    /// <summary>Keywords are names like any other until the parser asks; that keeps them case-insensitive in one place.</summary>
    public bool IsKeyword(string keyword) =>
        Kind == FilterTokenKind.Name && Key is null && string.Equals(Value, keyword, StringComparison.OrdinalIgnoreCase);

    public string Describe(string subject) => Kind switch
    {
        FilterTokenKind.End => $"end of {subject}",
        FilterTokenKind.Number => Truncate(Value),
        FilterTokenKind.Name when Key is not null => Quote($"{Value}.{Key}"),
        _ => Quote(Value),
    };

    public static string Quote(string text) => "'" + Truncate(text).Replace("'", "''", StringComparison.Ordinal) + "'";

    public static string Truncate(string text) => text.Length <= MaxShown ? text : text[..MaxShown] + "…";
}

/// <summary>
/// Splits filter and order_by text into tokens. Unrecognised characters become <see cref="FilterTokenKind.Unknown"/>
/// tokens so that the parser, which knows what it wanted there, reports them.
/// </summary>
internal sealed class FilterLexer
{
    /// <summary>Bounds the work (and the parameters) one request can cause.</summary>
    public const int MaxLength = 10_000;

    private readonly string text;
    private readonly string subject;
    private int index;

    private FilterLexer(string text, string subject)
    {
        this.text = text;
        this.subject = subject;
    }

    /// <summary>Tokens of <paramref name="text"/>, always ending with an <see cref="FilterTokenKind.End"/> token.</summary>
    /// <param name="text">Filter or order_by text.</param>
    /// <param name="subject">What the text is ("filter", "order_by"), for error messages.</param>
    public static List<FilterToken> Tokenize(string text, string subject)
    {
        if (text.Length > MaxLength)
        {
            throw new FilterSyntaxException(subject, MaxLength + 1, $"at most {MaxLength} characters",
                $"the {subject} is {text.Length} characters long; at most {MaxLength} are allowed");
        }

        var lexer = new FilterLexer(text, subject);
        var tokens = new List<FilterToken>();
        FilterToken token;
        do
        {
            token = lexer.Next();
            tokens.Add(token);
        }
        while (token.Kind != FilterTokenKind.End);
        return tokens;
    }

    private char Peek(int offset = 0) => index + offset < text.Length ? text[index + offset] : '\0';

    private FilterToken Next()
    {
        while (index < text.Length && char.IsWhiteSpace(text[index]))
        {
            index++;
        }

        var start = index;
        var position = start + 1;
        if (index == text.Length)
        {
            return new FilterToken(FilterTokenKind.End, position, "");
        }

        var c = text[index];

        if (IsIdentifierStart(c))
        {
            return ReadName(position);
        }

        if (c is '\'' or '"')
        {
            return new FilterToken(FilterTokenKind.String, position, ReadQuoted("string"));
        }

        if (char.IsAsciiDigit(c) || (c == '.' && char.IsAsciiDigit(Peek(1))) ||
            (c == '-' && (char.IsAsciiDigit(Peek(1)) || (Peek(1) == '.' && char.IsAsciiDigit(Peek(2))))))
        {
            return ReadNumber(position);
        }

        index++;
        switch (c)
        {
            case '(':
                return new FilterToken(FilterTokenKind.LeftParen, position, "(");
            case ')':
                return new FilterToken(FilterTokenKind.RightParen, position, ")");
            case ',':
                return new FilterToken(FilterTokenKind.Comma, position, ",");
            case '=':
                return new FilterToken(FilterTokenKind.Operator, position, "=");
            case '!' when Peek() == '=':
            case '<' when Peek() is '=' or '>':
            case '>' when Peek() == '=':
                index++;
                return new FilterToken(FilterTokenKind.Operator, position, text[start..index]);
            case '<' or '>':
                return new FilterToken(FilterTokenKind.Operator, position, c.ToString());
            default:
                // Keep a surrogate pair whole so the message shows the character the user typed.
                if (char.IsHighSurrogate(c) && char.IsLowSurrogate(Peek()))
                {
                    index++;
                }

                return new FilterToken(FilterTokenKind.Unknown, position, text[start..index]);
        }
    }

    private FilterToken ReadName(int position)
    {
        var start = index;
        while (IsIdentifierPart(Peek()))
        {
            index++;
        }

        var name = text[start..index];
        if (Peek() != '.')
        {
            return new FilterToken(FilterTokenKind.Name, position, name);
        }

        index++;
        var keyPosition = index + 1;
        const string expected = "a key (letters, digits, '_' or '-', or any text in backticks or double quotes)";
        string key;
        if (Peek() is '`' or '"')
        {
            key = ReadQuoted("key");
        }
        else
        {
            // A dot inside an unquoted key belongs to the key (tags.mlflow.runName), as in MLflow's grammar, whose
            // identifiers split at the first dot only.
            var keyStart = index;
            while (IsIdentifierPart(Peek()) || Peek() == '-' || (Peek() == '.' && index > keyStart && IsIdentifierPart(Peek(1))))
            {
                index++;
            }

            key = text[keyStart..index];
        }

        if (key.Length == 0)
        {
            var found = index >= keyPosition ? FilterToken.Quote(text[(keyPosition - 1)..index])
                : index == text.Length ? $"end of {subject}"
                : char.IsWhiteSpace(Peek()) ? "whitespace"
                : FilterToken.Quote(Peek().ToString());
            throw FilterSyntaxException.Unexpected(subject, keyPosition, $"{expected} after '{name}.'", found);
        }

        return new FilterToken(FilterTokenKind.Name, position, name, key);
    }

    /// <summary>
    /// Reads text between quotes, the current character being the opening one. A doubled quote or a backslash
    /// escapes the quote, and a backslash escapes a backslash; any other backslash is kept, so LIKE patterns
    /// and Windows paths read as written.
    /// </summary>
    private string ReadQuoted(string what)
    {
        var quote = text[index];
        var position = index + 1;
        index++;
        var value = new StringBuilder();
        while (index < text.Length)
        {
            var c = text[index];
            var next = Peek(1);
            if (c == quote && next != quote)
            {
                index++;
                return value.ToString();
            }

            var escape = c == quote || (c == '\\' && (next == quote || next == '\\'));
            value.Append(escape ? next : c);
            index += escape ? 2 : 1;
        }

        throw FilterSyntaxException.Unexpected(subject, position,
            $"a closing {quote} for the {what} that starts here", $"end of {subject}");
    }

    private FilterToken ReadNumber(int position)
    {
        var start = index;
        if (Peek() == '-')
        {
            index++;
        }

        SkipDigits();
        if (Peek() == '.' && char.IsAsciiDigit(Peek(1)))
        {
            index++;
            SkipDigits();
        }

        if (Peek() is 'e' or 'E' && (char.IsAsciiDigit(Peek(1)) || (Peek(1) is '+' or '-' && char.IsAsciiDigit(Peek(2)))))
        {
            index += 2;
            SkipDigits();
        }

        // "3abc" or "1.2.3" would otherwise split into tokens and fail later with a confusing message.
        if (IsIdentifierPart(Peek()) || Peek() == '.')
        {
            while (IsIdentifierPart(Peek()) || Peek() == '.')
            {
                index++;
            }

            throw FilterSyntaxException.Unexpected(subject, position, "a number", FilterToken.Quote(text[start..index]));
        }

        return new FilterToken(FilterTokenKind.Number, position, text[start..index]);
    }

    private void SkipDigits()
    {
        while (char.IsAsciiDigit(Peek()))
        {
            index++;
        }
    }

    private static bool IsIdentifierStart(char c) => char.IsAsciiLetter(c) || c == '_';

    private static bool IsIdentifierPart(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';
}
