namespace Cairn.Server.Mlflow;

internal static class MlflowArtifactsApi
{
    /// <summary>The artifact proxy under <c>/api/2.0/mlflow-artifacts</c>.</summary>
    public static RouteGroupBuilder MapMlflowArtifacts(this RouteGroupBuilder group) => group;

    /// <summary><c>artifacts/list</c> for runs, under the tracking prefix.</summary>
    public static RouteGroupBuilder MapMlflowRunArtifacts(this RouteGroupBuilder group) => group;
}
