using System.Buffers.Binary;
using System.Text;
using Cairn.Artifacts.Formats;

namespace Cairn.Tests.Formats;

public sealed class ModelFormatsTests
{
    private static MemoryStream Safetensors(string headerJson, int dataBytes)
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

    private static void GgufString(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    private static MemoryStream Gguf()
    {
        var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write("GGUF"u8);
            w.Write(3u);
            w.Write(291ul);
            w.Write(5ul);
            GgufString(w, "general.architecture"); w.Write(8u); GgufString(w, "llama");
            GgufString(w, "general.name"); w.Write(8u); GgufString(w, "tiny-llama");
            GgufString(w, "llama.context_length"); w.Write(4u); w.Write(4096u);
            GgufString(w, "general.file_type"); w.Write(4u); w.Write(15u);
            // A large array of floats, skipped without being read into memory.
            GgufString(w, "tokenizer.scores"); w.Write(9u); w.Write(6u); w.Write(1000ul); w.Write(new byte[4000]);
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
        Assert.Equal("291", info.Properties["tensor_count"]);
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
