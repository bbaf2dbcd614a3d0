using Cairn.Artifacts.Formats;
using Google.Protobuf;
using Onnx;

namespace Cairn.Tests.Formats;

[Trait("Store", "none")]
public sealed class OnnxFormatTests
{
    private static ValueInfoProto Tensor(string name, TensorProto.Types.DataType type, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
        {
            shape.Dim.Add(dim is string param ? new TensorShapeProto.Types.Dimension { DimParam = param } : new TensorShapeProto.Types.Dimension { DimValue = (long)(int)dim });
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    /// <summary>A real ModelProto: Gemm of a dynamic-batch input with a 3x2 weight initializer (also listed as an input).</summary>
    internal static byte[] Model()
    {
        var weights = new TensorProto { Name = "W", DataType = (int)TensorProto.Types.DataType.Float };
        weights.Dims.Add([3, 2]);
        weights.FloatData.Add([1, 2, 3, 4, 5, 6]);
        var graph = new GraphProto { Name = "tiny" };
        graph.Initializer.Add(weights);
        graph.Input.Add(Tensor("features", TensorProto.Types.DataType.Float, "N", 3));
        graph.Input.Add(Tensor("mask", TensorProto.Types.DataType.Bool, "N", 3));
        graph.Input.Add(Tensor("W", TensorProto.Types.DataType.Float, 3, 2));
        graph.Output.Add(Tensor("scores", TensorProto.Types.DataType.Float, "N", 2));
        var node = new NodeProto { OpType = "MatMul", Name = "matmul" };
        node.Input.Add(["features", "W"]);
        node.Output.Add("scores");
        graph.Node.Add(node);
        var model = new ModelProto { IrVersion = 8, ProducerName = "cairn-tests", ProducerVersion = "1.0", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return model.ToByteArray();
    }

    [Fact]
    public async Task An_onnx_model_reports_its_inputs_outputs_opset_and_producer()
    {
        using var file = new MemoryStream(Model());

        var info = await ModelFormats.InspectAsync(file, "tiny.onnx", default);

        Assert.Equal("onnx", info.Format);
        Assert.Equal("onnx", info.Framework);
        Assert.Null(info.Error);
        Assert.Equal("cairn-tests", info.Properties["producer"]);
        Assert.Equal("ai.onnx:17", info.Properties["opset"]);
        Assert.Equal("8", info.Properties["ir_version"]);
        var inputs = info.Signature!.Inputs;
        Assert.Equal(["features", "mask"], inputs.Select(i => i.Name));
        Assert.Equal("float", inputs[0].ElementType);
        Assert.Equal("bool", inputs[1].ElementType);
        Assert.Equal([null, 3L], inputs[0].Shape!);
        var output = info.Signature.Outputs.Single();
        Assert.Equal(("scores", "float"), (output.Name, output.ElementType));
        Assert.Equal([null, 2L], output.Shape!);
    }

    [Fact]
    public async Task Sparse_initializers_listed_as_inputs_are_not_reported_and_newer_element_types_are_named()
    {
        var values = new TensorProto { Name = "S", DataType = (int)TensorProto.Types.DataType.Float };
        values.Dims.Add(2);
        values.FloatData.Add([1, 2]);
        var indices = new TensorProto { DataType = (int)TensorProto.Types.DataType.Int64 };
        indices.Dims.Add(2);
        indices.Int64Data.Add([0, 5]);
        var sparse = new SparseTensorProto { Values = values, Indices = indices };
        sparse.Dims.Add(8);
        var graph = new GraphProto { Name = "quantised" };
        graph.SparseInitializer.Add(sparse);
        graph.Input.Add(Tensor("activations", TensorProto.Types.DataType.Float8E4M3Fn, "batch", 8));
        graph.Input.Add(Tensor("S", TensorProto.Types.DataType.Float, 8));
        graph.Output.Add(Tensor("packed", TensorProto.Types.DataType.Int4, "batch", 8));
        var model = new ModelProto { IrVersion = 10, ProducerName = "cairn-tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 21 });

        var info = await ModelFormats.InspectAsync(new MemoryStream(model.ToByteArray()), "quantised.onnx", default);

        Assert.Null(info.Error);
        var input = info.Signature!.Inputs.Single();
        Assert.Equal(("activations", "float8e4m3fn"), (input.Name, input.ElementType));
        Assert.Equal("int4", info.Signature.Outputs.Single().ElementType);
    }

    [Fact]
    public async Task A_field_running_past_the_end_of_its_message_is_reported_not_misread()
    {
        // ModelProto { ir_version: 8, graph: 2 bytes } whose graph holds only the tag of a length-delimited field:
        // that field's length prefix lies past the graph's end.
        byte[] model = [0x08, 0x08, 0x3A, 0x02, 0x8A, 0x01, 0x00];

        var info = await ModelFormats.InspectAsync(new MemoryStream(model), "model.onnx", default);

        Assert.Equal("onnx", info.Format);
        Assert.Contains("runs past its message", info.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_corrupt_onnx_file_is_reported_not_thrown()
    {
        var truncated = Model()[..40];
        var garbage = "this is not a protobuf at all"u8.ToArray();

        var first = await ModelFormats.InspectAsync(new MemoryStream(truncated), "model.onnx", default);
        var second = await ModelFormats.InspectAsync(new MemoryStream(garbage), "model.onnx", default);

        Assert.Equal(("onnx", true), (first.Format, first.Error is not null));
        Assert.Equal(("onnx", true), (second.Format, second.Error is not null));
    }
}
