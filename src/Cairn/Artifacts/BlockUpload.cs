namespace Cairn.Artifacts;

/// <summary>
/// The upload path object stores share: the body streams, hashed on the way in (<see cref="HashingCopy"/>), into a
/// local staging file (what format introspection reads) and, in blocks of <c>blockSize</c>, to the
/// store's <c>sendBlock</c> (an S3 part, an Azure block). The last block may be short; with
/// <c>sendEmptyBlock</c> an empty body still sends one empty block (S3 needs a part to complete).
/// </summary>
internal static class BlockUpload
{
    public static async Task<HashedCopy> CopyAsync(
        Stream content, string localPath, int blockSize, long maxBytes, bool withMd5, bool sendEmptyBlock,
        Func<MemoryStream, CancellationToken, Task> sendBlock, CancellationToken cancellationToken)
    {
        await using var block = new MemoryStream(blockSize);
        var sent = 0;
        // The local copy only feeds introspection; durability is the object store's.
        var copy = await HashingCopy.ToFileAsync(content, localPath, maxBytes, withMd5, durable: false, async (bytes, ct) =>
        {
            block.Write(bytes.Span);
            if (block.Length >= blockSize)
            {
                await Send(ct);
            }
        }, cancellationToken);
        if (block.Length > 0 || (sendEmptyBlock && sent == 0))
        {
            await Send(cancellationToken);
        }
        return copy;

        async Task Send(CancellationToken ct)
        {
            await sendBlock(block, ct);
            block.SetLength(0);
            sent++;
        }
    }

    /// <summary>A read-only view of a block's bytes, which a store's client may dispose (the buffer is reused).</summary>
    public static MemoryStream View(MemoryStream block) => new(block.GetBuffer(), 0, (int)block.Length, writable: false);
}
