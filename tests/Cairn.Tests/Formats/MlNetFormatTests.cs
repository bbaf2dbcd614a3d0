using System.IO.Compression;
using Cairn.Artifacts.Formats;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Cairn.Tests.Formats;

[Trait("Store", "none")]
public sealed class MlNetFormatTests
{
    private sealed class House
    {
        public float Size { get; set; }

        public string Kind { get; set; } = "";

        public float Price { get; set; }
    }

    private sealed class Reading
    {
        [VectorType(3)]
        public float[] Window { get; set; } = new float[3];

        [VectorType]
        public double[] History { get; set; } = [];

        [KeyType(10)]
        public uint Sensor { get; set; }

        public bool Faulty { get; set; }

        public long Timestamp { get; set; }
    }

    /// <summary>A real model saved by ML.NET: one-hot encoding, concatenation and an SDCA regression, with its input schema.</summary>
    internal static byte[] HousePriceModel()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Enumerable.Range(1, 20).Select(i => new House { Size = i, Kind = i % 2 == 0 ? "flat" : "house", Price = i * 3 + 1 }));
        // One-hot encoding is itself a chain (term, then key-to-vector): the reader expands it.
        var pipeline = ml.Transforms.Categorical.OneHotEncoding("KindVector", nameof(House.Kind))
            .Append(ml.Transforms.Concatenate("Features", nameof(House.Size), "KindVector"))
            .Append(ml.Regression.Trainers.Sdca(labelColumnName: nameof(House.Price), maximumNumberOfIterations: 5));
        var model = pipeline.Fit(data);
        using var saved = new MemoryStream();
        ml.Model.Save(model, data.Schema, saved);
        return saved.ToArray();
    }

    /// <summary>The same archive with one entry's bytes replaced.</summary>
    private static MemoryStream Replace(byte[] archive, string entryName, byte[] content)
    {
        var copy = new MemoryStream();
        copy.Write(archive);
        using (var zip = new ZipArchive(copy, ZipArchiveMode.Update, leaveOpen: true))
        {
            zip.GetEntry(entryName)!.Delete();
            using var entry = zip.CreateEntry(entryName).Open();
            entry.Write(content);
        }
        copy.Position = 0;
        return copy;
    }

    [Fact]
    public async Task A_model_saved_by_mlnet_is_recognised_with_its_transformers_predictor_and_input_schema()
    {
        using var saved = new MemoryStream(HousePriceModel());

        var info = await ModelFormats.InspectAsync(saved, "house-price.zip", default);

        Assert.Equal("mlnet", info.Format);
        Assert.Equal("ml.net", info.Framework);
        Assert.Null(info.Error);
        Assert.Equal("TermTransform,KeyToVectorTransform,ConcatTransform,RegressionPredXfer", info.Properties["transformers"]);
        Assert.Equal("LinearRegressionExec", info.Properties["predictor"]);
        Assert.Equal("saved", info.Properties["input_schema"]);
        Assert.StartsWith("5.", info.Properties["mlnet_version"], StringComparison.Ordinal);
        // The input schema is the data the model was fitted on, label included; scalars have an empty shape.
        Assert.Equal(
            [("Size", "float"), ("Kind", "string"), ("Price", "float")],
            info.Signature!.Inputs.Select(i => (i.Name, i.ElementType)));
        Assert.All(info.Signature.Inputs, i => Assert.Empty(i.Shape!));
        Assert.Empty(info.Signature.Outputs);
    }

    [Fact]
    public async Task An_mlnet_input_schema_reports_vector_shapes_key_types_and_other_primitives()
    {
        var ml = new MLContext(seed: 1);
        var rows = Enumerable.Range(1, 5).Select(i => new Reading { Window = [i, i, i], History = [i, i * 2.0], Sensor = (uint)i, Faulty = i % 2 == 0, Timestamp = i });
        var data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.Transforms.Concatenate("Features", nameof(Reading.Window)).Fit(data);
        using var saved = new MemoryStream();
        ml.Model.Save(model, data.Schema, saved);
        saved.Position = 0;

        var info = await ModelFormats.InspectAsync(saved, "sensor.mlnet", default);

        Assert.Null(info.Error);
        var inputs = info.Signature!.Inputs.ToDictionary(i => i.Name);
        Assert.Equal("float", inputs["Window"].ElementType);
        Assert.Equal([3L], inputs["Window"].Shape!);
        // A vector of variable length: one dimension of unknown size.
        Assert.Equal("double", inputs["History"].ElementType);
        Assert.Equal([null], inputs["History"].Shape!);
        Assert.Equal("key<uint32>", inputs["Sensor"].ElementType);
        Assert.Equal("bool", inputs["Faulty"].ElementType);
        Assert.Equal("int64", inputs["Timestamp"].ElementType);
    }

    [Fact]
    public async Task An_mlnet_model_saved_without_an_input_schema_reports_its_transformers_only()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Enumerable.Range(1, 5).Select(i => new House { Size = i }));
        var model = ml.Transforms.Concatenate("Features", nameof(House.Size)).Fit(data);
        using var saved = new MemoryStream();
        ml.Model.Save(model, null, saved);
        saved.Position = 0;

        var info = await ModelFormats.InspectAsync(saved, "model.zip", default);

        Assert.Equal(("mlnet", null), (info.Format, info.Error));
        Assert.Equal("ConcatTransform", info.Properties["transformers"]);
        Assert.Null(info.Signature);
        Assert.False(info.Properties.ContainsKey("input_schema"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    [InlineData(300)]
    public async Task A_damaged_mlnet_input_schema_keeps_the_model_recognised_and_says_why_the_inputs_are_missing(int keep)
    {
        var original = HousePriceModel();
        using var archive = new ZipArchive(new MemoryStream(original));
        using var schema = new MemoryStream();
        await using (var entry = await archive.GetEntry("Schema")!.OpenAsync())
        {
            await entry.CopyToAsync(schema);
        }
        // Cut short (no table of contents), or its table of contents pointing past the end.
        var damaged = schema.ToArray()[..Math.Min(keep, (int)schema.Length)];
        if (keep == 300)
        {
            damaged = schema.ToArray();
            BitConverter.GetBytes(long.MaxValue).CopyTo(damaged, 32);
        }
        using var file = Replace(original, "Schema", damaged);

        var info = await ModelFormats.InspectAsync(file, "house-price.zip", default);

        Assert.Equal("mlnet", info.Format);
        Assert.Contains("input schema", info.Error, StringComparison.Ordinal);
        Assert.Null(info.Signature);
        Assert.Equal("LinearRegressionExec", info.Properties["predictor"]);
    }

    [Fact]
    public async Task A_truncated_mlnet_zip_is_reported_as_a_broken_mlnet_model()
    {
        var whole = HousePriceModel();

        var info = await ModelFormats.InspectAsync(new MemoryStream(whole[..(whole.Length / 2)]), "house-price.zip", default);

        Assert.Equal(("mlnet", "ml.net"), (info.Format, info.Framework));
        Assert.Contains("damaged", info.Error, StringComparison.Ordinal);
    }
}
