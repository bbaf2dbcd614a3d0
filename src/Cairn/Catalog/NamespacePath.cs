using System.Text.RegularExpressions;

namespace Cairn.Catalog;

/// <summary>
/// Hierarchical namespaces (<c>/abc_corp/claim</c>) and full model names (<c>abc_corp.claim.doc_classification</c>):
/// the namespace's segments and the model name joined with dots. A name without a dot lives in <c>/</c>, and so does
/// any full name that is not made of valid dot-separated segments (<c>UpdateRMTest 2</c>, <c>a/b</c>, <c>.x</c>): MLflow
/// accepts every non-empty name, and such a name is the model's name in the root namespace, whole
/// (docs/decisions/0010-mlflow-names-and-namespaces.md).
/// </summary>
public static partial class NamespacePath
{
    public const string Root = "/";
    private const int MaxSegmentLength = 128;

    /// <summary>The longest free-form name: the width of MLflow's own <c>registered_models.name</c> column.</summary>
    public const int MaxNameLength = 256;

    [GeneratedRegex(@"\A[A-Za-z0-9_-]+\z")]
    private static partial Regex SegmentPattern();

    /// <summary>Validates and normalises a namespace: leading slash, no trailing slash, root is "/".</summary>
    public static string Normalize(string? path, string parameter = "namespace")
    {
        if (string.IsNullOrWhiteSpace(path) || path == Root)
        {
            return Root;
        }
        if (!path.StartsWith('/'))
        {
            throw new InvalidParameterException($"'{parameter}' must start with '/', as in '/abc_corp/claim'; got '{path}'.");
        }
        var segments = path.TrimEnd('/').Split('/')[1..];
        foreach (var segment in segments)
        {
            CheckSegment(segment, parameter, path);
        }
        return "/" + string.Join('/', segments);
    }

    /// <summary>
    /// Validates a model name in <paramref name="namespace"/>: one segment (letters, digits, '_' and '-'), or, in the
    /// root namespace, any non-empty name that does not read as a dotted full name, so that its full name leads back
    /// to it (a root model named <c>a.b</c> would be the model <c>b</c> of <c>/a</c>).
    /// </summary>
    public static string CheckName(string? name, string @namespace = Root, string parameter = "model_name")
    {
        if (string.IsNullOrEmpty(name))
        {
            throw new InvalidParameterException($"'{parameter}' is required.");
        }
        if (@namespace != Root || IsDotted(name))
        {
            CheckSegment(name, parameter, name);
        }
        return CheckLength(NameRules.Check(name, parameter), parameter);
    }

    public static string FullName(string @namespace, string name) =>
        @namespace == Root ? name : string.Join('.', @namespace[1..].Split('/')) + "." + name;

    /// <summary>
    /// Splits a full name into its namespace and model name: valid dot-separated segments are namespace segments and
    /// a name; any other non-empty full name is a name in the root namespace.
    /// </summary>
    public static (string Namespace, string Name) Split(string fullName)
    {
        if (string.IsNullOrEmpty(fullName))
        {
            throw new InvalidParameterException("'full_name' is required.");
        }
        if (!IsDotted(fullName))
        {
            return (Root, CheckLength(fullName, "full_name"));
        }
        var parts = fullName.Split('.');
        var ns = parts.Length == 1 ? Root : "/" + string.Join('/', parts[..^1]);
        return (ns, parts[^1]);
    }

    private static string CheckLength(string name, string parameter) => name.Length <= MaxNameLength
        ? name
        : throw new InvalidParameterException($"'{parameter}' is {name.Length} characters long; a model name has at most {MaxNameLength}.");

    /// <summary>True when every dot-separated segment of <paramref name="fullName"/> is a valid segment.</summary>
    private static bool IsDotted(string fullName)
    {
        foreach (var part in fullName.Split('.'))
        {
            if (!IsSegment(part))
            {
                return false;
            }
        }
        return true;
    }

    private static bool IsSegment(string segment) =>
        segment.Length > 0 && segment.Length <= MaxSegmentLength && SegmentPattern().IsMatch(segment);

    /// <summary>True when <paramref name="child"/> is <paramref name="ancestor"/> or lies below it.</summary>
    public static bool Covers(string ancestor, string child) =>
        ancestor == Root || child == ancestor || child.StartsWith(ancestor + "/", StringComparison.Ordinal);

    private static void CheckSegment(string segment, string parameter, string whole)
    {
        if (!IsSegment(segment))
        {
            throw new InvalidParameterException(
                $"'{parameter}' value '{whole}' has an invalid segment '{segment}': use 1-{MaxSegmentLength} letters, digits, '_' or '-'.");
        }
    }
}
