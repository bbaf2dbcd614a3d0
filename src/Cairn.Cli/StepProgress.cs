using Spectre.Console;

namespace Cairn.Cli;

/// <summary>
/// A progress bar per step of a long job (a table, a kind of record, the files) on stderr for people; nothing when
/// stderr is not a terminal or --json is on. Reports arrive on the job's own thread, in order.
/// </summary>
internal static class StepProgress
{
    public static async Task<T> RunAsync<T>(bool quiet, Func<IProgress<(string Step, long Done, long Total)>?, Task<T>> work)
    {
        if (quiet || Console.IsErrorRedirected)
        {
            return await work(null);
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        return await console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var tasks = new Dictionary<string, ProgressTask>(StringComparer.Ordinal);
                return await work(new Reporter<(string Step, long Done, long Total)>(p =>
                {
                    if (!tasks.TryGetValue(p.Step, out var task))
                    {
                        tasks[p.Step] = task = context.AddTask(p.Step, maxValue: Math.Max(1, p.Total));
                    }
                    task.MaxValue = Math.Max(1, p.Total);
                    task.Value = p.Total == 0 ? 1 : p.Done;
                }));
            });
    }
}

/// <summary>An <see cref="IProgress{T}"/> that reports on the caller's thread, in order (Spectre redraws from its own).</summary>
internal sealed class Reporter<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
