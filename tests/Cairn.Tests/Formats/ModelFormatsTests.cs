using System.Buffers.Binary;
using System.Text;
using Cairn.Artifacts.Formats;

namespace Cairn.Tests.Formats;

[Trait("Store", "none")]
public sealed class ModelFormatsTests
{
    internal static MemoryStream Safetensors(string headerJson, int dataBytes)
    {
        var header = Encoding.UTF8.GetBytes(headerJson);
        var stream = new MemoryStream();
        var length = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(length, header.Length);
        stream.Write(length);
        stream.Write(header);
        stream.Write(new byte[dataBytes]);
        stream.Position = 0;
        return stream;
    }

    internal static void GgufString(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    /// <summary>A GGUF v3 header: five key/values (one a large float array), then two tensor infos.</summary>
    internal static MemoryStream Gguf()
    {
        var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write("GGUF"u8);
            w.Write(3u);
            w.Write(2ul);
            w.Write(5ul);
            GgufString(w, "general.architecture"); w.Write(8u); GgufString(w, "llama");
            GgufString(w, "general.name"); w.Write(8u); GgufString(w, "tiny-llama");
            GgufString(w, "llama.context_length"); w.Write(4u); w.Write(4096u);
            GgufString(w, "general.file_type"); w.Write(4u); w.Write(15u);
            // A large array of floats, skipped without being read into memory.
            GgufString(w, "tokenizer.scores"); w.Write(9u); w.Write(6u); w.Write(1000ul); w.Write(new byte[4000]);
            // Tensor infos: name, dimension count, dimensions, ggml type, data offset.
            GgufString(w, "token_embd.weight"); w.Write(2u); w.Write(4096ul); w.Write(32000ul); w.Write(12u); w.Write(0ul);
            GgufString(w, "output_norm.weight"); w.Write(1u); w.Write(4096ul); w.Write(0u); w.Write(73_728_000ul);
        }
        stream.Position = 0;
        return stream;
    }

    [Fact]
    public async Task A_safetensors_file_reports_tensor_and_parameter_counts_and_metadata()
    {
        using var file = Safetensors("""{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[4,3],"data_offsets":[0,48]},"b":{"dtype":"F16","shape":[3],"data_offsets":[48,54]}}""", 54);

        var info = await ModelFormats.InspectAsync(file, "model.safetensors", default);

        Assert.Equal("safetensors", info.Format);
        Assert.Equal("pytorch", info.Framework);
        Assert.Null(info.Error);
        Assert.Equal("2", info.Properties["tensor_count"]);
        Assert.Equal("15", info.Properties["parameter_count"]);
        Assert.Equal("F16,F32", info.Properties["dtypes"]);
        Assert.Equal("F32 [4, 3]", info.Properties["tensor.w"]);
        Assert.Equal("F16 [3]", info.Properties["tensor.b"]);
        Assert.False(info.Properties.ContainsKey("tensors_listed"));
    }

    [Fact]
    public async Task A_safetensors_file_with_very_many_tensors_lists_the_first_thousand_and_counts_all()
    {
        var header = "{" + string.Join(",", Enumerable.Range(0, 1200).Select(i => $"\"t{i}\":{{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[{i},{i + 1}]}}")) + "}";
        using var file = Safetensors(header, 1200);

        var info = await ModelFormats.InspectAsync(file, "model.safetensors", default);

        Assert.Null(info.Error);
        Assert.Equal("1200", info.Properties["tensor_count"]);
        Assert.Equal("1000", info.Properties["tensors_listed"]);
        Assert.Equal("U8 [1]", info.Properties["tensor.t999"]);
        Assert.False(info.Properties.ContainsKey("tensor.t1000"));
    }

