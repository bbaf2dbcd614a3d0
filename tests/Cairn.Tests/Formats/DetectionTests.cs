using System.Text;
using Cairn.Artifacts.Formats;

namespace Cairn.Tests.Formats;

/// <summary>Content decides before the name: files are recognised whatever they are called.</summary>
[Trait("Store", "none")]
public sealed class DetectionTests
{
    [Fact]
    public async Task An_onnx_model_is_recognised_by_content_under_another_name()
    {
        var info = await ModelFormats.InspectAsync(new MemoryStream(OnnxFormatTests.Model()), "model.bin", default);

        Assert.Equal(("onnx", "onnx"), (info.Format, info.Framework));
        Assert.Null(info.Error);
        Assert.Equal(["features", "mask"], info.Signature!.Inputs.Select(i => i.Name));
    }

    [Fact]
    public async Task A_pmml_document_with_an_xml_declaration_is_recognised_by_its_root_element()
    {
        const string Document = """
            <?xml version="1.0" encoding="UTF-8"?>
            <!-- exported by a scoring tool -->
            <p:PMML xmlns:p="http://www.dmg.org/PMML-4_3" version="4.3">
              <p:DataDictionary>
                <p:DataField name="x" optype="continuous" dataType="float"/>
                <p:DataField name="y" optype="continuous" dataType="float"/>
              </p:DataDictionary>
              <p:RegressionModel functionName="regression">
                <p:MiningSchema>
                  <p:MiningField name="x"/>
                  <p:MiningField name="y" usageType="target"/>
                </p:MiningSchema>
                <p:RegressionTable intercept="1"><p:NumericPredictor name="x" coefficient="2"/></p:RegressionTable>
              </p:RegressionModel>
            </p:PMML>
            """;
        using var file = new MemoryStream([.. Encoding.UTF8.Preamble, .. Encoding.UTF8.GetBytes(Document)]);

        var info = await ModelFormats.InspectAsync(file, "model.xml", default);

        Assert.Equal(("pmml", "pmml"), (info.Format, info.Framework));
        Assert.Null(info.Error);
        Assert.Equal("RegressionModel", info.Properties["model_type"]);
        Assert.Equal(("x", "float"), (info.Signature!.Inputs.Single().Name, info.Signature.Inputs.Single().ElementType));
        Assert.Equal("y", info.Signature.Outputs.Single().Name);
    }

    [Theory]
    [InlineData("<?xml version=\"1.0\"?><project><name>not a model</name></project>", "pom.xml")]
    [InlineData("<html><body>model card</body></html>", "card.html")]
    [InlineData("<not xml at all", "notes.txt")]
    public async Task Other_xml_and_markup_is_unknown(string text, string name)
    {
        var info = await ModelFormats.InspectAsync(new MemoryStream(Encoding.UTF8.GetBytes(text)), name, default);

        Assert.Same(FormatInfo.Unknown, info);
    }

    [Fact]
    public async Task Content_outranks_a_misleading_extension()
    {
        using var gguf = ModelFormatsTests.Gguf();

        var info = await ModelFormats.InspectAsync(gguf, "model.onnx", default);

        Assert.Equal("gguf", info.Format);
        Assert.Null(info.Error);
    }

    [Fact]
    public async Task An_empty_file_is_unknown()
    {
        var info = await ModelFormats.InspectAsync(new MemoryStream(), "empty.bin", default);

        Assert.Same(FormatInfo.Unknown, info);
    }
}
