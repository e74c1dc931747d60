namespace Atlas.Infrastructure.SpeciesNet;

/// <summary>
/// How the engine gathers concurrent requests into one detector and one classifier call (see
/// <see cref="MicroBatcher{TInput,TOutput}"/>): <see cref="Window"/> is the longest a request waits for others,
/// <see cref="MaxBatchSize"/> the most images per call. A zero window or a batch of 1 turns batching off.
/// </summary>
public sealed record MicroBatching(TimeSpan Window, int MaxBatchSize)
{
    /// <summary>The window used on a GPU when none is configured.</summary>
    public static TimeSpan GpuDefaultWindow { get; } = TimeSpan.FromMilliseconds(2);

    /// <summary>No batching: every request runs the models on its own, as before micro-batching existed.</summary>
    public static MicroBatching Off { get; } = new(TimeSpan.Zero, 1);

    /// <summary>Whether requests are batched at all.</summary>
    public bool Enabled => Window > TimeSpan.Zero && MaxBatchSize > 1;

    /// <summary>
    /// Batching only on a GPU: set when the window was not configured, so the engine turns batching off once its
    /// sessions turn out to run on the CPU provider (measured: no throughput gain there, and longer latencies).
    /// </summary>
    public bool GpuOnly { get; init; }

    /// <summary>
    /// From the <c>SpeciesNet</c> options (<c>BatchWindowMs</c>, <c>MaxBatchSize</c>); an unset window means
    /// <see cref="GpuDefaultWindow"/> on CUDA and off on the CPU (<see cref="GpuOnly"/>).
    /// </summary>
    public static MicroBatching From(SpeciesNetOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var size = Math.Max(1, options.MaxBatchSize);
        return options.BatchWindowMs is { } window
            ? new MicroBatching(TimeSpan.FromMilliseconds(Math.Max(0, window)), size)
            : new MicroBatching(GpuDefaultWindow, size) { GpuOnly = true };
    }

    /// <summary>What the engine applies once it knows its execution provider.</summary>
    public MicroBatching For(string executionProvider) =>
        GpuOnly && !string.Equals(executionProvider, "CUDAExecutionProvider", StringComparison.Ordinal) ? Off : this;
}
