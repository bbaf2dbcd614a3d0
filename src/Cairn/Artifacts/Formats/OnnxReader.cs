using System.Globalization;

namespace Cairn.Artifacts.Formats;

/// <summary>
/// ONNX (a protobuf ModelProto): IR version, opsets, producer, and the graph's inputs and outputs with element
/// types and shapes. Initializers (the weights) are skipped by seeking, never read; those also listed as graph
/// inputs are not reported as inputs.
/// </summary>
internal static class OnnxReader
{
    public const string Format = "onnx";

    private static readonly Dictionary<long, string> ElementTypes = new()
    {
        [1] = "float",
        [2] = "uint8",
        [3] = "int8",
        [4] = "uint16",
        [5] = "int16",
        [6] = "int32",
        [7] = "int64",
        [8] = "string",
        [9] = "bool",
        [10] = "float16",
        [11] = "double",
        [12] = "uint32",
        [13] = "uint64",
        [14] = "complex64",
        [15] = "complex128",
        [16] = "bfloat16",
        [17] = "float8e4m3fn",
        [18] = "float8e4m3fnuz",
        [19] = "float8e5m2",
        [20] = "float8e5m2fnuz",
        [21] = "uint4",
        [22] = "int4",
        [23] = "float4e2m1",
        [24] = "float8e8m0",
        [25] = "uint2",
        [26] = "int2",
    };

    /// <summary>How many top-level fields a file sniffed by content may have before it is judged not to be ONNX.</summary>
    public const int SniffFieldLimit = 10_000;

    // A real ModelProto has a handful of top-level fields (plus functions and metadata); this bounds garbage input.
    private const int MaxTopLevelFields = 1_000_000;

    // Large language models have thousands of initializers; millions means hostile input.
    private const int MaxInitializers = 2_000_000;
    private const int MaxDims = 1024;

    /// <summary>
    /// Whether the first bytes could begin a ModelProto as serialisers write it: field 1 (ir_version) first, as a
    /// one-byte varint.
    /// </summary>
    public static bool MayStartModel(ReadOnlySpan<byte> head) => head is [0x08, > 0 and < 0x40, ..];

