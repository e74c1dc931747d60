namespace Atlas.Domain.Jobs;

/// <summary>
/// Durable job state, shared by API replicas and workers (SQLite embedded, PostgreSQL at scale).
/// Each image's result is written exactly once: <see cref="RecordResultAsync"/> is idempotent per (job, index).
/// </summary>
public interface IJobStore
{
    /// <summary>
    /// Stores a new job in state <see cref="JobState.Queued"/>. When <see cref="NewJob.IdempotencyKey"/> names an
    /// existing job, nothing is written and that job is returned with <c>Created = false</c>.
    /// </summary>
    Task<(JobRecord Job, bool Created)> CreateAsync(NewJob job, CancellationToken cancellationToken);

    Task<JobRecord?> GetAsync(string jobId, CancellationToken cancellationToken);

    /// <summary>Jobs newest first; <paramref name="before"/> (a job id) pages on.</summary>
    Task<IReadOnlyList<JobRecord>> ListAsync(int limit, string? before, CancellationToken cancellationToken);

    /// <summary>The images <paramref name="firstIndex"/>..+<paramref name="count"/> of a job that have no result yet.</summary>
    Task<IReadOnlyList<JobImage>> PendingImagesAsync(string jobId, int firstIndex, int count, CancellationToken cancellationToken);

    /// <summary>
    /// Records one image's result and updates the job's counts in one transaction; moves a queued job to running and
    /// a job whose last image this is to completed. Returns false (and changes nothing) when the image already has a
    /// result or the job is cancelled, gone or finished.
    /// </summary>
    Task<bool> RecordResultAsync(string jobId, JobResultRow result, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Results recorded so far, in index order.</summary>
    IAsyncEnumerable<JobResultRow> ReadResultsAsync(string jobId, CancellationToken cancellationToken);

    /// <summary>Cancels a queued or running job; false when it is already finished or unknown.</summary>
    Task<bool> CancelAsync(string jobId, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Marks a job failed (a fault of the job itself, not of one image).</summary>
    Task FailAsync(string jobId, string reason, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Queued and running jobs, for re-enqueueing their pending images after a restart (embedded mode).</summary>
    Task<IReadOnlyList<JobRecord>> UnfinishedAsync(CancellationToken cancellationToken);

    /// <summary>Jobs whose retention ended before <paramref name="now"/>.</summary>
    Task<IReadOnlyList<JobRecord>> ExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Deletes a job, its images and its results.</summary>
    Task DeleteAsync(string jobId, CancellationToken cancellationToken);
}
