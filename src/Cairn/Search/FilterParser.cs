namespace Cairn.Search;

/// <summary>
/// Parses the search filter language into a <see cref="FilterExpression"/>:
/// <c>name LIKE 'fraud%' AND (tags.team = 'risk' OR tags.team = 'ops') AND version &gt; 3</c>.
/// Precedence is NOT, then AND, then OR; keywords are case-insensitive. Names are not checked here:
/// <see cref="FilterCompiler"/> resolves them against a <see cref="FilterSchema"/>.
/// </summary>
public static class FilterParser
{
    /// <summary>Parentheses and NOTs nested deeper than this are refused, rather than risking the stack.</summary>
    internal const int MaxDepth = 64;

    private const string Subject = "filter";
    private const string OperandExpected = "an attribute, a collection key (prefix.key), NOT or '('";
    private const string OperatorExpected = "a comparison operator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN, IS)";
    private const string LiteralExpected = "a string or number literal";

    private static readonly string[] Reserved = ["AND", "OR", "IN", "IS", "LIKE", "ILIKE", "NULL"];
    private static readonly string[] OperatorKeywords = ["LIKE", "ILIKE", "IN", "NOT", "IS"];

    /// <summary>The filter's syntax tree, or null when <paramref name="text"/> is null, empty or whitespace (no filter).</summary>
    /// <exception cref="FilterSyntaxException">The text is not a well-formed filter.</exception>
    public static FilterExpression? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var parser = new Parser(FilterLexer.Tokenize(text, Subject));
        var expression = parser.ParseOr(depth: 0);
        parser.ExpectEnd();
        return expression;
    }

    private sealed class Parser(List<FilterToken> tokens)
    {
        private int index;

        private FilterToken Current => tokens[index];

        public void ExpectEnd()
        {
            if (Current.Kind != FilterTokenKind.End)
            {
                throw Unexpected("AND, OR or end of filter");
            }
        }

        public FilterExpression ParseOr(int depth)
        {
            var operands = new List<FilterExpression> { ParseAnd(depth) };
            while (Current.IsKeyword("OR"))
            {
                index++;
                operands.Add(ParseAnd(depth));
            }

            return operands.Count == 1 ? operands[0] : new OrExpression(operands);
        }

        private FilterExpression ParseAnd(int depth)
        {
            var operands = new List<FilterExpression> { ParseUnary(depth) };
            while (Current.IsKeyword("AND"))
            {
                index++;
                operands.Add(ParseUnary(depth));
            }

            return operands.Count == 1 ? operands[0] : new AndExpression(operands);
        }

        private FilterExpression ParseUnary(int depth)
        {
            var token = Current;
            var isNot = token.IsKeyword("NOT");
            if (!isNot && token.Kind != FilterTokenKind.LeftParen)
            {
                return ParseComparison();
            }

            if (depth == MaxDepth)
            {
                throw new FilterSyntaxException(Subject, token.Position, $"at most {MaxDepth} nested parentheses or NOTs",
                    $"parentheses and NOTs nest more than {MaxDepth} deep here");
            }

            index++;
            if (isNot)
            {
                return new NotExpression(token.Position, ParseUnary(depth + 1));
            }

            var inner = ParseOr(depth + 1);
            if (Current.Kind != FilterTokenKind.RightParen)
            {
                throw Unexpected($"AND, OR or ')' to close the '(' at character {token.Position}");
            }

            index++;
            return inner;
        }

        private ComparisonExpression ParseComparison()
        {
            var name = Current;
            if (name.Kind != FilterTokenKind.Name || Reserved.Any(name.IsKeyword))
            {
                throw Unexpected(OperandExpected);
            }

            index++;
            var operand = new FilterOperand(name.Position, name.Value, name.Key);
            var op = Current;
            var position = op.Position;
            if (op.Kind != FilterTokenKind.Operator && !OperatorKeywords.Any(op.IsKeyword))
            {
                throw Unexpected(OperatorExpected);
            }

            index++;
            if (op.Kind == FilterTokenKind.Operator)
            {
                var comparison = op.Value switch
                {
                    "=" => ComparisonOperator.Equal,
                    "!=" or "<>" => ComparisonOperator.NotEqual,
                    "<" => ComparisonOperator.LessThan,
                    "<=" => ComparisonOperator.LessThanOrEqual,
                    ">" => ComparisonOperator.GreaterThan,
                    _ => ComparisonOperator.GreaterThanOrEqual,
                };
                return new ComparisonExpression(operand, comparison, position, [ParseLiteral()]);
            }

            if (op.IsKeyword("LIKE") || op.IsKeyword("ILIKE"))
            {
                var like = op.IsKeyword("LIKE") ? ComparisonOperator.Like : ComparisonOperator.ILike;
                return new ComparisonExpression(operand, like, position, [ParseLiteral()]);
            }

            if (op.IsKeyword("IN"))
            {
                return new ComparisonExpression(operand, ComparisonOperator.In, position, ParseList());
            }

            if (op.IsKeyword("NOT"))
            {
                Expect("IN", "IN after NOT");
                return new ComparisonExpression(operand, ComparisonOperator.NotIn, position, ParseList());
            }

            // Only IS is left.
            var negated = Current.IsKeyword("NOT");
            if (negated)
            {
                index++;
            }

            Expect("NULL", negated ? "NULL after IS NOT" : "NULL or NOT NULL after IS");
            var test = negated ? ComparisonOperator.IsNotNull : ComparisonOperator.IsNull;
            return new ComparisonExpression(operand, test, position, []);
        }

        private List<FilterLiteral> ParseList()
        {
            if (Current.Kind != FilterTokenKind.LeftParen)
            {
                throw Unexpected("'(' to start the IN list");
            }

            index++;
            if (Current.Kind == FilterTokenKind.RightParen)
            {
                throw Unexpected("at least one value in the IN list");
            }

            var values = new List<FilterLiteral> { ParseLiteral() };
            while (Current.Kind == FilterTokenKind.Comma)
            {
                index++;
                values.Add(ParseLiteral());
            }

            if (Current.Kind != FilterTokenKind.RightParen)
            {
                throw Unexpected("',' or ')' to close the IN list");
            }

            index++;
            return values;
        }

        private FilterLiteral ParseLiteral()
        {
            var token = Current;
            if (token.Kind is FilterTokenKind.String or FilterTokenKind.Number)
            {
                index++;
                var kind = token.Kind == FilterTokenKind.String ? FilterLiteralKind.String : FilterLiteralKind.Number;
                return new FilterLiteral(token.Position, kind, token.Value);
            }

            var hint = token.IsKeyword("NULL") ? " (use IS NULL or IS NOT NULL to test for a missing value)" : "";
            throw new FilterSyntaxException(Subject, token.Position, LiteralExpected,
                $"expected {LiteralExpected} but found {token.Describe(Subject)}{hint}");
        }

        private void Expect(string keyword, string expected)
        {
            if (!Current.IsKeyword(keyword))
            {
                throw Unexpected(expected);
            }

            index++;
        }

        private FilterSyntaxException Unexpected(string expected) =>
            FilterSyntaxException.Unexpected(Subject, Current.Position, expected, Current.Describe(Subject));
    }
}
