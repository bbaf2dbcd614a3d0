namespace Cairn.Server.Mlflow;

internal static class MlflowTrackingApi
{
    public static RouteGroupBuilder MapMlflowTracking(this RouteGroupBuilder group) => group;
}
