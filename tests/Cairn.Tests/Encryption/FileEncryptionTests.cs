using System.Security.Cryptography;
using System.Text;
using Cairn.Artifacts;
using Cairn.Artifacts.Encryption;
using Cairn.Tests.Artifacts;
using CsCheck;
using Microsoft.AspNetCore.DataProtection;

namespace Cairn.Tests.Encryption;

/// <summary>The artifact store contract, on a filesystem store that encrypts every file it writes.</summary>
[Trait("Store", "none")]
public sealed class EncryptedFileSystemArtifactStoreTests : ArtifactStoreContractTests
{
    private static readonly FileEncryption Encryption = new(new EphemeralDataProtectionProvider(), encryptNewFiles: true);

    protected override IArtifactStore CreateStore() => new FileSystemArtifactStore(Path.Combine(Scratch, "store"), Encryption);
}

/// <summary>
/// Issue 19 item 7: version files encrypted at rest in the filesystem store, AES-256-GCM in 64 KiB chunks with a data
/// key per file wrapped by the key ring. What is on disk is not the file; what is read is, whole or by range; anything
/// altered, cut short or written under another key ring fails saying so, never with a wrong byte.
/// </summary>
[Trait("Store", "none")]
public sealed class FileEncryptionTests : IDisposable
{
    private const int Chunk = EncryptedFileFormat.ChunkSize;
    private readonly string _scratch = Directory.CreateTempSubdirectory("cairn-crypt-").FullName;
    private readonly Microsoft.Extensions.DependencyInjection.ServiceProvider _keys;
    private readonly FileSystemArtifactStore _store;

    public FileEncryptionTests()
    {
        _keys = KeyRings.InDirectory(Path.Combine(_scratch, "keys"));
        _store = new FileSystemArtifactStore(Path.Combine(_scratch, "store"), new FileEncryption(_keys.Provider(), encryptNewFiles: true));
    }

    public void Dispose()
    {
        _keys.Dispose();
        Directory.Delete(_scratch, recursive: true);
    }

    private string OnDisk(string key) => Path.Combine(_scratch, "store", key);

    private static byte[] Text(int length)
    {
        // Readable text, so that a plaintext substring on disk would be found.
        var line = Encoding.ASCII.GetBytes("weights of the champion model, layer 7: 0.125 0.25 0.5\n");
        return Enumerable.Range(0, length).Select(i => line[i % line.Length]).ToArray();
    }

