using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Cairn.Tests.Api;

/// <summary>
/// Appends the in-process servers' errors (with their exceptions) to the file <c>CAIRN_TEST_ERROR_LOG</c> names:
/// a test that gets a 500 only shows the response body, and the cause is in the server's log, which the test runner
/// does not keep. scripts/test names a file in the results folder and prints it when a pass fails.
/// </summary>
public sealed class ServerErrorLog : ILoggerProvider
{
    private static readonly Lock Gate = new();

    private ServerErrorLog(string path) => Path = path;

    private string Path { get; }

    /// <summary>The provider when <c>CAIRN_TEST_ERROR_LOG</c> is set, else null.</summary>
    public static ServerErrorLog? FromEnvironment() =>
        Environment.GetEnvironmentVariable("CAIRN_TEST_ERROR_LOG") is { Length: > 0 } path ? new ServerErrorLog(path) : null;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private void Write(string category, LogLevel level, string message, Exception? exception)
    {
        var text = string.Create(CultureInfo.InvariantCulture,
            $"{DateTimeOffset.UtcNow:O} {level} {category}: {message}{Environment.NewLine}{exception}{Environment.NewLine}");
        lock (Gate)
        {
            File.AppendAllText(Path, text);
        }
    }

    private sealed class Logger(ServerErrorLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                log.Write(category, logLevel, formatter(state, exception), exception);
            }
        }
    }
}
