namespace Cairn.Server;

/// <summary>The server's log messages, with stable event ids.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Applied schema migrations {Versions}")]
    public static partial void MigrationsApplied(ILogger logger, string versions);

    [LoggerMessage(3, LogLevel.Warning, "Removed {Count} stored files that no version records (left by an interrupted upload or delete)")]
    public static partial void OrphansRemoved(ILogger logger, int count);

    [LoggerMessage(4, LogLevel.Information, "Metadata in {Database}; version files in {Artifacts}; MLflow's proxied artifacts in {MlflowArtifacts}")]
    public static partial void Stores(ILogger logger, string database, string artifacts, string mlflowArtifacts);

    [LoggerMessage(2, LogLevel.Error, "Unhandled error on {Method} {Path}")]
    public static partial void Unhandled(ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(6, LogLevel.Error, "Delivering events to webhooks failed; the deliveries wait in the store")]
    public static partial void WebhookDispatchFailed(ILogger logger, Exception exception);

    [LoggerMessage(1701, LogLevel.Information, "Expired {Count} promotion requests past their time")]
    public static partial void PromotionsExpired(ILogger logger, int count);

    [LoggerMessage(1702, LogLevel.Error, "Expiring promotion requests failed; the next sweep tries again")]
    public static partial void PromotionExpiryFailed(ILogger logger, Exception exception);
}
