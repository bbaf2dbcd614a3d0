using System.ComponentModel.DataAnnotations;

namespace Cairn.Server;

/// <summary>Server settings, bound from the "Cairn" section (appsettings, CAIRN_* variables, CLI flags).</summary>
public sealed class CairnOptions
{
    public const string Section = "Cairn";

    /// <summary>Where metadata and files live by default.</summary>
    [Required]
    public string DataDir { get; set; } = ".cairn";

    /// <summary>The metadata database: a SQLite file path. Empty means <c>{DataDir}/cairn.db</c>.</summary>
    public string? Database { get; set; }

    /// <summary>Where version files are kept. Empty means <c>{DataDir}/artifacts</c>.</summary>
    public string? Artifacts { get; set; }

    /// <summary>
    /// MLflow's <c>--default-artifact-root</c>: the artifact root of new experiments. Empty means <c>mlflow-artifacts:/</c>
    /// (clients upload through the server's artifact proxy). A relative path is relative to the working directory.
    /// </summary>
    public string? DefaultArtifactRoot { get; set; }

    /// <summary>
    /// MLflow's <c>--artifacts-destination</c>: where the artifact proxy keeps files. Empty means <c>{DataDir}/mlartifacts</c>.
    /// </summary>
    public string? ArtifactsDestination { get; set; }

    /// <summary>The largest file accepted by one upload, in bytes (default 64 GiB).</summary>
    [Range(1, long.MaxValue)]
    public long MaxFileBytes { get; set; } = 64L << 30;

    /// <summary><c>none</c> (every caller is the local admin) or <c>token</c> (API tokens with roles).</summary>
    [RegularExpression("^(none|token)$", ErrorMessage = "Cairn:Auth must be 'none' or 'token'.")]
    public string Auth { get; set; } = "none";

    /// <summary>The name recorded as actor when authentication is off.</summary>
    public string LocalUser { get; set; } = Environment.UserName;

    public string DatabasePath => string.IsNullOrWhiteSpace(Database) ? Path.Combine(DataDir, "cairn.db") : Database;

    public string ArtifactsPath => string.IsNullOrWhiteSpace(Artifacts) ? Path.Combine(DataDir, "artifacts") : Artifacts;

    public string DefaultArtifactRootUri => string.IsNullOrWhiteSpace(DefaultArtifactRoot) ? "mlflow-artifacts:/" : DefaultArtifactRoot;

    public string ArtifactsDestinationPath => string.IsNullOrWhiteSpace(ArtifactsDestination) ? Path.Combine(DataDir, "mlartifacts") : ArtifactsDestination;

    public bool TokenAuth => Auth == "token";
}
