using System.Diagnostics;
using System.Threading.RateLimiting;
using Atlas.Domain.Errors;
using Microsoft.Extensions.Options;

namespace Atlas.Application.Inference;

/// <summary>Marks a use case that runs the models, so <see cref="IInferenceGate"/> bounds how many run at once.</summary>
public interface IInferenceRequest;

/// <summary>
/// Bounds concurrent inferences. A GPU (or the CPU cores) does its best work on a few images at a time; more
/// in flight only lengthens every answer and can exhaust GPU memory. Requests past the bound wait in a short
/// queue; past the queue they are refused at once (503 + Retry-After), never queued without bound.
/// </summary>
public interface IInferenceGate
{
    /// <summary>
    /// Waits for a slot (in arrival order). Dispose the result to free the slot. Throws
    /// <see cref="ServiceUnavailableException"/> with a retry hint when every slot is busy and the queue is full.
    /// </summary>
    ValueTask<IDisposable> EnterAsync(CancellationToken cancellationToken);

    /// <summary>Inferences holding a slot now.</summary>
    int InFlight { get; }

    /// <summary>Requests waiting for a slot now.</summary>
    int Queued { get; }
}

/// <summary>Limits of <see cref="InferenceGate"/>; bound from the <c>Security</c> section.</summary>
public sealed class InferenceGateOptions
{
    /// <summary>The settings' section: the keys are the seed's <c>Security:*</c> ones.</summary>
    public const string SectionName = "Security";

    /// <summary>Inferences running at once (env <c>MAX_CONCURRENT_INFERENCES</c>).</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 1024)]
    public int MaxConcurrentInferences { get; set; } = 4;

    /// <summary>Inference requests allowed to wait for a slot; the next one gets 503 + Retry-After (env <c>INFERENCE_QUEUE_LIMIT</c>).</summary>
    [System.ComponentModel.DataAnnotations.Range(0, 100_000)]
    public int InferenceQueueLimit { get; set; } = 32;
}

/// <summary>
/// <see cref="IInferenceGate"/> on System.Threading.RateLimiting's <see cref="ConcurrencyLimiter"/>:
/// <c>MaxConcurrentInferences</c> permits and a first-come queue of <c>InferenceQueueLimit</c>; a refused lease becomes
/// the 503, whose Retry-After hint is the time the queue needs to drain at the recent average inference time,
/// between 1 and 60 seconds.
/// </summary>
public sealed class InferenceGate : IInferenceGate, IDisposable
{
    private readonly ConcurrencyLimiter _limiter;
    private readonly int _maxConcurrent;
    private readonly int _queueLimit;
    private double _averageSeconds = 1.0;

    public InferenceGate(IOptions<InferenceGateOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _maxConcurrent = Math.Max(1, options.Value.MaxConcurrentInferences);
        _queueLimit = Math.Max(0, options.Value.InferenceQueueLimit);
        _limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = _maxConcurrent,
            QueueLimit = _queueLimit,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    public int InFlight => _maxConcurrent - (int)(_limiter.GetStatistics()?.CurrentAvailablePermits ?? _maxConcurrent);

    public int Queued => (int)(_limiter.GetStatistics()?.CurrentQueuedCount ?? 0);

    public async ValueTask<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        var lease = await _limiter.AcquireAsync(1, cancellationToken).ConfigureAwait(false);
        if (!lease.IsAcquired)
        {
            lease.Dispose();
            throw new ServiceUnavailableException(
                $"All {_maxConcurrent} inference slots are busy and {_queueLimit} requests are already waiting. Retry later.",
                RetryAfter());
        }
        return new Slot(this, lease, Stopwatch.GetTimestamp());
    }

    public void Dispose() => _limiter.Dispose();

    private TimeSpan RetryAfter()
    {
        var drain = Volatile.Read(ref _averageSeconds) * (_queueLimit + _maxConcurrent) / _maxConcurrent;
        return TimeSpan.FromSeconds(Math.Clamp(Math.Ceiling(drain), 1, 60));
    }

    private void Record(long started)
    {
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        // Exponential moving average; a lost update under contention only makes the hint slightly stale.
        Volatile.Write(ref _averageSeconds, (0.8 * Volatile.Read(ref _averageSeconds)) + (0.2 * seconds));
    }

    private sealed class Slot(InferenceGate gate, RateLimitLease lease, long started) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0) return;
            gate.Record(started);
            lease.Dispose();
        }
    }
}
