using System.Buffers.Binary;
using System.Text;
using Cairn.Artifacts.Formats;

namespace Cairn.Tests.Formats;

/// <summary>Damaged and hostile files: each comes back as data (an error or unknown), never as an exception.</summary>
[Trait("Store", "none")]
public sealed class HostileInputTests
{
    [Theory]
    [InlineData("""{"w":{"dtype":"F32","shape":["a"],"data_offsets":[0,4]}}""")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}""")]
    [InlineData("""{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,4]}}""")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1e30],"data_offsets":[0,4]}}""")]
    [InlineData("""{"w":{"dtype":7,"shape":[1],"data_offsets":[0,4]}}""")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1],"data_offsets":["0",4]}}""")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}""")]
    [InlineData("""{"w":5}""")]
    [InlineData("""{"__metadata__":5}""")]
    [InlineData("""[1,2,3]""")]
    [InlineData("""{"w":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,4]}}""")]
    public async Task A_safetensors_header_of_the_wrong_shape_is_reported_as_an_error(string header)
    {
        using var file = ModelFormatsTests.Safetensors(header, 64);

        var info = await ModelFormats.InspectAsync(file, "model.safetensors", default);

        Assert.Equal("safetensors", info.Format);
        Assert.False(string.IsNullOrEmpty(info.Error));
    }

    [Fact]
    public async Task A_safetensors_file_cut_short_of_its_tensor_data_is_reported_as_truncated()
    {
        using var file = ModelFormatsTests.Safetensors("""{"w":{"dtype":"F32","shape":[100],"data_offsets":[0,400]}}""", 100);

        var info = await ModelFormats.InspectAsync(file, "model.safetensors", default);

        Assert.Equal("safetensors", info.Format);
        Assert.Contains("truncated", info.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_binary_file_starting_with_a_small_number_is_not_taken_for_safetensors()
    {
        var bytes = new byte[1000];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, 16);
        bytes[8] = 0x42;

        var info = await ModelFormats.InspectAsync(new MemoryStream(bytes), "vocab.bin", default);

        Assert.Same(FormatInfo.Unknown, info);
    }

    [Fact]
    public async Task A_gguf_array_claiming_more_elements_than_the_file_holds_is_refused_without_reading_them()
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write("GGUF"u8);
            w.Write(3u);
            w.Write(0ul);
            w.Write(1ul);
            ModelFormatsTests.GgufString(w, "tokenizer.tokens");
            w.Write(9u);
            w.Write(8u);
            w.Write(ulong.MaxValue / 2);
            w.Write(new byte[64]);
        }
        stream.Position = 0;

        var info = await ModelFormats.InspectAsync(stream, "model.gguf", default);

        Assert.Equal("gguf", info.Format);
        Assert.Contains("elements", info.Error, StringComparison.Ordinal);
    }

    /// <summary>A GGUF header whose vocabulary is a string array ahead of the keys that matter.</summary>
    private static MemoryStream GgufWithVocabulary(ulong lastTokenLength)
    {
        var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write("GGUF"u8);
            w.Write(3u);
            w.Write(0ul);
            w.Write(4ul);
            ModelFormatsTests.GgufString(w, "general.architecture"); w.Write(8u); ModelFormatsTests.GgufString(w, "qwen2");
            ModelFormatsTests.GgufString(w, "tokenizer.ggml.tokens"); w.Write(9u); w.Write(8u); w.Write(3ul);
            ModelFormatsTests.GgufString(w, "<s>");
            ModelFormatsTests.GgufString(w, "hello");
            w.Write(lastTokenLength); w.Write("world"u8);
            ModelFormatsTests.GgufString(w, "qwen2.context_length"); w.Write(4u); w.Write(32768u);
            ModelFormatsTests.GgufString(w, "general.file_type"); w.Write(4u); w.Write(32u);
        }
        stream.Position = 0;
        return stream;
    }

    [Fact]
    public async Task A_gguf_vocabulary_is_passed_over_and_newer_quantisations_are_named()
    {
        var info = await ModelFormats.InspectAsync(GgufWithVocabulary(5), "qwen.gguf", default);

        Assert.Null(info.Error);
        Assert.Equal("qwen2", info.Properties["architecture"]);
        Assert.Equal("32768", info.Properties["context_length"]);
        Assert.Equal("MOSTLY_BF16", info.Properties["quantization"]);
    }

    [Fact]
    public async Task A_gguf_string_array_element_longer_than_the_file_is_refused()
    {
        var info = await ModelFormats.InspectAsync(GgufWithVocabulary(1UL << 40), "qwen.gguf", default);

        Assert.Equal("gguf", info.Format);
        Assert.Contains("truncated", info.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ulong.MaxValue, 1ul)]
    [InlineData(1ul, ulong.MaxValue)]
    public async Task A_gguf_header_claiming_impossible_counts_is_refused(ulong tensors, ulong keyValues)
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write("GGUF"u8);
            w.Write(3u);
            w.Write(tensors);
            w.Write(keyValues);
            ModelFormatsTests.GgufString(w, "general.architecture");
            w.Write(8u);
            ModelFormatsTests.GgufString(w, "llama");
        }
        stream.Position = 0;

        var info = await ModelFormats.InspectAsync(stream, "renamed.bin", default);

        Assert.Equal("gguf", info.Format);
        Assert.NotNull(info.Error);
    }

    [Fact]
    public async Task A_huge_sparse_gguf_file_is_inspected_from_its_header_only()
    {
        var path = Path.GetTempFileName();
        try
        {
            await using (var file = new FileStream(path, FileMode.Create))
            {
                using var header = ModelFormatsTests.Gguf();
                await header.CopyToAsync(file);
                file.SetLength(3L << 30);
            }
            await using var content = File.OpenRead(path);

            var info = await ModelFormats.InspectAsync(content, "big.gguf", default);

            Assert.Null(info.Error);
            Assert.Equal("MOSTLY_Q4_K_M", info.Properties["quantization"]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task A_file_starting_like_a_protobuf_but_not_onnx_stays_unknown_without_an_error()
    {
        var bytes = new byte[20_000];
        for (var i = 0; i < bytes.Length; i += 2)
        {
            (bytes[i], bytes[i + 1]) = (0x08, 0x01);
        }

        var info = await ModelFormats.InspectAsync(new MemoryStream(bytes), "data.bin", default);

        Assert.Same(FormatInfo.Unknown, info);
    }

    [Fact]
    public async Task An_onnx_graph_with_a_hostile_number_of_inputs_is_refused()
    {
        // ModelProto { ir_version: 8, graph: GraphProto { input × 200 000 (empty ValueInfoProto) } }
        using var graph = new MemoryStream();
        for (var i = 0; i < 200_000; i++)
        {
            graph.Write([0x5A, 0x00]);
        }
        using var model = new MemoryStream();
        model.Write([0x08, 0x08, 0x3A]);
        var length = (uint)graph.Length;
        while (length >= 0x80)
        {
            model.WriteByte((byte)(length | 0x80));
            length >>= 7;
        }
        model.WriteByte((byte)length);
        graph.WriteTo(model);
        model.Position = 0;

        var info = await ModelFormats.InspectAsync(model, "model.onnx", default);

        Assert.Equal("onnx", info.Format);
        Assert.Contains("graph inputs", info.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancellation_is_thrown_rather_than_reported_as_a_broken_file()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            ModelFormats.InspectAsync(new MemoryStream(OnnxFormatTests.Model()), "tiny.onnx", cancelled.Token));
    }
}

[Trait("Store", "none")]
public sealed class HostilePackagedInputTests
{
    [Fact]
    public async Task A_pmml_document_declaring_a_hostile_number_of_fields_is_refused()
    {
        var document = new System.Text.StringBuilder("<PMML version=\"4.4\"><DataDictionary>");
        for (var i = 0; i < 100_001; i++)
        {
            document.Append("<DataField name=\"f").Append(i).Append("\" dataType=\"double\"/>");
        }
        document.Append("</DataDictionary></PMML>");

        var info = await ModelFormats.InspectAsync(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(document.ToString())), "wide.pmml", default);

        Assert.Equal("pmml", info.Format);
        Assert.Contains("fields", info.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_truncated_torchscript_archive_is_reported_by_its_first_entry_whatever_its_name()
    {
        var stream = new MemoryStream();
        using (var zip = new System.IO.Compression.ZipArchive(stream, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var name in new[] { "resnet/data.pkl", "resnet/code/__torch__.py", "resnet/data/0", "resnet/version" })
            {
                await using var entry = await zip.CreateEntry(name).OpenAsync();
                entry.Write(new byte[256]);
            }
        }
        var truncated = stream.ToArray()[..200];

        var info = await ModelFormats.InspectAsync(new MemoryStream(truncated), "resnet.bin", default);

        Assert.Equal(("torchscript", "pytorch"), (info.Format, info.Framework));
        Assert.Contains("damaged", info.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_truncated_zip_of_another_kind_stays_unknown()
    {
        var stream = new MemoryStream();
        using (var zip = new System.IO.Compression.ZipArchive(stream, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
        {
            await using var entry = await zip.CreateEntry("docs/readme.txt").OpenAsync();
            entry.Write(new byte[256]);
        }

        var info = await ModelFormats.InspectAsync(new MemoryStream(stream.ToArray()[..100]), "docs.zip", default);

        Assert.Same(FormatInfo.Unknown, info);
    }

    [Fact]
    public async Task A_torch_save_checkpoint_without_code_is_pytorch_not_torchscript()
    {
        var stream = new MemoryStream();
        using (var zip = new System.IO.Compression.ZipArchive(stream, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var name in new[] { "checkpoint/data.pkl", "checkpoint/data/0", "checkpoint/data/1", "checkpoint/data/2", "checkpoint/version" })
            {
                await using var entry = await zip.CreateEntry(name).OpenAsync();
                entry.WriteByte(1);
            }
        }
        stream.Position = 0;

        var info = await ModelFormats.InspectAsync(stream, "weights.bin", default);

        Assert.Equal(("pytorch", "pytorch"), (info.Format, info.Framework));
        Assert.Equal("checkpoint", info.Properties["archive"]);
        Assert.Equal("3", info.Properties["tensor_count"]);
    }
}
