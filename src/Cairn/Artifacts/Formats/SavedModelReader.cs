using System.Globalization;

namespace Cairn.Artifacts.Formats;

/// <summary>
/// TensorFlow SavedModel: the <c>saved_model.pb</c> at the root of the model's directory. Its serving signature
/// (or the first one) gives inputs and outputs; graph definitions are skipped by seeking.
/// </summary>
internal static class SavedModelReader
{
    public const string Format = "savedmodel";
    public const string FileName = "saved_model.pb";

    private static readonly Dictionary<long, string> DataTypes = new()
    {
        [1] = "float",
        [2] = "double",
        [3] = "int32",
        [4] = "uint8",
        [5] = "int16",
        [6] = "int8",
        [7] = "string",
        [9] = "int64",
        [10] = "bool",
        [14] = "bfloat16",
        [17] = "uint16",
        [19] = "float16",
        [22] = "uint32",
        [23] = "uint64",
    };

    private sealed record Signature(string Name, List<TensorSpec> Inputs, List<TensorSpec> Outputs, string? Method);

    public static FormatInfo Read(Stream content, CancellationToken cancellationToken)
    {
        var wire = new ProtoWireReader(content);
        var end = content.Length;
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        var signatures = new List<Signature>();
        var sawMetaGraph = false;
        while (wire.ReadTag(end) is var (field, type))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if ((field, type) == (2, 2) && !sawMetaGraph)
            {
                // The first meta graph is the one that serving loads by default.
                sawMetaGraph = true;
                ReadMetaGraph(wire, wire.ReadEnd(end), properties, signatures);
            }
            else
            {
                wire.Skip(type, end);
            }
        }
        if (!sawMetaGraph)
        {
            throw new InvalidDataException("saved_model.pb holds no meta graph.");
        }
        var chosen = signatures.FirstOrDefault(s => s.Name == "serving_default") ?? signatures.FirstOrDefault();
        if (chosen is not null)
        {
            properties["signature_name"] = chosen.Name;
            if (chosen.Method is not null)
            {
                properties["method_name"] = chosen.Method;
            }
        }
        properties["signature_count"] = signatures.Count.ToString(CultureInfo.InvariantCulture);
        return new FormatInfo(Format, "tensorflow", chosen is null ? null : new ModelSignature(chosen.Inputs, chosen.Outputs), properties, null);
    }

    private static void ReadMetaGraph(ProtoWireReader wire, long end, Dictionary<string, string> properties, List<Signature> signatures)
    {
        while (wire.ReadTag(end) is var (field, type))
        {
            switch (field, type)
            {
                case (1, 2):
                    ReadMetaInfo(wire, wire.ReadEnd(end), properties);
                    break;
                case (5, 2):
                    var entryEnd = wire.ReadEnd(end);
                    var name = "";
                    Signature? signature = null;
                    while (wire.ReadTag(entryEnd) is var (f, t))
                    {
                        switch (f, t)
                        {
                            case (1, 2):
                                name = wire.ReadString(entryEnd);
                                break;
                            case (2, 2):
                                signature = ReadSignature(wire, wire.ReadEnd(entryEnd));
                                break;
                            default:
                                wire.Skip(t, entryEnd);
                                break;
                        }
                    }
                    if (signature is not null)
                    {
                        ProtoWireReader.AddBounded(signatures, signature with { Name = name }, "signatures");
                    }
                    break;
                default:
                    wire.Skip(type, end);
                    break;
            }
        }
    }

    private static void ReadMetaInfo(ProtoWireReader wire, long end, Dictionary<string, string> properties)
    {
        var tags = new List<string>();
        while (wire.ReadTag(end) is var (field, type))
        {
            switch (field, type)
            {
                case (4, 2):
                    ProtoWireReader.AddBounded(tags, wire.ReadString(end), "tags");
                    break;
                case (5, 2):
                    properties["tensorflow_version"] = wire.ReadString(end);
                    break;
                default:
                    wire.Skip(type, end);
                    break;
            }
        }
        properties["tags"] = string.Join(",", tags);
    }

    private static Signature ReadSignature(ProtoWireReader wire, long end)
    {
        var inputs = new List<TensorSpec>();
        var outputs = new List<TensorSpec>();
        string? method = null;
        while (wire.ReadTag(end) is var (field, type))
        {
            switch (field, type)
            {
                case (1, 2):
                    ProtoWireReader.AddBounded(inputs, ReadTensorEntry(wire, wire.ReadEnd(end)), "signature inputs");
                    break;
                case (2, 2):
                    ProtoWireReader.AddBounded(outputs, ReadTensorEntry(wire, wire.ReadEnd(end)), "signature outputs");
                    break;
                case (3, 2):
                    method = wire.ReadString(end);
                    break;
                default:
                    wire.Skip(type, end);
                    break;
            }
        }
        return new Signature("", inputs, outputs, method);
    }

    /// <summary>A map entry: key = the signature's name for the tensor, value = TensorInfo (dtype, shape).</summary>
    private static TensorSpec ReadTensorEntry(ProtoWireReader wire, long end)
    {
        var name = "";
        var dtype = "unknown";
        List<long?>? shape = null;
        while (wire.ReadTag(end) is var (field, type))
        {
            if ((field, type) == (1, 2))
            {
                name = wire.ReadString(end);
                continue;
            }
            if ((field, type) != (2, 2))
            {
                wire.Skip(type, end);
                continue;
            }
            var infoEnd = wire.ReadEnd(end);
            while (wire.ReadTag(infoEnd) is var (f, t))
            {
                switch (f, t)
                {
                    case (2, 0):
                        var code = (long)wire.ReadVarint();
                        dtype = DataTypes.GetValueOrDefault(code, "type " + code.ToString(CultureInfo.InvariantCulture));
                        break;
                    case (3, 2):
                        shape = ReadShape(wire, wire.ReadEnd(infoEnd));
                        break;
                    default:
                        wire.Skip(t, infoEnd);
                        break;
                }
            }
        }
        return new TensorSpec(name, dtype, shape);
    }

    /// <summary>TensorShapeProto: dims (size -1 = unknown, reported as null); unknown_rank → no shape at all.</summary>
    private static List<long?>? ReadShape(ProtoWireReader wire, long end)
    {
        var dims = new List<long?>();
        var unknownRank = false;
        while (wire.ReadTag(end) is var (field, type))
        {
            switch (field, type)
            {
                case (2, 2):
                    var dimEnd = wire.ReadEnd(end);
                    long? size = null;
                    while (wire.ReadTag(dimEnd) is var (f, t))
                    {
                        if ((f, t) == (1, 0))
                        {
                            var value = (long)wire.ReadVarint();
                            size = value < 0 ? null : value;
                        }
                        else
                        {
                            wire.Skip(t, dimEnd);
                        }
                    }
                    ProtoWireReader.AddBounded(dims, size, "dimensions in a shape", 1024);
                    break;
                case (3, 0):
                    unknownRank = wire.ReadVarint() != 0;
                    break;
                default:
                    wire.Skip(type, end);
                    break;
            }
        }
        return unknownRank ? null : dims;
    }
}
