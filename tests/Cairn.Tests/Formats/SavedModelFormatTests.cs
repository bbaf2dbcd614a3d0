using Cairn.Artifacts.Formats;
using Google.Protobuf;

namespace Cairn.Tests.Formats;

[Trait("Store", "none")]
public sealed class SavedModelFormatTests
{
    // Writes a length-delimited field whose content another writer produces.
    private static void Message(CodedOutputStream output, int field, Action<CodedOutputStream> write)
    {
        using var buffer = new MemoryStream();
        var inner = new CodedOutputStream(buffer);
        write(inner);
        inner.Flush();
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(buffer.ToArray()));
    }

    private static void TensorEntry(CodedOutputStream output, int field, string key, int dtype, params long[] dims) =>
        Message(output, field, entry =>
        {
            entry.WriteTag(1, WireFormat.WireType.LengthDelimited);
            entry.WriteString(key);
            Message(entry, 2, info =>
            {
                info.WriteTag(1, WireFormat.WireType.LengthDelimited);
                info.WriteString(key + ":0");
                info.WriteTag(2, WireFormat.WireType.Varint);
                info.WriteEnum(dtype);
                Message(info, 3, shape =>
                {
                    foreach (var dim in dims)
                    {
                        Message(shape, 2, d =>
                        {
                            d.WriteTag(1, WireFormat.WireType.Varint);
                            d.WriteInt64(dim);
                        });
                    }
                });
            });
        });

    /// <summary>A SavedModel with a (large, skipped) graph and a serving_default signature: images[-1,28,28] float → probs[-1,10].</summary>
    internal static byte[] SavedModel()
    {
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        output.WriteTag(1, WireFormat.WireType.Varint);
        output.WriteInt64(1);
        Message(output, 2, meta =>
        {
            Message(meta, 1, info =>
            {
                info.WriteTag(4, WireFormat.WireType.LengthDelimited);
                info.WriteString("serve");
                info.WriteTag(5, WireFormat.WireType.LengthDelimited);
                info.WriteString("2.16.1");
            });
            meta.WriteTag(2, WireFormat.WireType.LengthDelimited);
            meta.WriteBytes(ByteString.CopyFrom(new byte[100_000]));
            Message(meta, 5, entry =>
            {
                entry.WriteTag(1, WireFormat.WireType.LengthDelimited);
                entry.WriteString("serving_default");
                Message(entry, 2, signature =>
                {
                    TensorEntry(signature, 1, "images", 1, -1, 28, 28);
                    TensorEntry(signature, 2, "probs", 1, -1, 10);
                    signature.WriteTag(3, WireFormat.WireType.LengthDelimited);
                    signature.WriteString("tensorflow/serving/predict");
                });
            });
        });
        output.Flush();
        return stream.ToArray();
    }

    [Fact]
    public async Task A_saved_model_reports_its_serving_signature()
    {
        var info = await ModelFormats.InspectAsync(new MemoryStream(SavedModel()), "saved_model.pb", default);

        Assert.Equal(("savedmodel", "tensorflow"), (info.Format, info.Framework));
        Assert.Null(info.Error);
        Assert.Equal("serve", info.Properties["tags"]);
        Assert.Equal("2.16.1", info.Properties["tensorflow_version"]);
        Assert.Equal("serving_default", info.Properties["signature_name"]);
        var input = info.Signature!.Inputs.Single();
        Assert.Equal(("images", "float"), (input.Name, input.ElementType));
        Assert.Equal([null, 28L, 28L], input.Shape!);
        Assert.Equal([null, 10L], info.Signature.Outputs.Single().Shape!);
    }

    [Fact]
    public async Task A_corrupt_saved_model_is_reported_not_thrown()
    {
        var info = await ModelFormats.InspectAsync(new MemoryStream(SavedModel()[..50]), "saved_model.pb", default);
        Assert.Equal("savedmodel", info.Format);
        Assert.NotNull(info.Error);
    }
}
