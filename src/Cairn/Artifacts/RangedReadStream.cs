namespace Cairn.Artifacts;

/// <summary>
/// A seekable, read-only view of a remote object of known length, read in windows by ranged GETs: lets the HTTP layer
/// answer Range requests and format introspection seek in headers without downloading the whole object.
/// </summary>
internal sealed class RangedReadStream(long length, Func<long, int, CancellationToken, Task<byte[]>> readRange, int window = 8 << 20) : Stream
{
    private byte[] _buffer = [];
    private long _bufferStart = -1;
    private long _position;

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => _position = value is >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        if (_position >= length || destination.Length == 0)
        {
            return 0;
        }
        if (_bufferStart < 0 || _position < _bufferStart || _position >= _bufferStart + _buffer.Length)
        {
            var size = (int)Math.Min(Math.Max(window, destination.Length), length - _position);
            _buffer = await readRange(_position, size, cancellationToken);
            _bufferStart = _position;
        }
        var available = (int)Math.Min(destination.Length, _bufferStart + _buffer.Length - _position);
        _buffer.AsMemory((int)(_position - _bufferStart), available).CopyTo(destination);
        _position += available;
        return available;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        SeekOrigin.End => length + offset,
        _ => throw new ArgumentOutOfRangeException(nameof(origin)),
    };

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
