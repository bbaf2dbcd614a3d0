using System.Xml;

namespace Cairn.Artifacts.Formats;

/// <summary>PMML: the model element's kind, and its mining schema (active fields in, predicted fields out).</summary>
internal static class PmmlReader
{
    public const string Format = "pmml";
    private const long MaxCharacters = 64L << 20;
    private const int MaxFields = 100_000;

    private static readonly HashSet<string> ModelElements = new(StringComparer.Ordinal)
    {
        "AnomalyDetectionModel", "AssociationModel", "BayesianNetworkModel", "BaselineModel", "ClusteringModel",
        "GaussianProcessModel", "GeneralRegressionModel", "MiningModel", "NaiveBayesModel", "NearestNeighborModel",
        "NeuralNetwork", "RegressionModel", "RuleSetModel", "SequenceModel", "Scorecard", "SupportVectorMachineModel",
        "TextModel", "TimeSeriesModel", "TreeModel",
    };

    public static async Task<FormatInfo> ReadAsync(Stream content, CancellationToken cancellationToken)
    {
        var settings = new XmlReaderSettings
        {
            Async = true,
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersInDocument = MaxCharacters,
            IgnoreComments = true,
            IgnoreWhitespace = true,
        };
        using var reader = XmlReader.Create(content, settings);
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var inputs = new List<TensorSpec>();
        var outputs = new List<TensorSpec>();
        string? modelType = null;
        string? version = null;
        var inMiningSchema = false;
        while (await reader.ReadAsync())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (reader.NodeType == XmlNodeType.EndElement && reader.LocalName == "MiningSchema")
            {
                inMiningSchema = false;
                if (modelType is not null)
                {
                    break;
                }
            }
            if (reader.NodeType != XmlNodeType.Element)
            {
                continue;
            }
            switch (reader.LocalName)
            {
                case "PMML" when reader.Depth == 0:
                    version = reader.GetAttribute("version");
                    break;
                case "DataField":
                    if (reader.GetAttribute("name") is { } field)
                    {
                        CheckFieldCount(types.Count);
                        types[field] = reader.GetAttribute("dataType") ?? "unknown";
                    }
                    break;
                case "MiningSchema":
                    inMiningSchema = true;
                    break;
                case "MiningField" when inMiningSchema && reader.GetAttribute("name") is { } name:
                    CheckFieldCount(inputs.Count + outputs.Count);
                    var spec = new TensorSpec(name, types.GetValueOrDefault(name, "unknown"), null);
                    switch (reader.GetAttribute("usageType") ?? "active")
                    {
                        case "active":
                            inputs.Add(spec);
                            break;
                        case "predicted" or "target":
                            outputs.Add(spec);
                            break;
                    }
                    break;
                case var element when modelType is null && ModelElements.Contains(element):
                    modelType = element;
                    break;
            }
        }
        if (version is null && modelType is null)
        {
            throw new InvalidDataException("The document is not PMML: no PMML root element.");
        }
        var properties = new Dictionary<string, string>(StringComparer.Ordinal) { ["model_type"] = modelType ?? "unknown" };
        if (version is not null)
        {
            properties["pmml_version"] = version;
        }
        return new FormatInfo(Format, "pmml", new ModelSignature(inputs, outputs), properties, null);
    }

    private static void CheckFieldCount(int count)
    {
        if (count >= MaxFields)
        {
            throw new InvalidDataException($"The PMML document declares more than {MaxFields} fields.");
        }
    }
}
