namespace Atlas.Domain.Jobs;

/// <summary>
/// Carries <see cref="JobTask"/>s from the API to workers: in process by default, an existing broker at scale
/// (RabbitMQ). Delivery is at least once; a task not acknowledged (worker killed) is delivered again.
/// </summary>
public interface IJobBroker
{
    ValueTask EnqueueAsync(JobTask task, CancellationToken cancellationToken);

    /// <summary>
    /// Deliveries for this consumer, at most <paramref name="prefetch"/> unacknowledged at a time, until
    /// <paramref name="cancellationToken"/> ends it.
    /// </summary>
    IAsyncEnumerable<IJobDelivery> ConsumeAsync(int prefetch, CancellationToken cancellationToken);

    /// <summary>Tasks waiting (for health and autoscaling), or null when the queue cannot tell.</summary>
    ValueTask<long?> DepthAsync(CancellationToken cancellationToken);
}

/// <summary>One delivered task; acknowledge it after its results are recorded, or release it to be delivered again.</summary>
public interface IJobDelivery
{
    JobTask Task { get; }

    ValueTask AckAsync(CancellationToken cancellationToken);

    ValueTask ReleaseAsync(CancellationToken cancellationToken);
}

/// <summary>
/// Staged bytes of uploaded job images (a folder under the data directory, shared by workers at scale), keyed by
/// job and index, deleted with the job.
/// </summary>
public interface IJobStaging
{
    /// <summary>Writes one image and returns the key a worker passes to <see cref="OpenAsync"/>.</summary>
    Task<string> StageAsync(string jobId, int index, Stream content, CancellationToken cancellationToken);

    Task<Stream> OpenAsync(string key, CancellationToken cancellationToken);

    Task DeleteJobAsync(string jobId, CancellationToken cancellationToken);
}
