using System.Text;
using Cairn.Governance;

namespace Cairn.Tracking.Traces;

/// <summary>
/// A trace's span data as MLflow's clients and UI read it: the file <see cref="TraceKeys.DataFileName"/> (<c>{"spans": […]}</c>)
/// that the client uploaded to the trace's artifact location (through the artifact proxy, or to a local path), or,
/// for a trace whose spans came only over OTLP, the same document made from the stored spans.
/// </summary>
public sealed class TraceDataFiles(TraceStore traces, RunArtifacts artifacts)
{
    /// <summary>The trace's data file, opened for reading.</summary>
    /// <exception cref="NotFoundException">No such trace, or it has neither a data file nor stored spans.</exception>
    /// <exception cref="InvalidParameterException">The trace's artifact location is not reachable from this server.</exception>
    public async Task<Stream> OpenAsync(Caller caller, string traceId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var info = await traces.GetTraceAsync(caller, traceId, cancellationToken);
        if (info.Tags.TryGetValue(TraceKeys.ArtifactLocation, out var location))
        {
            var root = TrackingArtifacts.Resolve(location);
            var file = $"{root.Path.TrimEnd('/')}/{TraceKeys.DataFileName}";
            if (root.Proxied)
            {
                try
                {
                    return (await artifacts.OpenAsync(caller, file, cancellationToken)).Content;
                }
                catch (NotFoundException)
                {
                    // Not uploaded (yet): the spans received over OTLP, if any, say the same.
                }
            }
            else if (File.Exists(file))
            {
                return new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true);
            }
        }
        var spans = await traces.GetSpansAsync(caller, traceId, cancellationToken);
        if (spans.Count == 0)
        {
            throw new NotFoundException($"Trace data for trace '{traceId}' was not found: it has no span data file and no spans were received for it.");
        }
        // Each span's content is already a JSON object; joining them keeps the bytes as received.
        var document = "{\"spans\": [" + string.Join(", ", spans.Select(s => s.Content)) + "]}";
        return new MemoryStream(Encoding.UTF8.GetBytes(document), writable: false);
    }
}
