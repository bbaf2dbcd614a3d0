using System.Text.RegularExpressions;

namespace Cairn.Catalog;

/// <summary>
/// Hierarchical namespaces (<c>/abc_corp/claim</c>) and full model names (<c>abc_corp.claim.doc_classification</c>):
/// the namespace's segments and the model name joined with dots. A name without a dot lives in <c>/</c>.
/// </summary>
public static partial class NamespacePath
{
    public const string Root = "/";
    private const int MaxSegmentLength = 128;

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
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

    /// <summary>Validates a model name (one segment: letters, digits, '_' and '-').</summary>
    public static string CheckName(string? name, string parameter = "model_name")
    {
        if (string.IsNullOrEmpty(name))
        {
            throw new InvalidParameterException($"'{parameter}' is required.");
        }
        CheckSegment(name, parameter, name);
        return name;
    }

    public static string FullName(string @namespace, string name) =>
        @namespace == Root ? name : string.Join('.', @namespace[1..].Split('/')) + "." + name;

    /// <summary>Splits a full name into its namespace and model name.</summary>
    public static (string Namespace, string Name) Split(string fullName)
    {
        var parts = fullName.Split('.');
        foreach (var part in parts)
        {
            CheckSegment(part, "full_name", fullName);
        }
        var ns = parts.Length == 1 ? Root : "/" + string.Join('/', parts[..^1]);
        return (ns, parts[^1]);
    }

    /// <summary>True when <paramref name="child"/> is <paramref name="ancestor"/> or lies below it.</summary>
    public static bool Covers(string ancestor, string child) =>
        ancestor == Root || child == ancestor || child.StartsWith(ancestor + "/", StringComparison.Ordinal);

    private static void CheckSegment(string segment, string parameter, string whole)
    {
        if (segment.Length == 0 || segment.Length > MaxSegmentLength || !SegmentPattern().IsMatch(segment))
        {
            throw new InvalidParameterException(
                $"'{parameter}' value '{whole}' has an invalid segment '{segment}': use 1-{MaxSegmentLength} letters, digits, '_' or '-'.");
        }
    }
}
