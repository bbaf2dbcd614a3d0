using System.Diagnostics.CodeAnalysis;

namespace Cairn.Search;

/// <summary>
/// A parsed filter, not yet checked against a schema. Positions are 1-based character indexes into the
/// filter text, kept so that the compiler's errors can point at the source.
/// </summary>
public abstract record FilterExpression(int Position);

/// <summary>Two or more operands joined by AND, in source order.</summary>
public sealed record AndExpression(IReadOnlyList<FilterExpression> Operands) : FilterExpression(Operands[0].Position);

/// <summary>Two or more operands joined by OR, in source order.</summary>
public sealed record OrExpression(IReadOnlyList<FilterExpression> Operands) : FilterExpression(Operands[0].Position);

/// <summary><c>NOT operand</c>; <see cref="FilterExpression.Position"/> is that of the NOT keyword.</summary>
public sealed record NotExpression(int Position, FilterExpression Operand) : FilterExpression(Position);

/// <summary>
/// <c>operand op value</c>. <see cref="Values"/> holds one literal for the binary operators, the list for
/// IN / NOT IN, and none for IS NULL / IS NOT NULL.
/// </summary>
public sealed record ComparisonExpression(
    FilterOperand Operand,
    ComparisonOperator Operator,
    int OperatorPosition,
    IReadOnlyList<FilterLiteral> Values) : FilterExpression(Operand.Position);

public enum ComparisonOperator
{
    Equal,
    NotEqual,
    LessThan,
    LessThanOrEqual,
    GreaterThan,
    GreaterThanOrEqual,
    Like,
    ILike,
    In,
    NotIn,
    IsNull,
    IsNotNull,
}

/// <summary>Comparison operators as a filter writes them.</summary>
public static class ComparisonOperators
{
    /// <summary>The operator's text: <c>=</c>, <c>!=</c>, <c>LIKE</c>, <c>NOT IN</c>, <c>IS NULL</c> ….</summary>
    public static string Text(this ComparisonOperator op) => op switch
    {
        ComparisonOperator.Equal => "=",
        ComparisonOperator.NotEqual => "!=",
        ComparisonOperator.LessThan => "<",
        ComparisonOperator.LessThanOrEqual => "<=",
        ComparisonOperator.GreaterThan => ">",
        ComparisonOperator.GreaterThanOrEqual => ">=",
        ComparisonOperator.Like => "LIKE",
        ComparisonOperator.ILike => "ILIKE",
        ComparisonOperator.In => "IN",
        ComparisonOperator.NotIn => "NOT IN",
        ComparisonOperator.IsNull => "IS NULL",
        _ => "IS NOT NULL",
    };
}

/// <summary>The left side of a comparison: an attribute (<c>name</c>) or a collection entry (<c>tags.team</c>, <see cref="Key"/> = "team").</summary>
public sealed record FilterOperand(int Position, string Name, string? Key)
{
    internal string Display => Key is null ? Name : $"{Name}.{Key}";
}

public enum FilterLiteralKind
{
    [SuppressMessage("Naming", "CA1720", Justification = "Matches FilterValueType.String.")]
    String,
    Number,
}

/// <summary>A value on the right of a comparison: a string with its escapes resolved, or a number as written.</summary>
public sealed record FilterLiteral(int Position, FilterLiteralKind Kind, string Value)
{
    /// <summary>The literal as a user would recognise it in an error message.</summary>
    internal string Display => Kind == FilterLiteralKind.String
        ? FilterToken.Quote(Value)
        : FilterToken.Truncate(Value);
}
