using System.Buffers;
using System.Runtime.CompilerServices;
using Atlas.Application.Predictions.Batch;
using Microsoft.Win32.SafeHandles;

namespace Atlas.Api.Contracts.Batch;

/// <summary>
/// A batch's results spooled to a temporary file (deleted on dispose, and by the OS if the process dies) as they are
/// produced, so memory holds one result at a time however many images a request carries; only each result's offset
/// and length (12 bytes) stay in memory. Written by one intake, then read by the answer writer.
/// </summary>
public sealed class BatchResultSpool : IBatchResultSource, IAsyncDisposable
{
    private readonly SafeFileHandle file;
    private readonly List<(long Offset, int Length)> index = [];
    private long end;

    private BatchResultSpool(SafeFileHandle file) => this.file = file;

    public int Count => index.Count;

    /// <summary>Opens an empty spool in the system temporary folder.</summary>
    public static BatchResultSpool Create()
    {
        var path = Path.Combine(Path.GetTempPath(), $"atlas-batch-{Guid.NewGuid():N}.spool");
        return new BatchResultSpool(File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, FileOptions.DeleteOnClose | FileOptions.Asynchronous));
    }

    public async ValueTask AddAsync(BatchImageResult result, CancellationToken cancellationToken)
    {
        var bytes = BatchResultCodec.Serialize(result);
        await RandomAccess.WriteAsync(file, bytes, end, cancellationToken).ConfigureAwait(false);
        index.Add((end, bytes.Length));
        end += bytes.Length;
    }

    public async IAsyncEnumerable<BatchImageResult> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        for (var i = 0; i < index.Count; i++)
        {
            yield return await ReadAtAsync(i, cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask<BatchImageResult> ReadAtAsync(int index, CancellationToken cancellationToken)
    {
        var (offset, length) = this.index[index];
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var read = 0;
            while (read < length)
            {
                var n = await RandomAccess.ReadAsync(file, buffer.AsMemory(read, length - read), offset + read, cancellationToken).ConfigureAwait(false);
                if (n == 0) throw new EndOfStreamException("The batch result spool ended early.");
                read += n;
            }
            return BatchResultCodec.Deserialize(buffer.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public ValueTask DisposeAsync()
    {
        file.Dispose();
        return ValueTask.CompletedTask;
    }
}
