namespace Cairn.Tracking;

/// <summary>
/// Where MLflow run artifacts go, with the meanings of <c>mlflow server</c>'s options.
/// <see cref="DefaultArtifactRoot"/> is the root of new experiments' artifact locations (an experiment's location is
/// <c>{root}/{experiment_id}</c>, a run's artifact URI <c>{location}/{run_id}/artifacts</c>); with the default
/// <c>mlflow-artifacts:/</c> clients upload through the server's artifact proxy, which keeps the files under
/// <see cref="ArtifactsDestination"/> at the same relative paths MLflow's proxy would.
/// </summary>
public sealed record TrackingArtifacts(string DefaultArtifactRoot, string ArtifactsDestination)
{
    public const string ProxyScheme = "mlflow-artifacts:";

    /// <summary>An experiment's artifact location under the default root.</summary>
    public string ExperimentLocation(long experimentId) => $"{DefaultArtifactRoot.TrimEnd('/')}/{experimentId}";

    /// <summary>A run's artifact URI under its experiment's location.</summary>
    public static string RunArtifactUri(string experimentLocation, string runId) => $"{experimentLocation.TrimEnd('/')}/{runId}/artifacts";
}
