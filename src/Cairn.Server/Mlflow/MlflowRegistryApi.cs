namespace Cairn.Server.Mlflow;

internal static class MlflowRegistryApi
{
    public static RouteGroupBuilder MapMlflowRegistry(this RouteGroupBuilder group) => group;
}
