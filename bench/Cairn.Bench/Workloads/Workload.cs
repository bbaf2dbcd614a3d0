namespace Cairn.Bench.Workloads;

/// <summary>
/// One kind of operation the load runner repeats from every worker. An operation reports success; a failed
/// one says why through <see cref="Fail"/>, and the runner counts it as an error, not as throughput.
/// </summary>
internal abstract class Workload
{
    private string? _firstError;

    /// <summary>The name on the command line and in the report.</summary>
    public abstract string Name { get; }

    /// <summary>What one operation is, for the report.</summary>
    public abstract string Description { get; }

    /// <summary>
    /// True when an operation blocks its thread (synchronous SQLite): the runner then gives every worker a
    /// dedicated thread, so waiting workers do not starve the thread pool.
    /// </summary>
    public virtual bool BlocksThread => false;

    /// <summary>The first failure's description since the last <see cref="TakeFirstError"/>.</summary>
    public string? TakeFirstError() => Interlocked.Exchange(ref _firstError, null);

    /// <summary>Called before every run (warm-up included) with the number of workers about to start.</summary>
    public virtual Task PrepareAsync(int workers, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>One operation by <paramref name="worker"/>; <paramref name="iteration"/> counts that worker's operations in this run.</summary>
    public abstract ValueTask<bool> ExecuteAsync(int worker, long iteration, CancellationToken cancellationToken);

    /// <summary>Called after every run.</summary>
    public virtual Task FinishAsync() => Task.CompletedTask;

    /// <summary>Records why an operation failed (the first description is kept) and returns false.</summary>
    public bool Fail(string error)
    {
        Interlocked.CompareExchange(ref _firstError, error, null);
        return false;
    }
}
