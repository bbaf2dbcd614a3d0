using System.Net;

namespace Cairn.Client;

/// <summary>A file of a model version.</summary>
/// <param name="Path">Its relative path inside the version.</param>
/// <param name="Size">Its size in bytes.</param>
/// <param name="Sha256">Its SHA-256 in lower-case hex, computed by the server as the bytes arrived.</param>
/// <param name="Format">The model format detected in it, or <c>unknown</c>.</param>
/// <param name="CreatedAt">When it was stored.</param>
/// <param name="CreatedBy">Who stored it.</param>
public sealed record VersionFile(string Path, long Size, string Sha256, string Format, DateTimeOffset CreatedAt, string CreatedBy);

/// <summary>One input or output of a model.</summary>
/// <param name="Name">Its name in the model.</param>
/// <param name="ElementType">The element type, such as <c>float</c>.</param>
/// <param name="Shape">Its dimensions; a null dimension is dynamic; null when unknown.</param>
public sealed record TensorSpec(string Name, string ElementType, IReadOnlyList<long?>? Shape);

/// <summary>What a model takes and returns.</summary>
/// <param name="Inputs">The inputs.</param>
/// <param name="Outputs">The outputs.</param>
public sealed record ModelSignature(IReadOnlyList<TensorSpec> Inputs, IReadOnlyList<TensorSpec> Outputs);

/// <summary>A request body streamed from a stream, reporting how many bytes have gone out.</summary>
internal sealed class ProgressContent(Stream source, IProgress<long>? progress) : HttpContent
{
    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        await SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 20];
        long sent = 0;
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
        {
            await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            sent += read;
            progress?.Report(sent);
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = source.CanSeek ? source.Length - source.Position : -1;
        return source.CanSeek;
    }
}
