using Cairn.Artifacts;

namespace Cairn.Cli;

/// <summary>Artifact stores named on the command line, reached with the settings <c>cairn serve</c> reads from the environment.</summary>
internal static class ArtifactLocations
{
    /// <summary>A directory, <c>s3://bucket/prefix</c> (CAIRN_S3_*) or <c>azure://container/prefix</c> (CAIRN_AZURE_CONNECTION_STRING).</summary>
    public static IArtifactStore Open(string location, string staging) =>
        ArtifactStores.Open(location, staging, S3FromEnvironment(), Environment.GetEnvironmentVariable("CAIRN_AZURE_CONNECTION_STRING")
            ?? Environment.GetEnvironmentVariable("AZURE_STORAGE_CONNECTION_STRING"),
            // Files copied into an object store (cairn migrate) are written with the encryption cairn serve asks for.
            azureEncryptionScope: Environment.GetEnvironmentVariable("CAIRN_AZURE_ENCRYPTION_SCOPE"));

    /// <summary>The CAIRN_S3_* variables, as <c>cairn serve</c> reads them.</summary>
    private static S3Settings S3FromEnvironment() => new(
        Environment.GetEnvironmentVariable("CAIRN_S3_ENDPOINT"),
        Environment.GetEnvironmentVariable("CAIRN_S3_REGION"),
        Environment.GetEnvironmentVariable("CAIRN_S3_ACCESS_KEY_ID"),
        Environment.GetEnvironmentVariable("CAIRN_S3_SECRET_ACCESS_KEY"),
        bool.TryParse(Environment.GetEnvironmentVariable("CAIRN_S3_FORCE_PATH_STYLE"), out var pathStyle) ? pathStyle : null,
        Environment.GetEnvironmentVariable("CAIRN_S3_SERVER_SIDE_ENCRYPTION"),
        Environment.GetEnvironmentVariable("CAIRN_S3_KMS_KEY_ID"));
}
