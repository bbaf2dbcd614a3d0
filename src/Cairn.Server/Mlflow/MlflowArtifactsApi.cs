namespace Cairn.Server.Mlflow;

internal static class MlflowArtifactsApi
{
    public static RouteGroupBuilder MapMlflowArtifacts(this RouteGroupBuilder group) => group;
}
