using Cairn.Artifacts.Formats;
using Microsoft.ML;

namespace Cairn.Tests.Formats;

public sealed class MlNetFormatTests
{
    private sealed class House
    {
        public float Size { get; set; }

        public string Kind { get; set; } = "";

        public float Price { get; set; }
    }

    [Fact]
    public async Task A_model_saved_by_mlnet_is_recognised_with_its_transformers_and_predictor()
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
        saved.Position = 0;

        var info = await ModelFormats.InspectAsync(saved, "house-price.zip", default);

        Assert.Equal("mlnet", info.Format);
        Assert.Equal("ml.net", info.Framework);
        Assert.Null(info.Error);
        Assert.Equal("TermTransform,KeyToVectorTransform,ConcatTransform,RegressionPredXfer", info.Properties["transformers"]);
        Assert.Equal("LinearRegressionExec", info.Properties["predictor"]);
        Assert.Equal("saved", info.Properties["input_schema"]);
        Assert.StartsWith("5.", info.Properties["mlnet_version"], StringComparison.Ordinal);
    }
}
