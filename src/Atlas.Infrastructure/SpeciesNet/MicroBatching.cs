namespace Atlas.Infrastructure.SpeciesNet;

/// <summary>
/// How the engine gathers concurrent requests into one detector and one classifier call (see
/// <see cref="MicroBatcher{TInput,TOutput}"/>): <see cref="Window"/> is the longest a request waits for others,
/// <see cref="MaxBatchSize"/> the most images per call. A zero window or a batch of 1 turns batching off.
/// </summary>
public sealed record MicroBatching(TimeSpan Window, int MaxBatchSize)
{
    /// <summary>No batching: every request runs the models on its own, as before micro-batching existed.</summary>
    public static MicroBatching Off { get; } = new(TimeSpan.Zero, 1);

    /// <summary>Whether requests are batched at all.</summary>
    public bool Enabled => Window > TimeSpan.Zero && MaxBatchSize > 1;

    /// <summary>From the <c>SpeciesNet</c> options (<c>BatchWindowMs</c>, <c>MaxBatchSize</c>).</summary>
    public static MicroBatching From(SpeciesNetOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new MicroBatching(TimeSpan.FromMilliseconds(Math.Max(0, options.BatchWindowMs)), Math.Max(1, options.MaxBatchSize));
    }
}
