namespace Cairn.Artifacts.Formats;

/// <summary>One tensor or field of a signature. <see cref="Shape"/> null = unknown; a null dimension = dynamic.</summary>
public sealed record TensorSpec(string Name, string ElementType, IReadOnlyList<long?>? Shape);

/// <summary>What a model takes and returns, as far as its file tells.</summary>
public sealed record ModelSignature(IReadOnlyList<TensorSpec> Inputs, IReadOnlyList<TensorSpec> Outputs);

/// <summary>
/// What a file says about the model in it. <see cref="Error"/> is set when the file claims a known format but
/// cannot be read as one; the file is kept all the same.
/// </summary>
public sealed record FormatInfo(string Format, string? Framework, ModelSignature? Signature, IReadOnlyDictionary<string, string> Properties, string? Error)
{
    public static FormatInfo Unknown { get; } = new("unknown", null, null, new Dictionary<string, string>(), null);

    internal static FormatInfo Failed(string format, string? framework, string error) => new(format, framework, null, new Dictionary<string, string>(), error);
}