    private static async Task PutAsync(FileSystemArtifactStore store, string key, byte[] data)
    {
        await using var staged = await store.StageAsync(key, new MemoryStream(data), long.MaxValue, withMd5: false, default);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), staged.Sha256);
        Assert.Equal(data.Length, staged.Size);
        await store.CommitAsync(staged, key, default);
    }

    private static async Task<byte[]> ReadAsync(FileSystemArtifactStore store, string key, long offset = 0, long? length = null)
    {
        await using var stream = await store.OpenReadAsync(key, offset, length, default);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(Chunk - 1)]
    [InlineData(Chunk)]
    [InlineData(Chunk + 1)]
    [InlineData(3 * Chunk)]
    [InlineData((3 * Chunk) + 17)]
    public async Task The_bytes_on_disk_are_not_the_file_and_a_read_is(int size)
    {
        var data = Text(size);
        await PutAsync(_store, "m/1/model.bin", data);

        var disk = await File.ReadAllBytesAsync(OnDisk("m/1/model.bin"));
        Assert.True(EncryptedFileFormat.HasMagic(disk));
        Assert.Equal(EncryptedFileFormat.FileLength(size), disk.Length);
        Assert.DoesNotContain("champion", Encoding.ASCII.GetString(disk), StringComparison.Ordinal);
        Assert.Equal(data, await ReadAsync(_store, "m/1/model.bin"));
        Assert.Equal(size, (await _store.DescribeAsync("m/1/model.bin", default))!.Size);
        Assert.Equal(size, Assert.Single(await _store.ListAsync("", default).ToListAsync()).Size);
    }

    [Fact]
    public async Task Range_reads_decrypt_the_chunks_they_cover_first_last_and_across_boundaries()
    {
        var data = RandomNumberGenerator.GetBytes((4 * Chunk) + 1000);
        await PutAsync(_store, "m/1/w.bin", data);

        foreach (var (offset, length) in new (long, long)[]
        {
            (0, 10), (0, Chunk), (Chunk - 5, 10), (Chunk, Chunk), (2 * Chunk - 1, Chunk + 2), ((4 * Chunk) + 999, 1), (4 * Chunk, 1000), (3, (4 * Chunk) + 997),
        })
        {
            Assert.Equal(data.AsSpan((int)offset, (int)length).ToArray(), await ReadAsync(_store, "m/1/w.bin", offset, length));
        }
        Assert.Equal(data[(3 * Chunk)..], await ReadAsync(_store, "m/1/w.bin", 3 * Chunk));
    }

    [Fact]
    public async Task The_stream_seeks_backwards_and_forwards_as_the_http_layer_does()
    {
        var data = RandomNumberGenerator.GetBytes((2 * Chunk) + 3);
        await PutAsync(_store, "m/1/s.bin", data);
        await using var stream = await _store.OpenReadAsync("m/1/s.bin", 0, null, default);
        Assert.True(stream.CanSeek);
        Assert.Equal(data.Length, stream.Length);
        var one = new byte[4];
        stream.Seek(-4, SeekOrigin.End);
        await stream.ReadExactlyAsync(one);
        Assert.Equal(data[^4..], one);
        stream.Position = 1;
        stream.ReadExactly(one);
        Assert.Equal(data[1..5], one);
    }

    [Fact]
    public async Task A_staged_encrypted_upload_reads_back_as_plaintext_for_introspection()
    {
        var data = Text(Chunk + 10);
        await using var staged = await _store.StageAsync("m/1/i.bin", new MemoryStream(data), long.MaxValue, withMd5: true, default);
        await using var read = staged.OpenRead();
        Assert.Equal(data.Length, read.Length);
        using var copy = new MemoryStream();
        await read.CopyToAsync(copy);
        Assert.Equal(data, copy.ToArray());
        Assert.Equal(Convert.ToBase64String(MD5.HashData(data)), staged.Md5Base64);
    }

    [Fact]
    public async Task A_tampered_chunk_fails_authentication_and_the_chunks_before_it_still_read()
    {
        var data = Text(3 * Chunk);
        await PutAsync(_store, "m/1/t.bin", data);
        await using (var file = new FileStream(OnDisk("m/1/t.bin"), FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = EncryptedFileFormat.ChunkOffset(1) + 100;
            var b = file.ReadByte();
            file.Position--;
            file.WriteByte((byte)(b ^ 1));
        }

        Assert.Equal(data[..Chunk], await ReadAsync(_store, "m/1/t.bin", 0, Chunk));
        var e = await Assert.ThrowsAsync<EncryptedFileException>(() => ReadAsync(_store, "m/1/t.bin"));
        Assert.Contains("Chunk 1", e.Message, StringComparison.Ordinal);
        Assert.Contains("failed authentication", e.Message, StringComparison.Ordinal);
        Assert.Equal(500, e.StatusCode);
    }

    [Fact]
    public async Task Swapped_chunks_fail_authentication()
    {
        await PutAsync(_store, "m/1/r.bin", Text(3 * Chunk));
        var disk = await File.ReadAllBytesAsync(OnDisk("m/1/r.bin"));
        var sealedChunk = Chunk + EncryptedFileFormat.TagSize;
        var first = disk.AsSpan((int)EncryptedFileFormat.ChunkOffset(0), sealedChunk).ToArray();
        disk.AsSpan((int)EncryptedFileFormat.ChunkOffset(1), sealedChunk).CopyTo(disk.AsSpan((int)EncryptedFileFormat.ChunkOffset(0)));
        first.CopyTo(disk.AsSpan((int)EncryptedFileFormat.ChunkOffset(1)));
        await File.WriteAllBytesAsync(OnDisk("m/1/r.bin"), disk);

        await Assert.ThrowsAsync<EncryptedFileException>(() => ReadAsync(_store, "m/1/r.bin", 0, 10));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(EncryptedFileFormat.TagSize + 1000)]
    [InlineData(Chunk + EncryptedFileFormat.TagSize)]
    public async Task A_file_cut_short_fails_when_its_end_is_read(int cut)
    {
        var data = Text((3 * Chunk) + 1000);
        await PutAsync(_store, "m/1/c.bin", data);
        var path = OnDisk("m/1/c.bin");
        await using (var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            file.SetLength(file.Length - cut);
        }

        // Cut at a chunk boundary, the chunk that is now last was sealed as not last: reading the end finds it out.
        var e = await Assert.ThrowsAsync<EncryptedFileException>(() => ReadAsync(_store, "m/1/c.bin"));
        Assert.Contains("c.bin", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_cut_inside_its_header_fails_clearly()
    {
        await PutAsync(_store, "m/1/h.bin", Text(10));
        await using (var file = new FileStream(OnDisk("m/1/h.bin"), FileMode.Open, FileAccess.ReadWrite))
        {
            file.SetLength(100);
        }
        var e = await Assert.ThrowsAsync<EncryptedFileException>(() => ReadAsync(_store, "m/1/h.bin"));
        Assert.Contains("header", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_key_ring_cannot_read_the_file_and_says_why()
    {
        await PutAsync(_store, "m/1/k.bin", Text(100));
        using var other = KeyRings.InDirectory(Path.Combine(_scratch, "other-keys"));
        var stranger = new FileSystemArtifactStore(Path.Combine(_scratch, "store"), new FileEncryption(other.Provider(), encryptNewFiles: true));

        var e = await Assert.ThrowsAsync<EncryptedFileException>(() => stranger.OpenReadAsync("m/1/k.bin", 0, null, default));
        Assert.Contains("key ring cannot unwrap", e.Message, StringComparison.Ordinal);
        Assert.Equal("ENCRYPTED_FILE_UNREADABLE", e.ErrorCode);
    }

    [Fact]
    public async Task A_key_ring_that_lost_the_files_key_cannot_read_it()
    {
        await PutAsync(_store, "m/1/l.bin", Text(100));
        foreach (var xml in Directory.GetFiles(Path.Combine(_scratch, "keys")))
        {
            File.Delete(xml);
        }
        using var emptied = KeyRings.InDirectory(Path.Combine(_scratch, "keys"));
        var store = new FileSystemArtifactStore(Path.Combine(_scratch, "store"), new FileEncryption(emptied.Provider(), encryptNewFiles: true));

        var e = await Assert.ThrowsAsync<EncryptedFileException>(() => store.OpenReadAsync("m/1/l.bin", 0, null, default));
        Assert.Contains("was not found in the key ring", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_store_without_a_key_ring_refuses_an_encrypted_file()
    {
        await PutAsync(_store, "m/1/n.bin", Text(100));
        var plain = new FileSystemArtifactStore(Path.Combine(_scratch, "store"));

        var e = await Assert.ThrowsAsync<EncryptedFileException>(() => plain.OpenReadAsync("m/1/n.bin", 0, null, default));
        Assert.Contains("without the key ring", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Clear_files_from_before_encryption_still_read_and_new_ones_are_encrypted()
    {
        var clear = new FileSystemArtifactStore(Path.Combine(_scratch, "store"));
        var old = Text((2 * Chunk) + 5);
        await PutAsync(clear, "m/1/old.bin", old);
        var fresh = Text(300);
        await PutAsync(_store, "m/2/new.bin", fresh);

        Assert.Equal(old, await File.ReadAllBytesAsync(OnDisk("m/1/old.bin")));
        Assert.Equal(old, await ReadAsync(_store, "m/1/old.bin"));
        Assert.Equal(old[Chunk..(Chunk + 7)], await ReadAsync(_store, "m/1/old.bin", Chunk, 7));
        Assert.Equal(fresh, await ReadAsync(_store, "m/2/new.bin"));
        Assert.Equal(old.Length, (await _store.DescribeAsync("m/1/old.bin", default))!.Size);
    }

    [Fact]
    public async Task Encryption_switched_off_still_reads_what_it_encrypted()
    {
        var data = Text(Chunk + 1);
        await PutAsync(_store, "m/1/on.bin", data);
        var off = new FileSystemArtifactStore(Path.Combine(_scratch, "store"), new FileEncryption(_keys.Provider(), encryptNewFiles: false));
        await PutAsync(off, "m/1/off.bin", data);

        Assert.Equal(data, await ReadAsync(off, "m/1/on.bin"));
        Assert.Equal(data, await File.ReadAllBytesAsync(OnDisk("m/1/off.bin")));
    }

    [Fact]
    public async Task Files_written_before_a_key_rotation_still_read_after_it()
    {
        var before = Text(Chunk + 2);
        await PutAsync(_store, "m/1/before.bin", before);
        _keys.Rotate();
        var after = Text(Chunk + 3);
        await PutAsync(_store, "m/1/after.bin", after);

        // A new process over the same key ring directory, as another replica or a restart.
        using var reopened = KeyRings.InDirectory(Path.Combine(_scratch, "keys"));
        var store = new FileSystemArtifactStore(Path.Combine(_scratch, "store"), new FileEncryption(reopened.Provider(), encryptNewFiles: true));
        Assert.Equal(before, await ReadAsync(store, "m/1/before.bin"));
        Assert.Equal(after, await ReadAsync(store, "m/1/after.bin"));
        Assert.Equal(2, Directory.GetFiles(Path.Combine(_scratch, "keys")).Length);
    }

    [Fact]
    public async Task Random_sizes_and_ranges_read_back_the_plaintext()
    {
        var encryption = new FileEncryption(new EphemeralDataProtectionProvider(), encryptNewFiles: true);
        var store = new FileSystemArtifactStore(Path.Combine(_scratch, "property"), encryption);
        var cases = Gen.Int[0, (5 * Chunk) + 100].SelectMany(size =>
            Gen.Long[0, size].SelectMany(offset => Gen.Long[0, size - offset].Select(length => (size, offset, length))));
        var n = 0;
        await cases.SampleAsync(async c =>
        {
            var data = new byte[c.size];
            Random.Shared.NextBytes(data);
            var key = $"p/{n++}.bin";
            await PutAsync(store, key, data);
            var range = await ReadAsync(store, key, c.offset, c.length);
            var whole = await ReadAsync(store, key);
            await store.DeleteAsync(key, default);
            return range.AsSpan().SequenceEqual(data.AsSpan((int)c.offset, (int)c.length)) && whole.AsSpan().SequenceEqual(data);
        }, iter: 60, threads: 1);
    }
}