    public static FormatInfo Read(Stream content, CancellationToken cancellationToken, int maxTopLevelFields = MaxTopLevelFields)
    {
        var wire = new ProtoWireReader(content);
        var end = content.Length;
        var fields = 0;
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        var opsets = new List<string>();
        List<TensorSpec>? inputs = null;
        List<TensorSpec>? outputs = null;
        var initializers = new HashSet<string>(StringComparer.Ordinal);
        while (wire.ReadTag(end) is var (field, type))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (++fields > maxTopLevelFields)
            {
                throw new InvalidDataException($"The file has more than {maxTopLevelFields} top-level protobuf fields; it is not an ONNX model.");
            }
            switch (field, type)
            {
                case (1, 0):
                    properties["ir_version"] = wire.ReadVarint().ToString(CultureInfo.InvariantCulture);
                    break;
                case (2, 2):
                    properties["producer"] = wire.ReadString(end);
                    break;
                case (3, 2):
                    properties["producer_version"] = wire.ReadString(end);
                    break;
                case (8, 2):
                    ProtoWireReader.AddBounded(opsets, ReadOpset(wire, wire.ReadEnd(end)), "opset imports");
                    break;
                case (7, 2):
                    (inputs, outputs) = ReadGraph(wire, wire.ReadEnd(end), initializers);
                    break;
                default:
                    wire.Skip(type, end);
                    break;
            }
        }
        if (inputs is null || outputs is null || !properties.ContainsKey("ir_version"))
        {
            throw new InvalidDataException("The file is not an ONNX model: it has no IR version or no graph.");
        }
        properties["opset"] = string.Join(",", opsets);
        return new FormatInfo(Format, "onnx", new ModelSignature(inputs.Where(i => !initializers.Contains(i.Name)).ToList(), outputs), properties, null);
    }

    private static string ReadOpset(ProtoWireReader wire, long end)
    {
        var domain = "ai.onnx";
        ulong version = 0;
        while (wire.ReadTag(end) is var (field, type))
        {
            switch (field, type)
            {
                case (1, 2):
                    var name = wire.ReadString(end);
                    domain = name.Length == 0 ? domain : name;
                    break;
                case (2, 0):
                    version = wire.ReadVarint();
                    break;
                default:
                    wire.Skip(type, end);
                    break;
            }
        }
        return string.Create(CultureInfo.InvariantCulture, $"{domain}:{version}");
    }

    private static (List<TensorSpec> Inputs, List<TensorSpec> Outputs) ReadGraph(ProtoWireReader wire, long end, HashSet<string> initializers)
    {
        var inputs = new List<TensorSpec>();
        var outputs = new List<TensorSpec>();
        while (wire.ReadTag(end) is var (field, type))
        {
            switch (field, type)
            {
                case (5, 2):
                    ReadInitializerName(wire, wire.ReadEnd(end), initializers);
                    break;
                case (15, 2):
                    // SparseTensorProto: its name is that of its values tensor (field 1).
                    var sparseEnd = wire.ReadEnd(end);
                    while (wire.ReadTag(sparseEnd) is var (f, t))
                    {
                        if ((f, t) == (1, 2))
                        {
                            ReadInitializerName(wire, wire.ReadEnd(sparseEnd), initializers);
                        }
                        else
                        {
                            wire.Skip(t, sparseEnd);
                        }
                    }
                    break;
                case (11, 2):
                    ProtoWireReader.AddBounded(inputs, ReadValueInfo(wire, wire.ReadEnd(end)), "graph inputs");
                    break;
                case (12, 2):
                    ProtoWireReader.AddBounded(outputs, ReadValueInfo(wire, wire.ReadEnd(end)), "graph outputs");
                    break;
                default:
                    wire.Skip(type, end);
                    break;
            }
        }
        return (inputs, outputs);
    }

    /// <summary>TensorProto: only its name (field 8) is wanted; its data is skipped by seeking.</summary>
    private static void ReadInitializerName(ProtoWireReader wire, long end, HashSet<string> initializers)
    {
        while (wire.ReadTag(end) is var (field, type))
        {
            if ((field, type) == (8, 2))
            {
                ProtoWireReader.AddBounded(initializers, wire.ReadString(end), "initializers", MaxInitializers);
            }
            else
            {
                wire.Skip(type, end);
            }
        }
    }

    /// <summary>ValueInfoProto → name, and from TypeProto.tensor_type its element type and shape.</summary>
    private static TensorSpec ReadValueInfo(ProtoWireReader wire, long end)
    {
        var name = "";
        var elementType = "unknown";
        List<long?>? shape = null;
        while (wire.ReadTag(end) is var (field, type))
        {
            switch (field, type)
            {
                case (1, 2):
                    name = wire.ReadString(end);
                    break;
                case (2, 2):
                    var typeEnd = wire.ReadEnd(end);
                    while (wire.ReadTag(typeEnd) is var (f, t))
                    {
                        if ((f, t) != (1, 2))
                        {
                            wire.Skip(t, typeEnd);
                            continue;
                        }
                        var tensorEnd = wire.ReadEnd(typeEnd);
                        while (wire.ReadTag(tensorEnd) is var (tf, tt))
                        {
                            switch (tf, tt)
                            {
                                case (1, 0):
                                    var code = (long)wire.ReadVarint();
                                    elementType = ElementTypes.GetValueOrDefault(code, "type " + code.ToString(CultureInfo.InvariantCulture));
                                    break;
                                case (2, 2):
                                    shape = ReadShape(wire, wire.ReadEnd(tensorEnd));
                                    break;
                                default:
                                    wire.Skip(tt, tensorEnd);
                                    break;
                            }
                        }
                    }
                    break;
                default:
                    wire.Skip(type, end);
                    break;
            }
        }
        return new TensorSpec(name, elementType, shape);
    }

    /// <summary>TensorShapeProto: each dim is a value (dim_value) or a symbolic name (dim_param, reported as null).</summary>
    private static List<long?> ReadShape(ProtoWireReader wire, long end)
    {
        var dims = new List<long?>();
        while (wire.ReadTag(end) is var (field, type))
        {
            if ((field, type) != (1, 2))
            {
                wire.Skip(type, end);
                continue;
            }
            var dimEnd = wire.ReadEnd(end);
            long? value = null;
            while (wire.ReadTag(dimEnd) is var (f, t))
            {
                if ((f, t) == (1, 0))
                {
                    value = (long)wire.ReadVarint();
                }
                else
                {
                    wire.Skip(t, dimEnd);
                }
            }
            ProtoWireReader.AddBounded(dims, value, "dimensions in a shape", MaxDims);
        }
        return dims;
    }
}
