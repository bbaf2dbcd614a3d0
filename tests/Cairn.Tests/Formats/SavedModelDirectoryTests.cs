using Cairn.Artifacts.Formats;

namespace Cairn.Tests.Formats;

[Trait("Store", "none")]
public sealed class SavedModelDirectoryTests
{
    private static readonly string[] Layout =
    [
        "README.md",
        "export/1/saved_model.pb",
        "export/1/variables/variables.index",
        "export/1/variables/variables.data-00000-of-00001",
        "export/1/assets/vocab.txt",
    ];

    /// <summary>Serves the SavedModel bytes for saved_model.pb, optionally through a stream that cannot seek.</summary>
    private static Func<string, CancellationToken, Task<Stream>> Open(byte[] savedModel, List<string> opened, bool seekable = true) =>
        (path, _) =>
        {
            opened.Add(path);
            Stream stream = seekable ? new MemoryStream(savedModel) : new ForwardOnlyStream(savedModel);
            return Task.FromResult(stream);
        };

    [Fact]
    public async Task A_directory_with_a_saved_model_reports_its_serving_signature_and_layout()
    {
        var opened = new List<string>();

        var info = await ModelFormats.InspectDirectoryAsync(Layout, Open(SavedModelFormatTests.SavedModel(), opened), default);

        Assert.NotNull(info);
        Assert.Equal(("savedmodel", "tensorflow"), (info.Format, info.Framework));
        Assert.Null(info.Error);
        Assert.Equal(["export/1/saved_model.pb"], opened);
        Assert.Equal("export/1/saved_model.pb", info.Properties["saved_model_path"]);
        Assert.Equal("true", info.Properties["has_variables"]);
        Assert.Equal("tensorflow/serving/predict", info.Properties["method_name"]);
        var input = info.Signature!.Inputs.Single();
        Assert.Equal(("images", "float"), (input.Name, input.ElementType));
        Assert.Equal([null, 28L, 28L], input.Shape!);
        Assert.Equal("probs", info.Signature.Outputs.Single().Name);
    }

    [Fact]
    public async Task A_saved_model_served_by_a_stream_that_cannot_seek_is_read_all_the_same()
    {
        var info = await ModelFormats.InspectDirectoryAsync(["saved_model.pb"], Open(SavedModelFormatTests.SavedModel(), [], seekable: false), default);

        Assert.NotNull(info);
        Assert.Null(info.Error);
        Assert.Equal("serving_default", info.Properties["signature_name"]);
        Assert.Equal("false", info.Properties["has_variables"]);
    }

    [Fact]
    public async Task A_directory_without_saved_model_pb_is_not_a_saved_model()
    {
        var opened = new List<string>();

        var info = await ModelFormats.InspectDirectoryAsync(["model.onnx", "saved_model.pbtxt", "notsaved_model.pb"], Open([], opened), default);

        Assert.Null(info);
        Assert.Empty(opened);
    }

    [Fact]
    public async Task A_corrupt_saved_model_pb_is_reported_not_thrown()
    {
        var info = await ModelFormats.InspectDirectoryAsync(Layout, Open(SavedModelFormatTests.SavedModel()[..50], []), default);

        Assert.NotNull(info);
        Assert.Equal("savedmodel", info.Format);
        Assert.NotNull(info.Error);
    }

    [Fact]
    public async Task A_saved_model_pb_that_cannot_be_opened_is_reported_not_thrown()
    {
        var info = await ModelFormats.InspectDirectoryAsync(Layout, (_, _) => throw new IOException("disk on fire"), default);

        Assert.NotNull(info);
        Assert.Equal("savedmodel", info.Format);
        Assert.Equal("disk on fire", info.Error);
    }

    private sealed class ForwardOnlyStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override long Length => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin loc) => throw new NotSupportedException();
    }
}