    [Fact]
    public async Task A_safetensors_file_is_recognised_by_content_whatever_its_name()
    {
        using var file = Safetensors("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 8);
        var info = await ModelFormats.InspectAsync(file, "weights.bin", default);
        Assert.Equal("safetensors", info.Format);
        Assert.Equal("safetensors", info.Framework);
    }

    [Fact]
    public async Task A_gguf_header_reports_architecture_quantization_context_and_tensor_count()
    {
        using var file = Gguf();

        var info = await ModelFormats.InspectAsync(file, "model.gguf", default);

        Assert.Equal("gguf", info.Format);
        Assert.Equal("llama.cpp", info.Framework);
        Assert.Null(info.Error);
        Assert.Equal("llama", info.Properties["architecture"]);
        Assert.Equal("MOSTLY_Q4_K_M", info.Properties["quantization"]);
        Assert.Equal("4096", info.Properties["context_length"]);
        Assert.Equal("2", info.Properties["tensor_count"]);
        Assert.Equal("131076096", info.Properties["parameter_count"]);
        Assert.Equal("tiny-llama", info.Properties["name"]);
    }

    [Fact]
    public async Task A_file_of_another_kind_is_unknown()
    {
        using var file = new MemoryStream(Encoding.UTF8.GetBytes("just some notes about the model"));
        var info = await ModelFormats.InspectAsync(file, "README.md", default);
        Assert.Equal("unknown", info.Format);
        Assert.Null(info.Error);
    }

    [Theory]
    [InlineData("model.safetensors", "safetensors")]
    [InlineData("model.gguf", "gguf")]
    public async Task A_corrupt_file_of_a_known_kind_is_reported_not_thrown(string name, string format)
    {
        using var file = new MemoryStream(Encoding.UTF8.GetBytes("\u0010\0\0\0\0\0\0\0{not json"));
        var info = await ModelFormats.InspectAsync(file, name, default);
        Assert.Equal(format, info.Format);
        Assert.False(string.IsNullOrEmpty(info.Error));
    }

    [Fact]
    public async Task A_truncated_gguf_header_is_reported_not_thrown()
    {
        using var whole = Gguf();
        using var truncated = new MemoryStream(whole.ToArray()[..40]);
        var info = await ModelFormats.InspectAsync(truncated, "model.gguf", default);
        Assert.Equal("gguf", info.Format);
        Assert.NotNull(info.Error);
    }

    [Fact]
    public async Task A_huge_sparse_file_is_inspected_from_its_header_only()
    {
        var path = Path.GetTempFileName();
        try
        {
            await using (var file = new FileStream(path, FileMode.Create))
            {
                using var header = Safetensors("""{"w":{"dtype":"F32","shape":[1000,1000,200],"data_offsets":[0,800000000]}}""", 0);
                await header.CopyToAsync(file);
                file.SetLength(3L << 30);
            }
            await using var content = File.OpenRead(path);
            var info = await ModelFormats.InspectAsync(content, "big.safetensors", default);
            Assert.Equal("200000000", info.Properties["parameter_count"]);
        }
        finally
        {
            File.Delete(path);
        }
    }
}

[Trait("Store", "none")]
public sealed class ModelFormatsPackagedTests
{
    private const string Pmml = """
        <?xml version="1.0"?>
        <PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">
          <DataDictionary numberOfFields="3">
            <DataField name="age" optype="continuous" dataType="double"/>
            <DataField name="income" optype="continuous" dataType="double"/>
            <DataField name="approved" optype="categorical" dataType="string"/>
          </DataDictionary>
          <TreeModel modelName="credit" functionName="classification">
            <MiningSchema>
              <MiningField name="age"/>
              <MiningField name="income" usageType="active"/>
              <MiningField name="approved" usageType="predicted"/>
            </MiningSchema>
            <Node score="yes"><True/></Node>
          </TreeModel>
        </PMML>
        """;

    private static MemoryStream Zip(params string[] entries)
    {
        var stream = new MemoryStream();
        using (var zip = new System.IO.Compression.ZipArchive(stream, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var entry in entries)
            {
                using var writer = new StreamWriter(zip.CreateEntry(entry).Open());
                writer.Write("x");
            }
        }
        stream.Position = 0;
        return stream;
    }

    [Fact]
    public async Task A_pmml_document_reports_its_model_type_and_mining_schema_as_the_signature()
    {
        using var file = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(Pmml.Trim()));

        var info = await ModelFormats.InspectAsync(file, "credit.pmml", default);

        Assert.Equal("pmml", info.Format);
        Assert.Null(info.Error);
        Assert.Equal("TreeModel", info.Properties["model_type"]);
        Assert.Equal(["age", "income"], info.Signature!.Inputs.Select(i => i.Name));
        Assert.Equal("double", info.Signature.Inputs[0].ElementType);
        Assert.Equal(("approved", "string"), (info.Signature.Outputs.Single().Name, info.Signature.Outputs.Single().ElementType));
    }

    [Fact]
    public async Task A_corrupt_pmml_document_is_reported_not_thrown()
    {
        using var file = new MemoryStream(System.Text.Encoding.UTF8.GetBytes("<PMML version=\"4.4\"><DataDictionary>"));
        var info = await ModelFormats.InspectAsync(file, "broken.pmml", default);
        Assert.Equal("pmml", info.Format);
        Assert.NotNull(info.Error);
    }

    [Fact]
    public async Task A_pmml_document_with_a_dtd_is_refused_rather_than_expanded()
    {
        using var file = new MemoryStream(System.Text.Encoding.UTF8.GetBytes("<!DOCTYPE PMML [<!ENTITY a \"aaaa\">]><PMML version=\"4.4\">&a;</PMML>"));
        var info = await ModelFormats.InspectAsync(file, "evil.pmml", default);
        Assert.NotNull(info.Error);
    }

    [Fact]
    public async Task A_torchscript_archive_is_recognised_by_its_entries()
    {
        using var file = Zip("model/data.pkl", "model/code/__torch__.py", "model/constants.pkl", "model/data/0", "model/data/1", "model/version");
        var info = await ModelFormats.InspectAsync(file, "model.pt", default);
        Assert.Equal("torchscript", info.Format);
        Assert.Equal("pytorch", info.Framework);
        Assert.Equal("2", info.Properties["tensor_count"]);
    }

    [Fact]
    public async Task An_mlnet_model_zip_is_recognised_by_its_transformer_chain()
    {
        using var file = Zip("TransformerChain/Version.txt", "TransformerChain/Transform_000/Model.key", "TransformerChain/Transform_001/Model.key", "Schema/Schema.key");
        var info = await ModelFormats.InspectAsync(file, "model.zip", default);
        Assert.Equal("mlnet", info.Format);
        Assert.Equal("ml.net", info.Framework);
        Assert.Equal("Transform_000,Transform_001", info.Properties["transformers"]);
    }

    [Fact]
    public async Task Another_zip_is_unknown_and_a_broken_torchscript_archive_says_why()
    {
        using var other = Zip("readme.txt");
        Assert.Equal("unknown", (await ModelFormats.InspectAsync(other, "docs.zip", default)).Format);

        using var broken = new MemoryStream([(byte)'P', (byte)'K', 3, 4, 0, 0, 1, 2, 3]);
        var info = await ModelFormats.InspectAsync(broken, "model.pt", default);
        Assert.Equal("torchscript", info.Format);
        Assert.NotNull(info.Error);
    }
}
