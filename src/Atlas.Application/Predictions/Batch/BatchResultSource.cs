using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Atlas.Application.Predictions.Batch;

/// <summary>
/// The results of a batch, in input order, that an answer writer reads once or twice (the MegaDetector format needs
/// its categories before its images, and its images sorted by file). A synchronous batch spools its results to a
/// temporary file; a job reads them from its store; neither holds the whole answer in memory.
/// </summary>
public interface IBatchResultSource
{
    /// <summary>Number of results.</summary>
    int Count { get; }

    /// <summary>Every result in input order; may be called more than once.</summary>
    IAsyncEnumerable<BatchImageResult> ReadAllAsync(CancellationToken cancellationToken);

    /// <summary>The result at input position <paramref name="index"/>.</summary>
    ValueTask<BatchImageResult> ReadAtAsync(int index, CancellationToken cancellationToken);
}

/// <summary>Results already in memory (the ensemble route, whose input is one JSON body).</summary>
public sealed class InMemoryBatchResults(IReadOnlyList<BatchImageResult> results) : IBatchResultSource
{
    public int Count => results.Count;

    public async IAsyncEnumerable<BatchImageResult> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var result in results)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return result;
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    public ValueTask<BatchImageResult> ReadAtAsync(int index, CancellationToken cancellationToken) => ValueTask.FromResult(results[index]);
}

/// <summary>
/// Serializes one <see cref="BatchImageResult"/> to UTF-8 JSON and back, losslessly (doubles round-trip, NaN and
/// infinities kept), for spooling a batch's results to disk and for storing a job's results.
/// </summary>
public static class BatchResultCodec
{
    private static readonly JsonSerializerOptions Options = new()
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static byte[] Serialize(BatchImageResult result) => JsonSerializer.SerializeToUtf8Bytes(result, Options);

    public static BatchImageResult Deserialize(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize<BatchImageResult>(json, Options)
        ?? throw new JsonException("A stored batch result was null.");
}
