namespace Atlas.Domain.Jobs;

/// <summary>The life of a job: <c>queued</c> until a worker takes its first image, <c>running</c>, then one of the three ends.</summary>
public enum JobState
{
    Queued,
    Running,
    Completed,
    Failed,
    Cancelled,
}

/// <summary>
/// What a client asked for, as stored with the job. <paramref name="OptionsJson"/> is the Application layer's
/// serialized batch options (component mode, classify_all_boxes, default location); the store keeps it opaque.
/// </summary>
/// <param name="Id">Job id (URL-safe, unique).</param>
/// <param name="IdempotencyKey">The client's <c>Idempotency-Key</c>, or null.</param>
/// <param name="OptionsJson">Serialized options, opaque to the store.</param>
/// <param name="Images">The images in input order (index = position).</param>
/// <param name="WebhookUrl">Completion webhook, or null.</param>
/// <param name="CreatedAt">Submission time.</param>
/// <param name="ExpiresAt">When the job, its staged images and its results may be deleted.</param>
public sealed record NewJob(
    string Id,
    string? IdempotencyKey,
    string OptionsJson,
    IReadOnlyList<JobImage> Images,
    string? WebhookUrl,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt);

/// <summary>One image of a job: where its bytes are (a staged file or a path under the input root) and its per-image location JSON.</summary>
/// <param name="Index">Position in the job, 0-based; results come back in this order.</param>
/// <param name="FilePath">The <c>filepath</c> echoed in results.</param>
/// <param name="Source">Where a worker reads the bytes: a staging key or an absolute path under <c>JOBS_INPUT_ROOT</c>.</param>
/// <param name="Rejection">Why the intake refused the file (e.g. over the size limit), recorded as the image's failure; else null.</param>
/// <param name="LocationJson">Per-image location (country/admin1/lat/lon) as JSON, or null for the job defaults.</param>
public sealed record JobImage(int Index, string FilePath, string Source, string? Rejection, string? LocationJson);

/// <summary>
/// A job as stored: its request, its state and its counts. <c>Done</c> counts every image with a recorded result,
/// failed ones included (the job completes when <c>Done == Total</c>); <c>Failed</c> is how many of those failed.
/// </summary>
public sealed record JobRecord(
    string Id,
    string? IdempotencyKey,
    JobState State,
    string OptionsJson,
    int Total,
    int Done,
    int Failed,
    string? WebhookUrl,
    string? Error,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    DateTimeOffset ExpiresAt);

/// <summary>One recorded image result; <paramref name="ResultJson"/> is the Application layer's serialized batch result.</summary>
public sealed record JobResultRow(int Index, bool Failed, string ResultJson);

/// <summary>
/// The unit of work on the queue: a run of consecutive images of one job (a chunk sized to the micro-batch).
/// A re-delivered task is harmless: results already recorded for its images are skipped.
/// </summary>
public sealed record JobTask(string JobId, int FirstIndex, int Count);
